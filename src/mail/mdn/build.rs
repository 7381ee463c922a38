//! Building a `displayed` MDN (RFC 8098 §3): `multipart/report;
//! report-type=disposition-notification` with a French human-readable part,
//! the machine-readable `message/disposition-notification` part and, when
//! given, the original headers as `text/rfc822-headers`.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};

use crate::mail::compose::{BuiltMessage, Envelope, Error, Mailbox, new_message_id};

/// How the sending of this MDN was decided (RFC 8098 §3.2.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendingMode {
    /// The user agreed to this receipt.
    Manually,
    /// The user's policy sends receipts without asking (only ever after
    /// [`super::decide`] returned `Automatic`).
    Automatically,
}

#[derive(Debug, Clone)]
pub struct Mdn {
    /// Who displayed the message (us).
    pub reporter: Mailbox,
    /// The `Disposition-Notification-To` address.
    pub to: String,
    /// Without brackets.
    pub original_message_id: String,
    pub original_subject: String,
    /// The recipient address as the original envelope had it, if known.
    pub original_recipient: Option<String>,
    /// The product token, e.g. `Cachet 0.1.0`.
    pub reporting_ua: String,
    pub mode: SendingMode,
    /// The original message's header block (optional third part).
    pub original_headers: Option<String>,
}

