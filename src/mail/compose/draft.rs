//! A draft and its serialisation with mail-builder.
//!
//! The text body is UTF-8; mail-builder picks 7bit, quoted-printable or
//! base64 per part so no line exceeds SMTP's limit. Attachments are always
//! base64, which is what makes the byte-exact round trip hold whatever the
//! content (CR, LF, NUL, trailing spaces).

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};

use super::{Error, Mailbox, new_message_id};

/// One attached file.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub name: String,
    /// MIME type, e.g. `application/pdf`, `application/zip` for `IHE_XDM.ZIP`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    // Health data: show the shape, never the content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// MSSanté headers (Réf. #2, ECO.2.4.x), given as values by the XDM builder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MssHeaders {
    /// `X-MSS-CODECDA`: the CDA `code` of each document in the XDM archive.
    pub codecda: Vec<String>,
    /// `X-MSS-INS`: set when a CDA carries the patient's INS (value `O`).
    pub ins: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub from: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Envelope-only recipients: never written into the headers.
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    pub body: String,
    /// Appended after the RFC 3676 separator `-- `.
    pub signature: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Message-ID (without brackets) of the message answered.
    pub in_reply_to: Option<String>,
    /// The thread, oldest first, without brackets.
    pub references: Vec<String>,
    /// Ask for a read receipt (`Disposition-Notification-To: <from>`).
    pub request_receipt: bool,
    pub mss: MssHeaders,
}

/// The SMTP envelope: reverse path and every recipient, Bcc included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    pub from: String,
    pub recipients: Vec<String>,
}

/// A serialised message ready for the outbox.
#[derive(Clone)]
pub struct BuiltMessage {
    /// Without angle brackets.
    pub message_id: String,
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for BuiltMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltMessage")
            .field("message_id", &self.message_id)
            .field("envelope", &self.envelope)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Draft {
    /// Serialises the draft with a fresh Message-ID and the given date
    /// (seconds since the epoch; the caller's clock, so tests are stable).
    pub fn build(&self, date_unix: i64) -> Result<BuiltMessage, Error> {
        let from = self.from.clone().ok_or(Error::BadAddress(String::new()))?;
        let message_id = new_message_id(&from.domain());
        self.build_with_id(date_unix, message_id)
    }

    /// Serialises with a given Message-ID (without brackets).
    pub fn build_with_id(&self, date_unix: i64, message_id: String) -> Result<BuiltMessage, Error> {
        let from = self.from.clone().ok_or(Error::BadAddress(String::new()))?;
        let recipients: Vec<String> = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|m| m.email.clone())
            .collect();
        if recipients.is_empty() {
            return Err(Error::NoRecipient);
        }
        check_id(&message_id)?;
        for id in self.in_reply_to.iter().chain(&self.references) {
            check_id(id)?;
        }
        for v in self.mss.codecda.iter().chain(&self.mss.ins) {
            if !is_plain_header_value(v) {
                return Err(Error::BadHeaderValue { name: "X-MSS-*" });
            }
        }

        let mut builder = MessageBuilder::new()
            .from(address(&from))
            .subject(self.subject.as_str())
            .date(date_unix)
            .message_id(message_id.as_str());
        if !self.to.is_empty() {
            builder = builder.to(address_list(&self.to));
        }
        if !self.cc.is_empty() {
            builder = builder.cc(address_list(&self.cc));
        }
        if let Some(parent) = &self.in_reply_to {
            builder = builder.in_reply_to(parent.as_str());
        }
        if !self.references.is_empty() {
            builder = builder.references(
                self.references
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
        }
        if self.request_receipt {
            builder = builder.header("Disposition-Notification-To", address(&from));
        }
        if !self.mss.codecda.is_empty() {
            builder = builder.header("X-MSS-CODECDA", Raw::new(self.mss.codecda.join(",")));
        }
        if let Some(ins) = &self.mss.ins {
            builder = builder.header("X-MSS-INS", Raw::new(ins.as_str()));
        }

        let text = MimePart::new(
            ContentType::new("text/plain").attribute("charset", "utf-8"),
            BodyPart::Text(self.full_text().into()),
        );
        let body = if self.attachments.is_empty() {
            text
        } else {
            let mut parts = vec![text];
            for a in &self.attachments {
                parts.push(
                    // Encoded here rather than by mail-builder, which picks
                    // quoted-printable for text/* types: a CDA XML file must
                    // come back byte for byte, line endings included.
                    MimePart::new(
                        ContentType::new(a.content_type.as_str()),
                        BodyPart::Text(base64_lines(&a.bytes).into()),
                    )
                    .attachment(a.name.as_str())
                    .transfer_encoding("base64"),
                );
            }
            MimePart::new(
                ContentType::new("multipart/mixed"),
                BodyPart::Multipart(parts),
            )
        };
        let bytes = builder.body(body).write_to_vec().map_err(Error::Write)?;
        Ok(BuiltMessage {
            message_id,
            envelope: Envelope {
                from: from.email,
                recipients,
            },
            bytes,
        })
    }

    /// Body plus signature, lines ending in CRLF as RFC 5322 requires.
    fn full_text(&self) -> String {
        let mut text = self.body.replace("\r\n", "\n");
        if let Some(sig) = self.signature.as_deref().filter(|s| !s.trim().is_empty()) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("\n-- \n");
            text.push_str(&sig.replace("\r\n", "\n"));
        }
        text.replace('\n', "\r\n")
    }
}

/// Base64 in 76-character lines (RFC 2045 §6.8), CRLF-terminated.
fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        // Base64 output is ASCII, so any byte boundary is a char boundary.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

