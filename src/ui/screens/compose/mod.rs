//! The composer: From (account), To/Cc/Bcc with completion as you type,
//! subject, body (a built-in editor, or `$EDITOR`), attachments, read-receipt
//! request, CDA documents packaged as IHE XDM; drafts saved encrypted while
//! typing and on lock; sending through the trust-space check to the outbox.
//!
//! Everything slow (completion, reading a file, the trust check, building
//! and queueing) is an effect; its answers carry a generation when the user
//! can outrun them. Locking saves the draft first, then forgets it; the
//! unlock brings it back from the store.

mod draft;
mod input;
mod send;
pub mod view;

pub use draft::{ReplyKind, StoredDraft, answer, display as display_mailbox, parse_recipients};
pub use input::on_key;
pub use input::{on_completions, on_paste, on_path_completions};
pub use send::{on_queued, on_trust_checked};

use crate::app::command::ComposeCmd;
use crate::app::i18n::T;
use crate::app::mail_effects::{AttachedFile, ComposeEffect, ShownOnce, Suggestion};
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::mail::compose::{Attachment, MssHeaders};
use ratatui_textarea::TextArea;
use std::time::{Duration, Instant};

/// A draft with changes is saved this long after the last one.
pub const AUTOSAVE_AFTER: Duration = Duration::from_secs(3);

/// The parts of the composer, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    To,
    Cc,
    Bcc,
    Subject,
    Attachments,
    Body,
}

impl Field {
    const ORDER: [Field; 6] = [
        Field::To,
        Field::Cc,
        Field::Bcc,
        Field::Subject,
        Field::Attachments,
        Field::Body,
    ];

    fn step(self, delta: isize) -> Field {
        let i = Field::ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        let n = Field::ORDER.len() as isize;
        Field::ORDER[(i + delta).rem_euclid(n) as usize]
    }

    pub fn is_address(self) -> bool {
        matches!(self, Field::To | Field::Cc | Field::Bcc)
    }
}

/// A sending account: the From line and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: Option<String>,
    pub address: String,
    pub signature: Option<String>,
}

/// Addresses offered for the recipient being typed.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub items: Vec<Suggestion>,
    pub selected: usize,
}

/// The "attach a file" prompt with filesystem completion.
#[derive(Debug, Clone)]
pub struct PathPrompt {
    pub input: TextArea<'static>,
    /// Package the file (a CDA) as IHE XDM.
    pub xdm: bool,
    pub suggestions: Vec<String>,
    pub pending: Option<u64>,
}

/// A modal step of sending.
#[derive(Debug, Clone)]
pub enum Dialog {
    /// Waiting for the trust-space answer.
    Checking { generation: u64 },
    /// Recipients outside the MSSanté trust space: cancel, send anyway, or
    /// protect the attachments.
    TrustWarning { outside: Vec<String> },
    /// Waiting for the outbox.
    Queueing,
    /// The protected archive's password, shown once.
    Password { password: ShownOnce },
}

#[derive(Debug, Clone)]
pub struct ComposeState {
    pub accounts: Vec<Account>,
    /// Index into `accounts`.
    pub from: usize,
    pub to: TextArea<'static>,
    pub cc: TextArea<'static>,
    pub bcc: TextArea<'static>,
    pub subject: TextArea<'static>,
    pub body: TextArea<'static>,
    pub focus: Field,
    pub attachments: Vec<Attachment>,
    pub attachment_cursor: usize,
    pub receipt: bool,
    pub mss: MssHeaders,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub completion: Option<Completion>,
    /// The newest completion request.
    pub completion_pending: Option<u64>,
    pub path_prompt: Option<PathPrompt>,
    pub dialog: Option<Dialog>,
    /// The stored draft this composition is (once saved).
    pub draft_id: Option<u64>,
    /// Unsaved changes since this instant.
    pub changed_at: Option<Instant>,
    /// The lock saved this draft: reopen it after the unlock.
    pub restore_after_unlock: bool,
}

impl Default for ComposeState {
    fn default() -> Self {
        ComposeState {
            accounts: Vec::new(),
            from: 0,
            to: TextArea::default(),
            cc: TextArea::default(),
            bcc: TextArea::default(),
            subject: TextArea::default(),
            body: TextArea::default(),
            focus: Field::To,
            attachments: Vec::new(),
            attachment_cursor: 0,
            receipt: false,
            mss: MssHeaders::default(),
            in_reply_to: None,
            references: Vec::new(),
            completion: None,
            completion_pending: None,
            path_prompt: None,
            dialog: None,
            draft_id: None,
            changed_at: None,
            restore_after_unlock: false,
        }
    }
}

