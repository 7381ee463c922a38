//! The reader: one message, rendered by `mail::render` off the UI task.
//!
//! The state keeps the rendered document, never the raw bytes; changing how
//! it is shown (full headers, HTML alternative) asks the source again with
//! new options. Answers carry the generation of their request: a message
//! that arrives after the user moved on is dropped.

pub mod attachments;
pub mod document;
pub mod view;
pub mod wrap;

pub use attachments::{expand_path, save_effect};

use crate::app::command::ReaderCmd;
use crate::app::i18n::{Lang, T};
use crate::app::mail_msg::MailEffect;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, State};
use crate::domain::mailbox::{MessageId, SourceError};
use document::{ReaderDoc, ReaderOptions};

#[derive(Debug, Clone, Default)]
pub struct ReaderState {
    /// The message asked for, and the generation of that request.
    pub requested: Option<(MessageId, u64)>,
    /// The folder it was opened from.
    pub folder: String,
    pub message: Option<Box<ReaderDoc>>,
    /// Why the last open failed, if it did.
    pub error: Option<SourceError>,
    pub scroll: usize,
    pub full_headers: bool,
    pub prefer_html: bool,
    /// The language of the renderer's labels (set from the UI at start).
    pub lang: Lang,
    /// The highlighted attachment (save, view, XDM act on it).
    pub attachment: usize,
    /// The documents of an XDM attachment, shown over the message.
    pub xdm: Option<XdmView>,
}

/// An XDM package's document list, open in the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmView {
    pub generation: u64,
    pub listing: Option<document::XdmListing>,
    pub selected: usize,
}

impl ReaderState {
    pub fn open(&mut self, folder: &str, id: MessageId, generation: u64) {
        self.requested = Some((id, generation));
        self.folder = folder.to_string();
        self.message = None;
        self.error = None;
        self.scroll = 0;
        self.attachment = 0;
        self.xdm = None;
    }

    pub fn message_id(&self) -> Option<MessageId> {
        self.requested.map(|(id, _)| id)
    }

    pub fn options(&self) -> ReaderOptions {
        ReaderOptions {
            full_headers: self.full_headers,
            prefer_html: self.prefer_html,
            lang: self.lang,
        }
    }

    /// Forgets the message (the lock hides patient data).
    pub fn clear(&mut self) {
        self.message = None;
        self.error = None;
        self.xdm = None;
    }

    /// The highlighted attachment of the open message.
    pub fn current_attachment(&self) -> Option<&document::AttachmentEntry> {
        self.message.as_ref()?.attachments.get(self.attachment)
    }
}

/// The effect that (re)opens the requested message with the current options.
fn open_effect(state: &State, id: MessageId, generation: u64) -> Effect {
    Effect::Mail(MailEffect::Open {
        folder: state.reader.folder.clone(),
        id,
        options: state.reader.options(),
        generation,
    })
}

/// Asks again for the message being read (after an unlock, or new options).
pub fn reopen(state: &mut State) -> Vec<Effect> {
    let Some((id, _)) = state.reader.requested else {
        return Vec::new();
    };
    let generation = state.generation();
    state.reader.requested = Some((id, generation));
    vec![open_effect(state, id, generation)]
}

/// Starts opening a message of `folder`.
pub fn open(state: &mut State, folder: &str, id: MessageId) -> Vec<Effect> {
    let generation = state.generation();
    state.reader.open(folder, id, generation);
    vec![open_effect(state, id, generation)]
}

pub fn on_opened(
    state: &mut State,
    generation: u64,
    result: Result<Option<Box<ReaderDoc>>, SourceError>,
) {
    match state.reader.requested {
        Some((_, expected)) if expected == generation => {}
        _ => return, // stale: the user already opened another message
    }
    match result {
        Ok(Some(doc)) => {
            state.reader.message = Some(doc);
            state.reader.error = None;
        }
        Ok(None) => {
            state.reader.message = None;
            state.notify(Notification::new(Level::Warn, T::ReaderGone));
        }
        Err(error) => {
            state.reader.message = None;
            state.notify(
                Notification::new(Level::Error, T::NotifyMailError)
                    .arg("reason", error.to_string()),
            );
            state.reader.error = Some(error);
        }
    }
}

pub fn on_command(state: &mut State, command: ReaderCmd) -> Vec<Effect> {
    match command {
        ReaderCmd::ScrollDown | ReaderCmd::ScrollUp if state.reader.xdm.is_some() => {
            if let Some(xdm) = &mut state.reader.xdm {
                let count = xdm.listing.as_ref().map_or(0, |l| l.documents.len());
                xdm.selected = if command == ReaderCmd::ScrollDown {
                    (xdm.selected + 1).min(count.saturating_sub(1))
                } else {
                    xdm.selected.saturating_sub(1)
                };
            }
        }
        ReaderCmd::ScrollDown => state.reader.scroll = state.reader.scroll.saturating_add(1),
        ReaderCmd::ScrollUp => state.reader.scroll = state.reader.scroll.saturating_sub(1),
        ReaderCmd::ToggleHtml => {
            state.reader.prefer_html = !state.reader.prefer_html;
            let has_alternative = state
                .reader
                .message
                .as_ref()
                .is_some_and(|m| m.has_alternative);
            if !has_alternative {
                state.notify(Notification::new(Level::Info, T::NotifyNoAlternative));
                return Vec::new();
            }
            return reopen(state);
        }
        ReaderCmd::NextAttachment => {
            let count = state
                .reader
                .message
                .as_ref()
                .map_or(0, |m| m.attachments.len());
            if count > 0 {
                state.reader.attachment = (state.reader.attachment + 1) % count;
            }
        }
        ReaderCmd::SaveAttachment => return attachments::start_save(state),
        ReaderCmd::ViewAttachment => return attachments::view(state),
        ReaderCmd::Xdm => return attachments::xdm(state),
        ReaderCmd::ToggleHeaders => {
            state.reader.full_headers = !state.reader.full_headers;
            state.reader.scroll = 0;
            return reopen(state);
        }
        ReaderCmd::NextMessage | ReaderCmd::PrevMessage => {
            let delta = if command == ReaderCmd::NextMessage {
                1
            } else {
                -1
            };
            let before = state.mailbox.cursor.selected;
            let (len, height) = (
                state.mailbox.entries.len(),
                super::mailbox::page_height(state),
            );
            state.mailbox.cursor.move_by(delta, len, height);
            if state.mailbox.cursor.selected != before {
                return super::mailbox::open_selected(state);
            }
        }
        ReaderCmd::Reply => super::compose::answer(state, super::compose::ReplyKind::Reply),
        ReaderCmd::ReplyAll => super::compose::answer(state, super::compose::ReplyKind::ReplyAll),
        ReaderCmd::Forward => super::compose::answer(state, super::compose::ReplyKind::Forward),
    }
    Vec::new()
}

#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod tests;