fn address(m: &Mailbox) -> Address<'static> {
    Address::new_address(m.name.clone(), m.email.clone())
}

fn address_list(list: &[Mailbox]) -> Address<'static> {
    Address::new_list(list.iter().map(address).collect())
}

fn check_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.contains('@')
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    if ok {
        Ok(())
    } else {
        Err(Error::BadHeaderValue { name: "Message-ID" })
    }
}

fn is_plain_header_value(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii() && !b.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{MessageParser, MimeHeaders};

    fn mb(e: &str) -> Mailbox {
        Mailbox::parse(e).unwrap()
    }

    fn draft() -> Draft {
        Draft {
            from: Some(Mailbox::new(Some("Dr Émile Martin"), "alice@example.test").unwrap()),
            to: vec![mb("bob@example.test")],
            cc: vec![mb("carol@example.test")],
            bcc: vec![mb("secret@example.test")],
            subject: "Compte rendu – échographie".into(),
            body: "Bonjour,\nvoici le compte rendu. Ligne très longue ".repeat(20),
            signature: Some("Dr Martin\nCabinet".into()),
            attachments: vec![Attachment {
                name: "IHE_XDM.ZIP".into(),
                content_type: "application/zip".into(),
                bytes: (0..=255u8).chain([b'\r', b'\n', 0, b' ', b'\n']).collect(),
            }],
            in_reply_to: Some("parent@b.test".into()),
            references: vec!["root@a.test".into(), "parent@b.test".into()],
            request_receipt: true,
            mss: MssHeaders {
                codecda: vec!["11488-4".into(), "34133-9".into()],
                ins: Some("O".into()),
            },
        }
    }

    #[test]
    fn headers_envelope_and_attachment_survive_a_parse() {
        let built = draft().build(1_764_000_000).unwrap();
        assert!(built.message_id.ends_with("@example.test"));
        assert_eq!(built.envelope.from, "alice@example.test");
        assert_eq!(
            built.envelope.recipients,
            [
                "bob@example.test",
                "carol@example.test",
                "secret@example.test"
            ]
        );
        let raw = String::from_utf8_lossy(&built.bytes);
        assert!(
            !raw.to_ascii_lowercase().contains("secret@example.test"),
            "Bcc leaked into the headers"
        );
        assert!(
            raw.lines().all(|l| l.len() <= 998),
            "a line exceeds RFC 5322's limit"
        );

        let msg = MessageParser::default().parse(&built.bytes).unwrap();
        assert_eq!(msg.message_id(), Some(built.message_id.as_str()));
        assert_eq!(msg.subject(), Some("Compte rendu – échographie"));
        assert_eq!(msg.in_reply_to().as_text(), Some("parent@b.test"));
        let refs: Vec<_> = msg.references().as_text_list().unwrap().iter().collect();
        assert_eq!(refs, ["root@a.test", "parent@b.test"]);
        assert_eq!(
            msg.header_raw("X-MSS-CODECDA").map(str::trim),
            Some("11488-4,34133-9")
        );
        assert_eq!(msg.header_raw("X-MSS-INS").map(str::trim), Some("O"));
        assert!(
            msg.header_raw("Disposition-Notification-To")
                .unwrap()
                .contains("alice@example.test")
        );
        let body = msg.body_text(0).unwrap().replace("\r\n", "\n");
        assert!(
            body.starts_with("Bonjour,\nvoici le compte rendu."),
            "{body}"
        );
        assert!(body.contains("\n-- \nDr Martin\nCabinet"));
        let att = msg.attachment(0).unwrap();
        assert_eq!(att.attachment_name(), Some("IHE_XDM.ZIP"));
        assert_eq!(att.contents(), draft().attachments[0].bytes.as_slice());
    }

    #[test]
    fn no_receipt_header_unless_asked_and_no_recipient_is_refused() {
        let mut d = draft();
        d.request_receipt = false;
        d.mss = MssHeaders::default();
        let raw = d.build(0).unwrap().bytes;
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains("Disposition-Notification-To"));
        assert!(!text.contains("X-MSS-"));
        d.to.clear();
        d.cc.clear();
        d.bcc.clear();
        assert!(matches!(d.build(0), Err(Error::NoRecipient)));
    }

    #[test]
    fn header_injection_through_ids_is_refused() {
        let mut d = draft();
        d.in_reply_to = Some("x@y\r\nBcc: evil@x.test".into());
        assert!(matches!(d.build(0), Err(Error::BadHeaderValue { .. })));
        let mut d = draft();
        d.mss.ins = Some("O\r\nX-Evil: 1".into());
        assert!(matches!(d.build(0), Err(Error::BadHeaderValue { .. })));
    }
}

#[cfg(test)]
mod injection_tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn line_breaks_in_subject_and_names_cannot_forge_headers() {
        let d = Draft {
            from: Some(Mailbox::new(Some("Eve\r\nX-Forged: 1"), "alice@example.test").unwrap()),
            to: vec![Mailbox::parse("bob@example.test").unwrap()],
            subject: "Objet\r\nBcc: evil@example.test\r\nX-Forged: 2".into(),
            body: "x".into(),
            ..Draft::default()
        };
        let built = d.build(0).unwrap();
        let msg = MessageParser::default().parse(&built.bytes).unwrap();
        assert!(msg.header("Bcc").is_none());
        assert!(
            msg.header_raw("X-Forged").is_none(),
            "{}",
            String::from_utf8_lossy(&built.bytes)
        );
        assert_eq!(built.envelope.recipients, ["bob@example.test"]);
    }
}