pub fn text_of(area: &TextArea<'_>) -> String {
    area.lines().join("\n")
}

pub fn area_with(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area
}

impl ComposeState {
    /// A blank message from the same accounts.
    pub fn fresh(&self) -> ComposeState {
        ComposeState {
            accounts: self.accounts.clone(),
            from: self.from,
            ..ComposeState::default()
        }
    }

    pub fn account(&self) -> Option<&Account> {
        self.accounts.get(self.from).or(self.accounts.first())
    }

    /// Whether there is anything worth keeping.
    pub fn is_blank(&self) -> bool {
        [&self.to, &self.cc, &self.bcc, &self.subject, &self.body]
            .iter()
            .all(|a| a.is_empty())
            && self.attachments.is_empty()
    }

    pub fn field_mut(&mut self, field: Field) -> Option<&mut TextArea<'static>> {
        match field {
            Field::To => Some(&mut self.to),
            Field::Cc => Some(&mut self.cc),
            Field::Bcc => Some(&mut self.bcc),
            Field::Subject => Some(&mut self.subject),
            Field::Body => Some(&mut self.body),
            Field::Attachments => None,
        }
    }

    pub fn field(&self, field: Field) -> Option<&TextArea<'static>> {
        match field {
            Field::To => Some(&self.to),
            Field::Cc => Some(&self.cc),
            Field::Bcc => Some(&self.bcc),
            Field::Subject => Some(&self.subject),
            Field::Body => Some(&self.body),
            Field::Attachments => None,
        }
    }
}

/// Opens the composer on a new message to `recipient` ("Name <address>").
pub fn start_to(state: &mut State, recipient: &str) {
    let mut fresh = state.compose.fresh();
    fresh.to = area_with(&format!("{recipient}, "));
    fresh.focus = Field::Subject;
    state.compose = fresh;
    state.go(Screen::Compose);
}

/// The composer as the `go.compose` command opens it: the message in
/// progress if there is one, else a blank one.
pub fn open(state: &mut State) {
    if state.compose.is_blank() && state.compose.dialog.is_none() {
        state.compose = state.compose.fresh();
    }
    state.go(Screen::Compose);
}

fn mark(state: &mut State, now: Option<Instant>) {
    if let Some(now) = now {
        changed(state, now);
    }
}

fn changed(state: &mut State, now: Instant) {
    if state.compose.changed_at.is_none() {
        state.compose.changed_at = Some(now);
    }
}

/// Runs a compose command. Changes are dated by the last input (commands
/// come from keys, the palette or the mouse).
pub fn on_command(state: &mut State, command: ComposeCmd) -> Vec<Effect> {
    let now = state.last_input;
    let compose = &mut state.compose;
    match command {
        ComposeCmd::EditBody => {
            return vec![Effect::EditText {
                initial: text_of(&compose.body),
            }];
        }
        ComposeCmd::NextField | ComposeCmd::PrevField => {
            compose.completion = None;
            let delta = if command == ComposeCmd::NextField {
                1
            } else {
                -1
            };
            compose.focus = compose.focus.step(delta);
        }
        ComposeCmd::Send => return send::start(state),
        ComposeCmd::Attach | ComposeCmd::AttachXdm => {
            compose.completion = None;
            compose.path_prompt = Some(PathPrompt {
                input: TextArea::default(),
                xdm: command == ComposeCmd::AttachXdm,
                suggestions: Vec::new(),
                pending: None,
            });
        }
        ComposeCmd::RemoveAttachment => {
            if compose.attachment_cursor < compose.attachments.len() {
                compose.attachments.remove(compose.attachment_cursor);
                compose.attachment_cursor = compose
                    .attachment_cursor
                    .min(compose.attachments.len().saturating_sub(1));
                if compose.attachments.is_empty() {
                    compose.mss = MssHeaders::default();
                }
                mark(state, now);
            }
        }
        ComposeCmd::ToggleReceipt => {
            compose.receipt = !compose.receipt;
            let text = if compose.receipt {
                T::ComposeReceiptOn
            } else {
                T::ComposeReceiptOff
            };
            mark(state, now);
            state.notify(Notification::new(Level::Info, text));
        }
        ComposeCmd::CycleFrom => {
            if !compose.accounts.is_empty() {
                compose.from = (compose.from + 1) % compose.accounts.len();
                mark(state, now);
            }
        }
        ComposeCmd::SaveDraft => {
            return save(state, false);
        }
    }
    Vec::new()
}

