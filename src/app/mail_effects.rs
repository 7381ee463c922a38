//! Effects and results of composing and sending: completion, attachments,
//! drafts, the trust-space check, the outbox and read receipts.
//!
//! Grouped in one enum each ([`ComposeEffect`], [`ComposeMsg`]) so the runtime and
//! `update` route them with one arm; [`super::mail_service`] performs them,
//! the same code for the runtime and the headless harness.

use crate::mail::compose::Attachment;
use crate::mail::outbox::OutboxEntry;
use crate::ui::screens::compose::StoredDraft;
use std::path::PathBuf;
use zeroize::Zeroizing;

#[derive(Debug)]
pub enum ComposeEffect {
    /// Addresses for the recipient being typed: the directory and the
    /// addresses already used.
    Complete {
        prefix: String,
        generation: u64,
    },
    /// Files and folders starting with this path.
    CompletePath {
        prefix: String,
        generation: u64,
    },
    /// Reads a file to attach; `as_xdm` packages a CDA as `IHE_XDM.ZIP`.
    Attach {
        path: PathBuf,
        as_xdm: bool,
    },
    /// Which recipients are outside the MSSanté trust space.
    CheckTrust {
        recipients: Vec<String>,
        generation: u64,
    },
    /// Builds the message and commits it to the outbox (then a pass runs).
    Send {
        draft: Box<StoredDraft>,
        signature: Option<String>,
        /// Put the attachments in a password-protected archive first.
        protect: bool,
        /// The stored draft to remove once the message is queued.
        draft_id: Option<u64>,
    },
    /// Saves the draft encrypted; `on_lock` runs before the key is dropped.
    SaveDraft {
        id: Option<u64>,
        draft: Box<StoredDraft>,
        on_lock: bool,
    },
    LoadDrafts,
    DeleteDraft {
        id: u64,
    },
    ListOutbox,
    RetryOutbox {
        message_id: String,
    },
    CancelOutbox {
        message_id: String,
    },
    /// A pass over what is due (timer, reconnect, "send now").
    ProcessOutbox,
    /// The user agreed to send a read receipt.
    SendReceipt {
        receipt: Box<ReceiptToSend>,
    },
}

/// What the MDN needs from the message being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptToSend {
    pub reporter: String,
    pub to: String,
    pub original_message_id: String,
    pub original_subject: String,
}

/// One address offered while typing a recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub name: Option<String>,
    pub address: String,
    /// Profession, city (directory), or empty for an address already used.
    pub detail: String,
}

/// A password generated for a protected archive: shown once, never logged.
#[derive(Clone)]
pub struct ShownOnce(pub Zeroizing<String>);

impl std::fmt::Debug for ShownOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for ShownOnce {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

#[derive(Debug, Clone)]
pub enum ComposeMsg {
    Completions {
        generation: u64,
        items: Vec<Suggestion>,
    },
    PathCompletions {
        generation: u64,
        items: Vec<String>,
    },
    Attached(Result<AttachedFile, String>),
    TrustChecked {
        generation: u64,
        outside: Vec<String>,
    },
    Queued(Result<Queued, String>),
    DraftSaved {
        id: u64,
    },
    DraftFailed(String),
    Drafts(Result<Vec<(u64, StoredDraft)>, String>),
    Outbox(Result<Vec<OutboxEntry>, String>),
    /// What receipts and delivery reports said about sent messages.
    Tracked(Vec<(String, crate::mail::mdn::TrackedStatus)>),
    OutboxFailed(String),
    ReceiptQueued(Result<String, String>),
}

/// A file read for attachment, with the MSSanté headers an XDM calls for.
#[derive(Debug, Clone)]
pub struct AttachedFile {
    pub attachment: Attachment,
    pub codecda: Vec<String>,
    pub ins: Option<String>,
    /// The conventional subject of an XDM document, offered when the
    /// subject is still empty.
    pub subject: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Queued {
    pub message_id: String,
    /// The archive's password, when the attachments were protected.
    pub password: Option<ShownOnce>,
}