pub fn build_mdn(mdn: &Mdn, date_unix: i64) -> Result<BuiltMessage, Error> {
    let to = Mailbox::parse(&mdn.to)?;
    for (name, v) in [
        ("Original-Message-ID", &mdn.original_message_id),
        ("Reporting-UA", &mdn.reporting_ua),
    ] {
        if v.is_empty()
            || !v.bytes().all(|b| b.is_ascii() && !b.is_ascii_control())
            || v.contains(['<', '>'])
        {
            return Err(Error::BadHeaderValue {
                name: if name == "Reporting-UA" {
                    "Reporting-UA"
                } else {
                    "Original-Message-ID"
                },
            });
        }
    }
    if let Some(r) = &mdn.original_recipient {
        Mailbox::parse(r)?;
    }
    let message_id = new_message_id(&mdn.reporter.domain());
    let mode = match mdn.mode {
        SendingMode::Manually => "MDN-sent-manually",
        SendingMode::Automatically => "MDN-sent-automatically",
    };

    let human = format!(
        "Ceci est un accusé de lecture pour le message que vous avez envoyé à {}.\r\n\r\n\
         Objet : {}\r\n\
         Identifiant : <{}>\r\n\r\n\
         Le message a été affiché sur le poste du destinataire. Cela ne garantit pas \
         qu'il a été lu ni compris.\r\n",
        mdn.reporter.email,
        one_line(&mdn.original_subject),
        mdn.original_message_id
    );
    let mut report = format!(
        "Reporting-UA: {}; {}\r\n",
        mdn.reporter.domain(),
        mdn.reporting_ua
    );
    if let Some(r) = &mdn.original_recipient {
        report.push_str(&format!("Original-Recipient: rfc822;{r}\r\n"));
    }
    report.push_str(&format!(
        "Final-Recipient: rfc822;{}\r\nOriginal-Message-ID: <{}>\r\nDisposition: manual-action/{mode}; displayed\r\n",
        mdn.reporter.email, mdn.original_message_id
    ));

    let mut parts = vec![
        MimePart::new(
            ContentType::new("text/plain").attribute("charset", "utf-8"),
            BodyPart::Text(human.into()),
        ),
        // 7bit and written as is: the report is ASCII by construction and
        // must stay readable by every MDN parser.
        MimePart::new(
            ContentType::new("message/disposition-notification"),
            BodyPart::Text(report.into()),
        )
        .transfer_encoding("7bit"),
    ];
    if let Some(h) = &mdn.original_headers {
        let headers = h
            .split_once("\r\n\r\n")
            .or_else(|| h.split_once("\n\n"))
            .map_or(h.as_str(), |(h, _)| h);
        let headers = headers.replace("\r\n", "\n").replace('\n', "\r\n") + "\r\n";
        parts.push(MimePart::new(
            ContentType::new("text/rfc822-headers"),
            BodyPart::Text(headers.into()),
        ));
    }
    let body = MimePart::new(
        ContentType::new("multipart/report").attribute("report-type", "disposition-notification"),
        BodyPart::Multipart(parts),
    );
    let mut builder = MessageBuilder::new()
        .from(Address::new_address(
            mdn.reporter.name.clone(),
            mdn.reporter.email.clone(),
        ))
        .to(Address::new_address(None::<String>, to.email.clone()))
        .subject(format!(
            "Accusé de lecture : {}",
            one_line(&mdn.original_subject)
        ))
        .date(date_unix)
        .message_id(message_id.as_str())
        .references(mdn.original_message_id.as_str());
    if mdn.mode == SendingMode::Automatically {
        builder = builder.header("Auto-Submitted", Raw::new("auto-replied"));
    }
    let bytes = builder.body(body).write_to_vec().map_err(Error::Write)?;
    Ok(BuiltMessage {
        message_id,
        // Null reverse path (RFC 8098 §3): an MDN must never bounce.
        envelope: Envelope {
            from: String::new(),
            recipients: vec![to.email],
        },
        bytes,
    })
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{MessageParser, MimeHeaders, PartType};

    fn mdn() -> Mdn {
        Mdn {
            reporter: Mailbox::new(Some("Dr Bob"), "bob@example.test").unwrap(),
            to: "alice@example.test".into(),
            original_message_id: "123.abc@example.test".into(),
            original_subject: "Résultats".into(),
            original_recipient: Some("bob@example.test".into()),
            reporting_ua: "Cachet 0.1.0".into(),
            mode: SendingMode::Manually,
            original_headers: Some("From: alice@example.test\nSubject: x\n\nbody".into()),
        }
    }

    #[test]
    fn the_report_has_the_rfc_8098_shape() {
        let built = build_mdn(&mdn(), 1_764_000_000).unwrap();
        assert_eq!(built.envelope.from, "", "an MDN uses the null reverse path");
        assert_eq!(built.envelope.recipients, ["alice@example.test"]);
        let msg = MessageParser::default().parse(&built.bytes).unwrap();
        let ct = msg.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
        assert_eq!(
            ct.attribute("report-type"),
            Some("disposition-notification")
        );
        assert_eq!(msg.subject(), Some("Accusé de lecture : Résultats"));
        assert!(msg.body_text(0).unwrap().contains("accusé de lecture"));
        let raw = String::from_utf8_lossy(&built.bytes);
        for line in [
            "Content-Type: message/disposition-notification",
            "Reporting-UA: example.test; Cachet 0.1.0\r\n",
            "Original-Recipient: rfc822;bob@example.test\r\n",
            "Final-Recipient: rfc822;bob@example.test\r\n",
            "Original-Message-ID: <123.abc@example.test>\r\n",
            "Disposition: manual-action/MDN-sent-manually; displayed\r\n",
            "Content-Type: text/rfc822-headers",
        ] {
            assert!(raw.contains(line), "missing {line:?} in\n{raw}");
        }
        assert!(!raw.contains("Auto-Submitted"));
        assert!(
            !raw.contains("\r\nbody"),
            "the original body must not be copied"
        );
        let parts: Vec<_> = msg
            .parts
            .iter()
            .filter(|p| !matches!(p.body, PartType::Multipart(_)))
            .collect();
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn automatic_receipts_are_marked_and_bad_ids_refused() {
        let mut m = mdn();
        m.mode = SendingMode::Automatically;
        let raw = String::from_utf8(build_mdn(&m, 0).unwrap().bytes).unwrap();
        assert!(raw.contains("MDN-sent-automatically; displayed"));
        assert!(raw.contains("Auto-Submitted: auto-replied"));
        m.original_message_id = "x@y\r\nBcc: e@v.test".into();
        assert!(build_mdn(&m, 0).is_err());
        let mut m = mdn();
        m.to = "not an address".into();
        assert!(build_mdn(&m, 0).is_err());
    }
}
