//! The outbox screen: queued, sending, failed and sent messages with their
//! recipients, subject, status, last error and next attempt; retry, cancel
//! (after a confirmation) and "send now". A second pane lists the drafts
//! saved in the store; opening one reopens it in the composer.

pub mod view;

use crate::app::command::{ListCmd, OutboxCmd};
use crate::app::i18n::T;
use crate::app::keys::{Key, KeyPress};
use crate::app::mail_effects::ComposeEffect;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::mail::outbox::{OutboxEntry, OutboxState};
use crate::ui::layout::{Areas, inner_height};
use crate::ui::list::ListCursor;
use crate::ui::screens::compose::StoredDraft;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Queue,
    Drafts,
}

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Cancel { message_id: String },
    DeleteDraft { id: u64 },
}

#[derive(Debug, Clone, Default)]
pub struct OutboxScreen {
    pub pane: Pane,
    pub entries: Vec<OutboxEntry>,
    pub drafts: Vec<(u64, StoredDraft)>,
    pub cursor: ListCursor,
    pub confirm: Option<Confirm>,
    /// Receipt and delivery status of sent messages, by Message-ID.
    pub tracked: Vec<(String, crate::mail::mdn::TrackedStatus)>,
    /// An outbox is running (the demo's counts).
    pub available: bool,
}

pub fn page_height(state: &State) -> usize {
    inner_height(Areas::new(state.size.0, state.size.1).body).saturating_sub(4)
}

fn len(state: &State) -> usize {
    match state.outbox.pane {
        Pane::Queue => state.outbox.entries.len(),
        Pane::Drafts => state.outbox.drafts.len(),
    }
}

/// Shows the outbox (or the drafts) and asks for a fresh list.
pub fn open(state: &mut State, pane: Pane) -> Vec<Effect> {
    state.go(Screen::Outbox);
    state.outbox.pane = pane;
    state.outbox.cursor = ListCursor::default();
    state.outbox.confirm = None;
    refresh(state)
}

fn refresh(state: &State) -> Vec<Effect> {
    match state.outbox.pane {
        Pane::Queue => vec![Effect::Compose(ComposeEffect::ListOutbox)],
        Pane::Drafts => vec![Effect::Compose(ComposeEffect::LoadDrafts)],
    }
}

pub fn on_entries(state: &mut State, result: Result<Vec<OutboxEntry>, String>) {
    match result {
        Ok(entries) => {
            state.outbox.entries = entries;
            if state.outbox.pane == Pane::Queue {
                let (len, height) = (state.outbox.entries.len(), page_height(state));
                state.outbox.cursor.clamp(len, height);
            }
        }
        Err(reason) => {
            state.notify(Notification::new(Level::Error, T::OutboxFailed).arg("reason", reason))
        }
    }
}

pub fn on_drafts(state: &mut State, drafts: Vec<(u64, StoredDraft)>) {
    state.outbox.drafts = drafts;
    if state.outbox.pane == Pane::Drafts {
        let (len, height) = (state.outbox.drafts.len(), page_height(state));
        state.outbox.cursor.clamp(len, height);
    }
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (len(state), page_height(state));
    if !state.outbox.cursor.apply(command, len, height) {
        return Vec::new();
    }
    // Open: a draft goes back to the composer.
    if state.outbox.pane == Pane::Drafts
        && let Some((id, draft)) = state
            .outbox
            .drafts
            .get(state.outbox.cursor.selected)
            .cloned()
    {
        crate::ui::screens::compose::load(state, id, &draft);
        state.go(Screen::Compose);
    }
    Vec::new()
}

fn selected_entry(state: &State) -> Option<&OutboxEntry> {
    match state.outbox.pane {
        Pane::Queue => state.outbox.entries.get(state.outbox.cursor.selected),
        Pane::Drafts => None,
    }
}

pub fn on_command(state: &mut State, command: OutboxCmd) -> Vec<Effect> {
    match command {
        OutboxCmd::ToggleDrafts => {
            let pane = match state.outbox.pane {
                Pane::Queue => Pane::Drafts,
                Pane::Drafts => Pane::Queue,
            };
            return open(state, pane);
        }
        OutboxCmd::SendNow => return vec![Effect::Compose(ComposeEffect::ProcessOutbox)],
        OutboxCmd::Retry => {
            if let Some(entry) = selected_entry(state) {
                if matches!(
                    entry.state,
                    OutboxState::Failed { .. } | OutboxState::Queued
                ) {
                    return vec![Effect::Compose(ComposeEffect::RetryOutbox {
                        message_id: entry.message_id.clone(),
                    })];
                }
                state.notify(Notification::new(Level::Warn, T::OutboxNothingToRetry));
            }
        }
        OutboxCmd::Cancel => match state.outbox.pane {
            Pane::Queue => {
                if let Some(entry) = selected_entry(state) {
                    if matches!(
                        entry.state,
                        OutboxState::Failed { .. } | OutboxState::Queued
                    ) {
                        state.outbox.confirm = Some(Confirm::Cancel {
                            message_id: entry.message_id.clone(),
                        });
                    } else {
                        state.notify(Notification::new(Level::Warn, T::OutboxCannotCancel));
                    }
                }
            }
            Pane::Drafts => {
                if let Some((id, _)) = state.outbox.drafts.get(state.outbox.cursor.selected) {
                    state.outbox.confirm = Some(Confirm::DeleteDraft { id: *id });
                }
            }
        },
    }
    Vec::new()
}

/// Keys while a confirmation is open: yes (`y`, `o`, Enter) or no.
pub fn on_key(state: &mut State, key: &KeyPress) -> Option<Vec<Effect>> {
    if state.screen != Screen::Outbox {
        return None;
    }
    let confirm = state.outbox.confirm.clone()?;
    let yes = matches!(key.key, Key::Enter | Key::Char('y' | 'Y' | 'o' | 'O'));
    state.outbox.confirm = None;
    if !yes {
        return Some(Vec::new());
    }
    Some(match confirm {
        Confirm::Cancel { message_id } => {
            vec![Effect::Compose(ComposeEffect::CancelOutbox { message_id })]
        }
        Confirm::DeleteDraft { id } => {
            state.outbox.drafts.retain(|(d, _)| *d != id);
            vec![Effect::Compose(ComposeEffect::DeleteDraft { id })]
        }
    })
}

/// The lock hides what the outbox and drafts show.
pub fn clear(state: &mut State) {
    state.outbox.entries.clear();
    state.outbox.drafts.clear();
    state.outbox.tracked.clear();
    state.outbox.confirm = None;
}

#[cfg(test)]
mod tests;
