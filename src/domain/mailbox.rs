//! What the mailbox screens ask of a mail store, independent of where the
//! mail comes from (the demo generator, the encrypted IMAP cache).
//!
//! A [`MailSource`] is windowed: [`MailSource::list`] answers with the
//! ordered ids of a folder (after sort, threads and filters) and nothing
//! else, and [`MailSource::rows`] gives the few rows on screen, so a
//! 100k-message folder costs the UI one small vector of ids and a screenful
//! of decrypted rows. Every call is fallible with a typed [`SourceError`]
//! and may block (disk, network): the runtime calls the source from
//! `spawn_blocking`, never from `update`.
//!
//! Messages are handed over raw (RFC 5322 bytes in a zeroizing buffer): the
//! reader parses and renders them itself (`mail::mime`, `mail::render`), so
//! every source shows mail through the same, terminal-safe path.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Stable identifier of a message within a source (the IMAP UID in a cache
/// folder; any unique number in the demo).
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

/// The flags the screens show and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags {
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    /// IMAP `\Deleted`: gone at the next expunge.
    #[serde(default)]
    pub deleted: bool,
}

/// One flag, for a change applied to several messages at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flag {
    Seen,
    Flagged,
    Answered,
    Deleted,
}

/// Set (`set: true`) or clear one flag, like IMAP `STORE +FLAGS`/`-FLAGS`:
/// other flags are left as they are on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagChange {
    pub flag: Flag,
    pub set: bool,
}

impl Flags {
    pub fn get(self, flag: Flag) -> bool {
        match flag {
            Flag::Seen => self.seen,
            Flag::Flagged => self.flagged,
            Flag::Answered => self.answered,
            Flag::Deleted => self.deleted,
        }
    }

    /// These flags after `change`.
    pub fn with(mut self, change: FlagChange) -> Flags {
        let slot = match change.flag {
            Flag::Seen => &mut self.seen,
            Flag::Flagged => &mut self.flagged,
            Flag::Answered => &mut self.answered,
            Flag::Deleted => &mut self.deleted,
        };
        *slot = change.set;
        self
    }
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

/// Which messages of a folder a list shows. Every filter set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilters {
    pub unread: bool,
    pub flagged: bool,
    pub has_attachment: bool,
    /// Substring of the sender (name or address), case-insensitive.
    pub from: Option<String>,
    /// Substring of a To or Cc recipient (name or address), case-insensitive.
    pub to: Option<String>,
    /// Inclusive range of the message date, UTC seconds; `None` ends are open.
    pub date_from: Option<i64>,
    pub date_to: Option<i64>,
}

impl ListFilters {
    pub fn is_empty(&self) -> bool {
        *self == ListFilters::default()
    }
}

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub folder: String,
    pub sort: SortKey,
    /// Threads (JWZ): each thread ordered as a tree, threads by their newest message.
    pub threaded: bool,
    pub filters: ListFilters,
}

/// One position in an ordered list: which message, how deep in its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListEntry {
    pub id: MessageId,
    /// Depth in its thread (0 for a root, always 0 when not threaded).
    pub depth: u16,
}

/// The ordered content of a folder: ids only, rows come on demand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageList {
    pub entries: Vec<ListEntry>,
}

/// One line of the message list, ready to show (strings still untrusted:
/// the view makes them terminal-safe).
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
}

/// Raw message or attachment bytes: wiped on drop, never printed by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl Bytes {
    pub fn new(bytes: Vec<u8>) -> Bytes {
        Bytes(Zeroizing::new(bytes))
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

/// A message opened for reading: its raw bytes and its flags now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedMessage {
    pub id: MessageId,
    pub flags: Flags,
    /// The whole RFC 5322 message.
    pub raw: Bytes,
}

/// One attachment's decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    /// Decoded file name, if the message gave one (untrusted).
    pub name: Option<String>,
    pub mime_type: String,
    pub bytes: Bytes,
}

/// Why a source could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceErrorKind {
    /// No connection and the answer is not in the cache (or the action
    /// needs the server and cannot be queued).
    Offline,
    /// No such folder or message (expunged meanwhile).
    NotFound,
    /// The local encrypted store failed (or is locked).
    Store,
    /// The server refused or answered something unusable.
    Server,
    /// The request itself is wrong (a bad search query, a move to the same folder).
    Invalid,
    /// The message could not be parsed.
    Parse,
}

/// A source failure: its kind, and one sentence for logs and notifications
/// (never message content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SourceError {
    pub kind: SourceErrorKind,
    pub detail: String,
}

