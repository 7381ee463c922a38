//! Sending: recipients checked, then the trust space asked about; outside
//! recipients open a warning (cancel / send anyway / send with the
//! attachments protected). The message is built and queued by the outbox
//! effect; a generated archive password is shown once.

use super::{Dialog, StoredDraft};
use crate::app::i18n::T;
use crate::app::keys::{Key, KeyPress};
use crate::app::mail_effects::{ComposeEffect, Queued};
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, State};

/// `compose.send`: checks the recipients, then asks about the trust space.
pub fn start(state: &mut State) -> Vec<Effect> {
    let draft = StoredDraft::from_state(&state.compose);
    if state.compose.account().is_none() {
        state.notify(Notification::new(Level::Error, T::ComposeNoAccount));
        return Vec::new();
    }
    let recipients = match draft.recipients() {
        Ok(list) if list.is_empty() => {
            state.notify(Notification::new(Level::Warn, T::ComposeNoRecipient));
            return Vec::new();
        }
        Ok(list) => list,
        Err(bad) => {
            state.notify(Notification::new(Level::Error, T::ComposeBadAddress).arg("address", bad));
            return Vec::new();
        }
    };
    let generation = state.generation();
    state.compose.completion = None;
    state.compose.dialog = Some(Dialog::Checking { generation });
    vec![Effect::Compose(ComposeEffect::CheckTrust {
        recipients: recipients.into_iter().map(|m| m.email).collect(),
        generation,
    })]
}

pub fn on_trust_checked(state: &mut State, generation: u64, outside: Vec<String>) -> Vec<Effect> {
    match state.compose.dialog {
        Some(Dialog::Checking { generation: g }) if g == generation => {}
        _ => return Vec::new(), // cancelled, or an older check
    }
    if outside.is_empty() {
        queue(state, false)
    } else {
        state.compose.dialog = Some(Dialog::TrustWarning { outside });
        Vec::new()
    }
}

fn queue(state: &mut State, protect: bool) -> Vec<Effect> {
    state.compose.dialog = Some(Dialog::Queueing);
    let signature = state.compose.account().and_then(|a| a.signature.clone());
    vec![Effect::Compose(ComposeEffect::Send {
        draft: Box::new(StoredDraft::from_state(&state.compose)),
        signature,
        protect,
        draft_id: state.compose.draft_id,
    })]
}

/// Keys while a dialog is open: the trust warning's three choices, the
/// password's acknowledgement; nothing else goes through meanwhile.
pub fn on_dialog_key(state: &mut State, key: &KeyPress) -> Vec<Effect> {
    match (&state.compose.dialog, key.key) {
        (Some(Dialog::TrustWarning { .. }), Key::Esc | Key::Char('1')) => {
            state.compose.dialog = None;
        }
        (Some(Dialog::TrustWarning { .. }), Key::Char('2')) => return queue(state, false),
        (Some(Dialog::TrustWarning { .. }), Key::Char('3')) => {
            if state.compose.attachments.is_empty() {
                return queue(state, false);
            }
            return queue(state, true);
        }
        (Some(Dialog::Checking { .. }), Key::Esc) => state.compose.dialog = None,
        (Some(Dialog::Password { .. }), Key::Enter | Key::Esc) => {
            state.compose.dialog = None;
            state.back();
        }
        _ => {}
    }
    Vec::new()
}

/// The outbox committed the message (or refused to build it).
pub fn on_queued(state: &mut State, result: Result<Queued, String>) -> Vec<Effect> {
    match result {
        Ok(queued) => {
            state.notify(Notification::new(Level::Info, T::ComposeQueued));
            state.compose = state.compose.fresh();
            match queued.password {
                Some(password) => state.compose.dialog = Some(Dialog::Password { password }),
                None => {
                    state.back();
                }
            }
            vec![Effect::Compose(ComposeEffect::ListOutbox)]
        }
        Err(reason) => {
            state.compose.dialog = None;
            state.notify(
                Notification::new(Level::Error, T::ComposeSendFailed).arg("reason", reason),
            );
            Vec::new()
        }
    }
}
