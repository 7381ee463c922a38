//! The mailbox's effects and their answers, kept apart from `msg.rs` so the
//! mail screens grow without touching the other screens' messages.
//!
//! Every request the user can outrun (list, rows, open, search, XDM)
//! carries a generation; answers with an older one are dropped by the
//! screens. Actions (flags, move, delete, expunge) carry no message
//! content, only folder names and ids: the runtime audits them as they are.

use crate::domain::mailbox::{
    FlagChange, FolderInfo, ListQuery, MessageId, MessageList, MessageRow, SourceError,
};
use crate::ui::screens::reader::document::{ReaderDoc, ReaderOptions, XdmListing};
use std::path::PathBuf;

/// Something the mailbox or reader wants done against the mail source.
#[derive(Debug, Clone)]
pub enum MailEffect {
    /// The ordered ids of a folder.
    List {
        query: ListQuery,
        generation: u64,
    },
    /// The rows for the lines on screen.
    Rows {
        folder: String,
        ids: Vec<MessageId>,
        generation: u64,
    },
    /// Open (and render) a message for the reader.
    Open {
        folder: String,
        id: MessageId,
        options: ReaderOptions,
        generation: u64,
    },
    SetFlags {
        folder: String,
        ids: Vec<MessageId>,
        change: FlagChange,
    },
    Move {
        folder: String,
        ids: Vec<MessageId>,
        target: String,
    },
    /// To Trash (in Trash: marked deleted).
    Delete {
        folder: String,
        ids: Vec<MessageId>,
    },
    Expunge {
        folder: String,
    },
    Search {
        folder: String,
        query: String,
        generation: u64,
    },
    /// Writes an attachment to a path the user typed and confirmed.
    SaveAttachment {
        folder: String,
        id: MessageId,
        index: usize,
        path: PathBuf,
        /// The user confirmed replacing an existing file.
        overwrite: bool,
    },
    /// Hands an attachment to the system viewer through `$XDG_RUNTIME_DIR`.
    ViewAttachment {
        folder: String,
        id: MessageId,
        index: usize,
    },
    /// Lists the documents of an `IHE_XDM.ZIP` attachment.
    OpenXdm {
        folder: String,
        id: MessageId,
        index: usize,
        generation: u64,
    },
    /// Renders one CDA document of an XDM package.
    OpenXdmDocument {
        folder: String,
        id: MessageId,
        index: usize,
        document: usize,
        generation: u64,
    },
}

/// What a mailbox action did, for the notification that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Flags,
    Move,
    Delete,
    Expunge,
}

/// Answers from the mail source.
#[derive(Debug, Clone)]
pub enum MailEvent {
    Folders {
        result: Result<Vec<FolderInfo>, SourceError>,
        offline: bool,
    },
    Listed {
        generation: u64,
        result: Result<MessageList, SourceError>,
        offline: bool,
    },
    Rows {
        generation: u64,
        result: Result<Vec<MessageRow>, SourceError>,
    },
    Opened {
        generation: u64,
        result: Result<Option<Box<ReaderDoc>>, SourceError>,
    },
    Searched {
        generation: u64,
        result: Result<Vec<MessageId>, SourceError>,
    },
    /// An action finished: `count` messages touched (expunge: removed).
    ActionDone {
        kind: ActionKind,
        result: Result<usize, SourceError>,
    },
    /// The attachment was written (or why not).
    Saved { result: Result<PathBuf, SaveError> },
    /// The viewer was started (or why not).
    Viewed { result: Result<(), String> },
    XdmListed {
        generation: u64,
        result: Result<XdmListing, String>,
    },
    XdmDocument {
        generation: u64,
        result: Result<(String, crate::domain::text::RichText), String>,
    },
    /// The source's content changed on its own (sync, new mail, offline).
    Changed,
}

/// Why an attachment was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// The file exists and the user has not confirmed replacing it.
    Exists(PathBuf),
    Failed(String),
}