/// Saves the draft now (nothing to save: nothing done).
pub fn save(state: &mut State, on_lock: bool) -> Vec<Effect> {
    if state.compose.is_blank() {
        return Vec::new();
    }
    state.compose.changed_at = None;
    vec![Effect::Compose(ComposeEffect::SaveDraft {
        id: state.compose.draft_id,
        draft: Box::new(StoredDraft::from_state(&state.compose)),
        on_lock,
    })]
}

/// When the next autosave is due, if any.
pub fn autosave_deadline(state: &State) -> Option<Instant> {
    state.compose.changed_at.map(|t| t + AUTOSAVE_AFTER)
}

/// A tick: saves a draft whose changes have waited long enough.
pub fn on_tick(state: &mut State, now: Instant) -> Vec<Effect> {
    match autosave_deadline(state) {
        Some(due) if now >= due && state.screen.needs_session() => save(state, false),
        _ => Vec::new(),
    }
}

/// The lock: the draft is saved (before the key goes), then forgotten.
pub fn on_lock(state: &mut State) -> Vec<Effect> {
    let effects = save(state, true);
    let restore = !effects.is_empty();
    state.compose = state.compose.fresh();
    state.compose.restore_after_unlock = restore;
    effects
}

/// After the unlock: ask for the draft the lock saved.
pub fn on_unlock(state: &mut State) -> Vec<Effect> {
    if !state.compose.restore_after_unlock {
        return Vec::new();
    }
    vec![Effect::Compose(ComposeEffect::LoadDrafts)]
}

pub fn on_draft_saved(state: &mut State, id: u64) {
    if state.compose.restore_after_unlock {
        // Saved by the lock: remember which draft to reopen.
        state.compose.draft_id = Some(id);
    } else if !state.compose.is_blank() && state.compose.draft_id.is_none() {
        state.compose.draft_id = Some(id);
    }
}

/// The drafts list arrived: after an unlock, the draft the lock saved is
/// reopened.
pub fn on_drafts(state: &mut State, drafts: &[(u64, StoredDraft)]) {
    if !state.compose.restore_after_unlock {
        return;
    }
    state.compose.restore_after_unlock = false;
    let wanted = state.compose.draft_id;
    let found = drafts
        .iter()
        .find(|(id, _)| Some(*id) == wanted)
        .or(drafts.last());
    if let Some((id, draft)) = found {
        load(state, *id, draft);
    }
}

/// Puts a stored draft in the composer.
pub fn load(state: &mut State, id: u64, draft: &StoredDraft) {
    let mut compose = draft.to_state(&state.compose);
    compose.draft_id = Some(id);
    state.compose = compose;
}

pub fn on_attached(state: &mut State, result: Result<AttachedFile, String>, now: Instant) {
    match result {
        Ok(file) => {
            let compose = &mut state.compose;
            compose.attachments.push(file.attachment);
            compose.attachment_cursor = compose.attachments.len() - 1;
            for code in file.codecda {
                if !compose.mss.codecda.contains(&code) {
                    compose.mss.codecda.push(code);
                }
            }
            if file.ins.is_some() {
                compose.mss.ins = file.ins;
            }
            if let Some(subject) = file.subject
                && compose.subject.is_empty()
            {
                compose.subject = area_with(&subject);
            }
            changed(state, now);
        }
        Err(reason) => state
            .notify(Notification::new(Level::Error, T::ComposeAttachFailed).arg("reason", reason)),
    }
}

pub fn on_editor_finished(state: &mut State, result: Result<String, String>, now: Instant) {
    match result {
        Ok(body) => {
            state.compose.body = area_with(body.trim_end_matches('\n'));
            changed(state, now);
            state.notify(Notification::new(Level::Info, T::NotifyDraftUpdated));
        }
        Err(reason) => state
            .notify(Notification::new(Level::Error, T::NotifyEditorFailed).arg("reason", reason)),
    }
}

#[cfg(test)]
mod tests;
