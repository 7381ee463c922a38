//! What the mailbox screens show, independent of where it comes from (the
//! demo generator today, the encrypted IMAP cache tomorrow).
//!
//! A [`MailSource`] answers list and open requests; the runtime calls it from
//! a task, never from `update`, so a slow source never blocks the UI.

use super::text::RichText;
use serde::{Deserialize, Serialize};

/// Stable identifier of a message within a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId(pub u64);

/// The role of a folder, from IMAP special-use or the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FolderRole {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Archive,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderInfo {
    /// The server's name (`INBOX`, `Sent`), used in requests.
    pub name: String,
    pub role: FolderRole,
    pub total: usize,
    pub unread: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags {
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    #[default]
    Date,
    Sender,
    Subject,
    Size,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Date => SortKey::Sender,
            SortKey::Sender => SortKey::Subject,
            SortKey::Subject => SortKey::Size,
            SortKey::Size => SortKey::Date,
        }
    }
}

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub folder: String,
    pub sort: SortKey,
    pub threaded: bool,
    pub unread_only: bool,
}

/// One line of the message list, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: MessageId,
    pub from: String,
    pub subject: String,
    /// Seconds since the epoch (UTC).
    pub date: i64,
    pub size: u64,
    pub flags: Flags,
    pub has_attachment: bool,
    pub receipt_requested: bool,
    /// Depth in its thread (0 for a root) when the list is threaded.
    pub depth: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub name: String,
    pub mime_type: String,
    pub size: u64,
}

/// A message opened for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedMessage {
    pub id: MessageId,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: i64,
    pub subject: String,
    pub attachments: Vec<AttachmentInfo>,
    pub receipt_requested: bool,
    /// Every header, in order, for the full-headers view.
    pub all_headers: Vec<(String, String)>,
    pub body: RichText,
}

/// A source of mail for the screens.
pub trait MailSource: Send + Sync {
    fn folders(&self) -> Vec<FolderInfo>;
    fn list(&self, query: &ListQuery) -> Vec<MessageRow>;
    fn open(&self, id: MessageId) -> Option<OpenedMessage>;
    fn set_flags(&self, id: MessageId, flags: Flags);
}
