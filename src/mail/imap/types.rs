//! Plain data the IMAP layer hands out: flags, folders, selection state and the fetched
//! envelope (raw header bytes plus what the list needs). Serde so the store can keep them;
//! `Debug` of an envelope never prints header bytes (they are health data).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// A message's flags, system flags written the RFC 3501 way (`\Seen`), keywords as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags(pub BTreeSet<String>);

impl Flags {
    pub const SEEN: &'static str = "\\Seen";
    pub const ANSWERED: &'static str = "\\Answered";
    pub const FLAGGED: &'static str = "\\Flagged";
    pub const DELETED: &'static str = "\\Deleted";
    pub const DRAFT: &'static str = "\\Draft";

    /// Builds a flag set; `\Recent` is left out: it is per session (one client sees it,
    /// the next does not), so keeping it would make every resync see spurious changes.
    pub fn of<I: IntoIterator<Item = S>, S: AsRef<str>>(flags: I) -> Flags {
        Flags(
            flags
                .into_iter()
                .map(|f| normalise(f.as_ref()))
                .filter(|f| f != "\\Recent")
                .collect(),
        )
    }

    pub fn contains(&self, flag: &str) -> bool {
        self.0.contains(&normalise(flag))
    }

    /// The IMAP list form `(\Flagged \Seen)`.
    pub fn to_imap_list(&self) -> String {
        let inner: Vec<&str> = self.0.iter().map(String::as_str).collect();
        format!("({})", inner.join(" "))
    }
}

/// System flags are case-insensitive on the wire; keep one spelling so sets compare.
fn normalise(flag: &str) -> String {
    const SYSTEM: [&str; 6] = [
        "\\Seen",
        "\\Answered",
        "\\Flagged",
        "\\Deleted",
        "\\Draft",
        "\\Recent",
    ];
    SYSTEM
        .iter()
        .find(|s| s.eq_ignore_ascii_case(flag))
        .map_or_else(|| flag.to_string(), |s| (*s).to_string())
}

/// RFC 6154 roles (plus the INBOX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SpecialUse {
    Inbox,
    Sent,
    Drafts,
    Trash,
    Archive,
    Junk,
    All,
    Flagged,
}

/// One folder from LIST, with its STATUS counts when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// The name as on the wire (modified UTF-7); it is the folder's identifier.
    pub name: String,
    pub delimiter: Option<String>,
    pub special_use: Option<SpecialUse>,
    pub selectable: bool,
    pub status: Option<FolderStatus>,
}

impl Folder {
    /// The name for display (modified UTF-7 decoded).
    pub fn display_name(&self) -> String {
        super::mutf7::decode(&self.name)
    }
}

/// STATUS counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderStatus {
    pub messages: u32,
    pub unseen: u32,
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
    pub highest_modseq: Option<u64>,
}

/// What SELECT/EXAMINE told us about the open folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selected {
    pub name: String,
    pub uid_validity: u32,
    pub uid_next: Option<u32>,
    /// None when the server has no CONDSTORE for this folder (NOMODSEQ).
    pub highest_modseq: Option<u64>,
    pub exists: u32,
    pub read_only: bool,
}

/// The MIME shape of a message, reduced to what a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodySummary {
    /// `type/subtype` of the top-level part, lower case.
    pub mime_type: String,
    pub has_attachment: bool,
    /// Number of leaf parts.
    pub parts: u32,
}

/// One message as fetched for the list: raw header fields, flags, size, MIME summary.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedEnvelope {
    pub uid: u32,
    pub flags: Flags,
    pub size: u32,
    /// INTERNALDATE as sent (`17-Jul-1996 02:44:25 -0700`).
    pub internal_date: Option<String>,
    pub modseq: Option<u64>,
    /// The header fields listed in [`HEADER_FIELDS`], raw, for the MIME parser.
    pub header: Vec<u8>,
    pub body: BodySummary,
}

impl std::fmt::Debug for FetchedEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedEnvelope")
            .field("uid", &self.uid)
            .field("flags", &self.flags)
            .field("size", &self.size)
            .field("header_len", &self.header.len())
            .field("body", &self.body)
            .finish()
    }
}

/// Header fields fetched for each envelope: what the list, the threads (References,
/// In-Reply-To, Message-ID), receipts (Disposition-Notification-To) and MSSanté
/// (X-MSS-*) need. Raw fields rather than ENVELOPE so encoded words and exact addresses
/// reach the MIME parser untouched.
pub const HEADER_FIELDS: &[&str] = &[
    "Date",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Disposition-Notification-To",
    "Return-Path",
    "Content-Type",
    "X-MSS-CODECDA",
    "X-MSS-INS",
];

/// A flag change seen on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagUpdate {
    pub uid: u32,
    pub flags: Flags,
    pub modseq: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_compare_case_insensitively() {
        let a = Flags::of(["\\SEEN", "$label1"]);
        assert!(a.contains("\\Seen"));
        assert_eq!(a, Flags::of(["\\seen", "$label1"]));
        assert_ne!(a, Flags::of(["\\seen", "$LABEL1"]));
    }

    #[test]
    fn recent_is_never_kept() {
        let f = Flags::of(["\\Recent", "\\Seen", "\\Flagged"]);
        assert_eq!(f.to_imap_list(), "(\\Flagged \\Seen)");
    }

    #[test]
    fn envelope_debug_hides_headers() {
        let e = FetchedEnvelope {
            uid: 7,
            flags: Flags::default(),
            size: 10,
            internal_date: None,
            modseq: None,
            header: b"Subject: patient DUPONT".to_vec(),
            body: BodySummary::default(),
        };
        let text = format!("{e:?}");
        assert!(!text.contains("DUPONT"));
        assert!(text.contains("header_len: 23"));
    }
}
