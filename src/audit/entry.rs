//! What an audit entry holds. The serialized form of [`Entry`] (JSON, fields
//! in declaration order) is what the chain hashes, so the field order and
//! names are part of the trail format (version 1).

use serde::{Deserialize, Serialize};

/// The kind of traced action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    Logout,
    Lock,
    Unlock,
    Sync,
    Read,
    Send,
    Delete,
    Move,
    /// A flag set or cleared (read, follow-up, deleted mark).
    Flag,
    /// A folder's deleted messages removed for good.
    Expunge,
    DirectoryQuery,
    RecordList,
    RecordOpen,
    BreakGlass,
    Export,
    Prune,
    ProfileCreate,
    ProfileRewrap,
    ProfileRecover,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Lock => "lock",
            Action::Unlock => "unlock",
            Action::Sync => "sync",
            Action::Read => "read",
            Action::Send => "send",
            Action::Delete => "delete",
            Action::Move => "move",
            Action::Flag => "flag",
            Action::Expunge => "expunge",
            Action::DirectoryQuery => "directory_query",
            Action::RecordList => "record_list",
            Action::RecordOpen => "record_open",
            Action::BreakGlass => "break_glass",
            Action::Export => "export",
            Action::Prune => "prune",
            Action::ProfileCreate => "profile_create",
            Action::ProfileRewrap => "profile_rewrap",
            Action::ProfileRecover => "profile_recover",
        }
    }
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    /// Refused locally or by the server (rights, masking, PIN).
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// What the action was about. Every variant that names a person, an address
/// or a message is stored as a keyed hash (`kind:hex`), so the trail can be
/// searched for a known target but reveals none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Mailbox {
        address: String,
    },
    Address {
        address: String,
    },
    Message {
        message_id: String,
    },
    Patient {
        ins: String,
    },
    Document {
        id: String,
    },
    Query {
        text: String,
    },
    /// A non-identifying label kept in clear (e.g. `outbox`, `profile`).
    Label {
        text: String,
    },
}

impl Target {
    pub(crate) fn parts(&self) -> (&'static str, &str, bool) {
        match self {
            Target::Mailbox { address } => ("mailbox", address, true),
            Target::Address { address } => ("address", address, true),
            Target::Message { message_id } => ("message", message_id, true),
            Target::Patient { ins } => ("patient", ins, true),
            Target::Document { id } => ("document", id, true),
            Target::Query { text } => ("query", text, true),
            Target::Label { text } => ("label", text, false),
        }
    }
}

/// What a caller records; the trail adds time, holder, sequence and chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub action: Action,
    pub target: Option<Target>,
    /// Protocol request summary (command and arguments, never content).
    pub request: String,
    /// Server response code or status line, when there was one.
    pub response: Option<String>,
    pub outcome: Outcome,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    /// UTC time, milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub holder: String,
    pub action: Action,
    /// `kind:hash` or `label:text`.
    pub target: Option<String>,
    pub request: String,
    pub response: Option<String>,
    pub outcome: Outcome,
    /// Hex SHA-256 of the previous entry (or the anchor's hash).
    pub prev: String,
}
