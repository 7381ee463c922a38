//! The reader: one message, its headers, its body, its attachments.

pub mod view;

use crate::app::command::ReaderCmd;
use crate::app::msg::Effect;
use crate::app::state::State;
use crate::domain::mailbox::{MessageId, OpenedMessage};

#[derive(Debug, Clone, Default)]
pub struct ReaderState {
    /// The message asked for, and the generation of that request.
    pub requested: Option<(MessageId, u64)>,
    pub message: Option<Box<OpenedMessage>>,
    pub scroll: usize,
    pub full_headers: bool,
}

impl ReaderState {
    pub fn open(&mut self, id: MessageId, generation: u64) {
        self.requested = Some((id, generation));
        self.message = None;
        self.scroll = 0;
    }

    pub fn message_id(&self) -> Option<MessageId> {
        self.requested.map(|(id, _)| id)
    }

    /// Forgets the message (the lock hides patient data).
    pub fn clear(&mut self) {
        self.message = None;
    }
}

pub fn on_opened(state: &mut State, generation: u64, message: Option<Box<OpenedMessage>>) {
    match state.reader.requested {
        Some((_, expected)) if expected == generation => state.reader.message = message,
        _ => {} // stale: the user already opened another message
    }
}

pub fn on_command(state: &mut State, command: ReaderCmd) -> Vec<Effect> {
    match command {
        ReaderCmd::ScrollDown => state.reader.scroll = state.reader.scroll.saturating_add(1),
        ReaderCmd::ScrollUp => state.reader.scroll = state.reader.scroll.saturating_sub(1),
        ReaderCmd::ToggleHeaders => {
            state.reader.full_headers = !state.reader.full_headers;
            state.reader.scroll = 0;
        }
        ReaderCmd::NextMessage | ReaderCmd::PrevMessage => {
            let delta = if command == ReaderCmd::NextMessage {
                1
            } else {
                -1
            };
            let before = state.mailbox.cursor.selected;
            let (len, height) = (state.mailbox.rows.len(), super::mailbox::page_height(state));
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
mod tests;