impl SourceError {
    pub fn new(kind: SourceErrorKind, detail: impl Into<String>) -> SourceError {
        SourceError {
            kind,
            detail: detail.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> SourceError {
        SourceError::new(SourceErrorKind::NotFound, what)
    }

    pub fn kind(&self) -> SourceErrorKind {
        self.kind
    }
}

/// A source of mail for the screens. Implementations are shared between
/// tasks (`Arc<dyn MailSource>`) and must be cheap to call concurrently.
pub trait MailSource: Send + Sync {
    /// Every folder with its counts (total, unread), in display order.
    fn folders(&self) -> Result<Vec<FolderInfo>, SourceError>;

    /// The ordered ids of a folder after sort, threads and filters.
    fn list(&self, query: &ListQuery) -> Result<MessageList, SourceError>;

    /// The rows for these ids, for the lines on screen. Ids no longer in
    /// the folder are left out (no error); order follows `ids`.
    fn rows(&self, folder: &str, ids: &[MessageId]) -> Result<Vec<MessageRow>, SourceError>;

    /// A message for reading (`Ok(None)`: not in this folder).
    fn open(&self, folder: &str, id: MessageId) -> Result<Option<OpenedMessage>, SourceError>;

    /// The raw message, for export and `--raw`.
    fn raw(&self, folder: &str, id: MessageId) -> Result<Option<Bytes>, SourceError> {
        Ok(self.open(folder, id)?.map(|m| m.raw))
    }

    /// The decoded content of the `index`-th attachment, in the order of
    /// `mail::mime::ParsedMessage::attachments`. The default parses the
    /// whole message; a source that can fetch one body part may do better.
    fn attachment(
        &self,
        folder: &str,
        id: MessageId,
        index: usize,
    ) -> Result<Option<AttachmentData>, SourceError> {
        let Some(raw) = self.raw(folder, id)? else {
            return Ok(None);
        };
        let parsed =
            crate::mail::mime::parse_message(raw.as_slice(), &crate::mail::mime::Limits::default())
                .map_err(|e| SourceError::new(SourceErrorKind::Parse, e.to_string()))?;
        let Some(info) = parsed.attachments().into_iter().nth(index) else {
            return Ok(None);
        };
        Ok(parsed.blob(info.blob).map(|bytes| AttachmentData {
            name: info.filename.clone(),
            mime_type: info.content_type.clone(),
            bytes: Bytes::new(bytes.to_vec()),
        }))
    }

    /// Sets or clears one flag on these messages.
    fn set_flags(
        &self,
        folder: &str,
        ids: &[MessageId],
        change: FlagChange,
    ) -> Result<(), SourceError>;

    /// Moves messages to another folder.
    fn move_to(&self, folder: &str, ids: &[MessageId], target: &str) -> Result<(), SourceError>;

    /// Deletes to Trash: a move to the Trash folder; in Trash itself, marks
    /// them `\Deleted` (gone at the next expunge).
    fn delete(&self, folder: &str, ids: &[MessageId]) -> Result<(), SourceError>;

    /// Removes the folder's `\Deleted` messages for good; returns how many.
    fn expunge(&self, folder: &str) -> Result<usize, SourceError>;

    /// Messages of the folder matching a query in the search language of
    /// `mail::search` (plain words, `from:`, `to:`, `subject:`, `date:`),
    /// newest first.
    fn search(&self, folder: &str, query: &str) -> Result<Vec<MessageId>, SourceError>;

    /// True while the source answers from its cache without a server
    /// (shown as the offline marker in the status bar).
    fn offline(&self) -> bool {
        false
    }

    /// A counter the source bumps when its content changed behind the
    /// screens' back (a sync batch, an IDLE push, a replayed queue, going
    /// on or off line): the runtime then asks for folders and the open list
    /// again. `None` (the default) for a source that never changes alone.
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_changes_touch_one_flag() {
        let flags = Flags {
            seen: true,
            flagged: false,
            answered: true,
            deleted: false,
        };
        let flagged = flags.with(FlagChange {
            flag: Flag::Flagged,
            set: true,
        });
        assert!(flagged.flagged && flagged.seen && flagged.answered);
        let unread = flagged.with(FlagChange {
            flag: Flag::Seen,
            set: false,
        });
        assert!(!unread.get(Flag::Seen) && unread.get(Flag::Flagged));
    }

    #[test]
    fn bytes_never_print_their_content() {
        let bytes = Bytes::new(b"Subject: secret".to_vec());
        assert_eq!(format!("{bytes:?}"), "Bytes(15 bytes)");
    }
}
