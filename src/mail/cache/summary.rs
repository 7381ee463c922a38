//! The per-message summary the cache keeps (a [`domain::envelope::Envelope`]:
//! addresses, subject, date, size, flags, attachment and receipt marks, the
//! threading ids) built from what IMAP fetched, and the one-byte flag form
//! the ordered index carries for each message.

use crate::domain::envelope::{Envelope, Flags as EnvFlags};
use crate::mail::imap::types::{FetchedEnvelope, Flags};
use crate::mail::mime::{Limits, envelope_from_header_block, parse_message};

/// Bits of the flag byte kept per message in the folder index.
pub mod bits {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;
    pub const ATTACHMENT: u8 = 32;
    pub const RECEIPT: u8 = 64;
    /// The IMAP system flags among the bits.
    pub const SYSTEM: u8 = SEEN | ANSWERED | FLAGGED | DELETED | DRAFT;
}

const SYSTEM_FLAGS: [(u8, &str); 5] = [
    (bits::SEEN, Flags::SEEN),
    (bits::ANSWERED, Flags::ANSWERED),
    (bits::FLAGGED, Flags::FLAGGED),
    (bits::DELETED, Flags::DELETED),
    (bits::DRAFT, Flags::DRAFT),
];

/// The system-flag bits of an IMAP flag set.
pub fn system_bits(flags: &Flags) -> u8 {
    SYSTEM_FLAGS
        .iter()
        .filter(|(_, name)| flags.contains(name))
        .fold(0, |acc, (bit, _)| acc | bit)
}

/// The keywords (non-system flags) of an IMAP flag set.
pub fn keywords(flags: &Flags) -> Vec<String> {
    flags
        .0
        .iter()
        .filter(|f| !f.starts_with('\\'))
        .cloned()
        .collect()
}

/// Rebuilds an IMAP flag set from the bits and keywords.
pub fn imap_flags(byte: u8, keywords: &[String]) -> Flags {
    let mut names: Vec<&str> = SYSTEM_FLAGS
        .iter()
        .filter(|(bit, _)| byte & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    names.extend(keywords.iter().map(String::as_str));
    Flags::of(names)
}

/// The envelope's flags in the domain form.
pub fn domain_flags(flags: &Flags) -> EnvFlags {
    EnvFlags {
        seen: flags.contains(Flags::SEEN),
        answered: flags.contains(Flags::ANSWERED),
        flagged: flags.contains(Flags::FLAGGED),
        deleted: flags.contains(Flags::DELETED),
        draft: flags.contains(Flags::DRAFT),
        keywords: keywords(flags),
    }
}

/// The full flag byte of a summary (system flags plus attachment/receipt marks).
pub fn flag_byte(env: &Envelope) -> u8 {
    let f = &env.flags;
    let mut b = 0;
    for (on, bit) in [
        (f.seen, bits::SEEN),
        (f.answered, bits::ANSWERED),
        (f.flagged, bits::FLAGGED),
        (f.deleted, bits::DELETED),
        (f.draft, bits::DRAFT),
        (env.has_attachment, bits::ATTACHMENT),
        (env.receipt_requested, bits::RECEIPT),
    ] {
        if on {
            b |= bit;
        }
    }
    b
}

/// The summary of a fetched envelope. Header fields that do not parse leave
/// their field empty; the message is never dropped.
pub fn summarise(fetched: &FetchedEnvelope) -> Envelope {
    let mut env = match envelope_from_header_block(fetched.uid, &fetched.header, &Limits::default())
    {
        Ok(env) => env,
        Err(_) => Envelope {
            uid: fetched.uid,
            ..Envelope::default()
        },
    };
    env.size = u64::from(fetched.size);
    env.flags = domain_flags(&fetched.flags);
    env.has_attachment = fetched.body.has_attachment;
    env.is_report |= fetched.body.mime_type == "multipart/report";
    env
}

/// The summary of a full raw message (demo import, APPENDed copies).
pub fn summarise_raw(uid: u32, raw: &[u8], flags: &Flags) -> Envelope {
    let mut env = match parse_message(raw, &Limits::default()) {
        Ok(m) => m.envelope(uid),
        Err(_) => Envelope {
            uid,
            ..Envelope::default()
        },
    };
    env.size = raw.len() as u64;
    env.flags = domain_flags(flags);
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::types::BodySummary;

    #[test]
    fn a_fetched_header_becomes_a_summary() {
        let fetched = FetchedEnvelope {
            uid: 9,
            flags: Flags::of(["\\Seen", "$MDNSent"]),
            size: 1234,
            internal_date: None,
            modseq: None,
            header: b"From: =?utf-8?q?Dr_=C3=89mile?= <e@x.test>\r\nTo: a@x.test\r\nSubject: Bilan\r\nMessage-ID: <m1@x>\r\nIn-Reply-To: <m0@x>\r\nReferences: <m0@x>\r\nDisposition-Notification-To: e@x.test\r\nDate: Mon, 02 Nov 2026 10:00:00 +0100\r\n".to_vec(),
            body: BodySummary {
                mime_type: "multipart/mixed".into(),
                has_attachment: true,
                parts: 2,
            },
        };
        let env = summarise(&fetched);
        assert_eq!(env.uid, 9);
        assert_eq!(env.subject, "Bilan");
        assert_eq!(env.from[0].name.as_deref(), Some("Dr Émile"));
        assert_eq!(env.message_id.as_deref(), Some("m1@x"));
        assert_eq!(env.in_reply_to.as_deref(), Some("m0@x"));
        assert!(env.receipt_requested && env.has_attachment && env.flags.seen);
        assert_eq!(env.flags.keywords, vec!["$MDNSent".to_string()]);
        assert_eq!(env.size, 1234);
        let b = flag_byte(&env);
        assert_eq!(b, bits::SEEN | bits::ATTACHMENT | bits::RECEIPT);
        assert_eq!(
            imap_flags(b & bits::SYSTEM, &env.flags.keywords),
            fetched.flags
        );
    }
}
