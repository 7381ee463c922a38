//! The summary of one message that lists, threads, filters and the cache work
//! with: who, when, what, how big, which flags. It is filled by the MIME
//! parser (`mail::mime`) or by the IMAP layer and carries no body. Every
//! string in it comes from an untrusted message: display code must still pass
//! it through `terminal_safe` (the rich-text spans do).

use serde::{Deserialize, Serialize};

/// A mailbox address with its decoded display name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    /// The display name when there is one, the e-mail address otherwise.
    pub fn display_name(&self) -> &str {
        match self.name.as_deref() {
            Some(n) if !n.trim().is_empty() => n,
            _ => &self.email,
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name.as_deref() {
            Some(n) if !n.trim().is_empty() => write!(f, "{n} <{}>", self.email),
            _ => f.write_str(&self.email),
        }
    }
}

/// A date as sent: the instant (UTC seconds since the epoch) plus the offset
/// the sender wrote, so the reader can show either local or original time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MailDate {
    pub utc_seconds: i64,
    /// The sender's UTC offset in minutes (`+0100` is 60).
    pub offset_minutes: i16,
}

impl MailDate {
    /// The instant in the sender's own offset (falls back to UTC when the
    /// stored values are out of range).
    pub fn to_offset_datetime(self) -> time::OffsetDateTime {
        let utc = time::OffsetDateTime::from_unix_timestamp(self.utc_seconds)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        match time::UtcOffset::from_whole_seconds(i32::from(self.offset_minutes) * 60) {
            Ok(offset) => utc.to_offset(offset),
            Err(_) => utc,
        }
    }
}

/// IMAP system flags plus keywords (`$MDNSent`, `$Forwarded`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub seen: bool,
    pub answered: bool,
    pub flagged: bool,
    pub deleted: bool,
    pub draft: bool,
    pub keywords: Vec<String>,
}

impl Flags {
    pub fn has_keyword(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

/// The keyword set once an MDN was sent or declined for a message (RFC 3503).
pub const KEYWORD_MDN_SENT: &str = "$MDNSent";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// IMAP UID within its mailbox (0 when the message did not come from IMAP).
    pub uid: u32,
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// First id of `In-Reply-To`, without angle brackets.
    pub in_reply_to: Option<String>,
    /// `References`, oldest first, without angle brackets.
    pub references: Vec<String>,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub date: Option<MailDate>,
    pub subject: String,
    /// Size of the raw message in bytes (RFC822.SIZE).
    pub size: u64,
    pub flags: Flags,
    pub has_attachment: bool,
    /// `Disposition-Notification-To` is present: the sender asks for a read receipt.
    pub receipt_requested: bool,
    /// The message is a `multipart/report` (MDN or DSN).
    pub is_report: bool,
}

impl Envelope {
    /// The first sender, if any.
    pub fn sender(&self) -> Option<&Address> {
        self.from.first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip_keeps_every_field() {
        let env = Envelope {
            uid: 7,
            message_id: Some("a@b".into()),
            in_reply_to: Some("p@b".into()),
            references: vec!["r@b".into(), "p@b".into()],
            from: vec![Address {
                name: Some("Dr Émile Test".into()),
                email: "emile@example.test".into(),
            }],
            date: Some(MailDate {
                utc_seconds: 1_767_225_600,
                offset_minutes: 60,
            }),
            subject: "Résultats".into(),
            size: 1234,
            flags: Flags {
                seen: true,
                keywords: vec![KEYWORD_MDN_SENT.into()],
                ..Flags::default()
            },
            receipt_requested: true,
            ..Envelope::default()
        };
        let json = serde_json::to_string(&env).unwrap();
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back, env);
        assert!(back.flags.has_keyword("$mdnsent"));
    }

    #[test]
    fn date_keeps_the_original_offset() {
        let d = MailDate {
            utc_seconds: 1_767_225_600, // 2026-01-01T00:00:00Z
            offset_minutes: 60,
        };
        let local = d.to_offset_datetime();
        assert_eq!(local.hour(), 1);
        assert_eq!(local.offset().whole_minutes(), 60);
    }

    #[test]
    fn address_display_uses_name_when_present() {
        let a = Address {
            name: None,
            email: "x@y.test".into(),
        };
        assert_eq!(a.display_name(), "x@y.test");
        assert_eq!(a.to_string(), "x@y.test");
    }
}
