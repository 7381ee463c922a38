//! Messages into `update` and effects out of it.
//!
//! Both are data: a `Msg` is something that happened (a key, a result from a
//! task, a push from a service); an `Effect` is something `update` wants done
//! (I/O, a timer, leaving the terminal). Secrets never travel in a `Msg`; the
//! one effect that carries a PIN moves a zeroizing [`Pin`] to its consumer.

use super::command::Command;
use super::keys::KeyPress;
use super::state::Notification;
use crate::domain::text::RichText;
use crate::records::backend::{DocumentEntry, DocumentQuery};
use std::time::{Duration, Instant};

/// A mouse gesture, in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseInput {
    Click { column: u16, row: u16 },
    ScrollUp { column: u16, row: u16 },
    ScrollDown { column: u16, row: u16 },
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyPress),
    Mouse(MouseInput),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    Command(Command),
    /// Time passes (notification expiry, idle lock); sent only when a deadline is due.
    Tick(Instant),
    Notify(Notification),
    Progress(Option<Progress>),
    /// Answers from the mail source (mailbox and reader).
    Mail(super::mail_msg::MailEvent),
    EditorFinished(Result<String, String>),
    /// The card accepted the PIN (the demo's simulated card for now).
    Unlocked,
    PinRejected {
        tries_left: u8,
    },
    /// Readers and cards coming and going, PIN outcomes (never the PIN).
    Card(crate::card::CardEvent),
    DirectoryResults {
        generation: u64,
        result: Result<Vec<crate::directory::model::Entry>, String>,
        /// The API part failed; the local results are still there.
        online_error: Option<String>,
    },
    AuditLoaded {
        generation: u64,
        result: Result<Vec<crate::audit::Entry>, String>,
    },
    RecordsListed {
        generation: u64,
        result: Result<Vec<DocumentEntry>, String>,
        /// From the local cache: the server was out of reach.
        offline: bool,
    },
    RecordOpened {
        generation: u64,
        result: Result<(String, RichText), String>,
        /// From the local cache: the server was out of reach.
        offline: bool,
    },
    /// Composing, drafts, the outbox, read receipts.
    Compose(super::mail_effects::ComposeMsg),
}

/// Background work shown as a gauge in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// What is being done, as a catalogue key (the words are the UI's).
    pub label: crate::app::i18n::T,
    pub done: u64,
    pub total: u64,
}

/// A PIN on its way to the card: zeroized on drop, never printed.
pub use crate::card::Pin;

#[derive(Debug)]
pub enum Effect {
    Quit,
    Suspend,
    /// Folders and their counts from the mail source.
    LoadFolders,
    /// Work for the mail source (list, rows, open, actions, search).
    Mail(super::mail_msg::MailEffect),
    /// Hand the terminal to `$EDITOR` on this text, then take it back.
    EditText {
        initial: String,
    },
    /// Send `Msg::Tick` after this delay.
    TickAfter(Duration),
    VerifyPin(Pin),
    /// Drop keys and close authenticated sessions (lock).
    DropSecrets,
    /// Several readers hold a card: the user chose this one.
    PreferReader {
        reader: String,
    },
    /// Demo only: pull out or put back the simulated card.
    ToggleDemoCard,
    SearchDirectory {
        query: Box<crate::directory::search::Query>,
        online: bool,
        generation: u64,
    },
    LoadAudit {
        query: Box<crate::audit::AuditQuery>,
        generation: u64,
    },
    FindRecords {
        query: Box<DocumentQuery>,
        generation: u64,
    },
    OpenRecord {
        entry: Box<DocumentEntry>,
        /// The patient of the list (the cache key).
        patient: Option<crate::records::ins::Ins>,
        emergency: bool,
        generation: u64,
    },
    /// Composing, drafts, the outbox, read receipts.
    Compose(super::mail_effects::ComposeEffect),
}
