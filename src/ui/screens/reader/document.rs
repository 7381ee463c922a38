//! A message ready for the reader: parsed (`mail::mime`) and rendered
//! (`mail::render`) off the UI task, from the raw bytes the source gives.
//!
//! Everything shown comes out of `render_message_with_links`, which passes
//! every string through `terminal_safe`; the few fields kept beside the
//! rendered text (sender, subject, attachment names) are made terminal-safe
//! by the view that draws them.

use crate::app::i18n::Lang;
use crate::domain::mailbox::{Flags, MessageId, OpenedMessage, SourceError, SourceErrorKind};
use crate::domain::text::RichText;
use crate::mail::mime::{Limits, ParsedMessage, Part, PartBody, parse_message};
use crate::mail::render::{HeaderBlock, Labels, Preference, RenderOptions};

/// How the reader shows a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReaderOptions {
    pub full_headers: bool,
    /// Show the HTML alternative rather than the plain text one.
    pub prefer_html: bool,
    pub lang: Lang,
}

/// One attachment as the reader lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentEntry {
    /// Position in `ParsedMessage::attachments` (what the source's
    /// `attachment(…, index)` expects).
    pub index: usize,
    /// Decoded file name (untrusted; empty when the part had none).
    pub name: String,
    pub mime_type: String,
    pub size: usize,
    /// An IHE XDM package (`IHE_XDM.ZIP`).
    pub is_xdm: bool,
}

/// The documents of an XDM attachment, from its `METADATA.XML`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XdmListing {
    pub attachment: usize,
    pub documents: Vec<XdmDocumentInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmDocumentInfo {
    pub title: String,
    pub patient: String,
    pub author: String,
    pub kind: String,
    /// As written in the metadata (HL7 timestamp), shown shortened.
    pub date: String,
    pub mime_type: String,
    /// A CDA the records viewer can render.
    pub is_cda: bool,
}

/// A message rendered for the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderDoc {
    pub id: MessageId,
    pub folder: String,
    pub flags: Flags,
    /// First sender as `Name <address>`, for a reply.
    pub from: String,
    pub subject: String,
    /// `Message-ID` without brackets, for the audit trail and replies.
    pub message_id: Option<String>,
    pub receipt_requested: bool,
    /// A `multipart/report` (MDN or DSN) shown as a receipt.
    pub is_report: bool,
    /// The message offers a plain and an HTML alternative.
    pub has_alternative: bool,
    pub options: ReaderOptions,
    pub attachments: Vec<AttachmentEntry>,
    /// Targets of the `[n]` link references in the text.
    pub links: Vec<String>,
    /// Headers, body, attached messages, receipts, attachment and link lists.
    pub body: RichText,
    /// The decoded headers: recipients, threading and receipt fields for a
    /// reply, a reply-all, a forward or a read receipt.
    pub headers: crate::mail::mime::Headers,
}

fn labels(lang: Lang) -> Labels {
    match lang {
        Lang::Fr => Labels::FRENCH,
        Lang::En => Labels::ENGLISH,
    }
}

fn has_alternative(part: &Part) -> bool {
    match &part.body {
        PartBody::Multipart { children, .. } => {
            part.content_type.is("multipart/alternative") || children.iter().any(has_alternative)
        }
        PartBody::Message { root, .. } => has_alternative(root),
        _ => false,
    }
}

/// Whether an attachment is an IHE XDM package, by name or content type.
pub fn is_xdm(name: &str, mime_type: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.eq_ignore_ascii_case("IHE_XDM.ZIP")
        || (mime_type.eq_ignore_ascii_case("application/zip")
            && base.to_ascii_uppercase().contains("XDM"))
}

/// Parses and renders a message for the reader.
pub fn build(
    folder: &str,
    opened: &OpenedMessage,
    options: ReaderOptions,
) -> Result<ReaderDoc, SourceError> {
    let parsed = parse_message(opened.raw.as_slice(), &Limits::default())
        .map_err(|e| SourceError::new(SourceErrorKind::Parse, e.to_string()))?;
    Ok(from_parsed(
        folder,
        opened.id,
        opened.flags,
        &parsed,
        options,
    ))
}

/// [`build`] from a parsed message.
pub fn from_parsed(
    folder: &str,
    id: MessageId,
    flags: Flags,
    parsed: &ParsedMessage,
    options: ReaderOptions,
) -> ReaderDoc {
    let render = RenderOptions {
        headers: if options.full_headers {
            HeaderBlock::Full
        } else {
            HeaderBlock::Summary
        },
        prefer: if options.prefer_html {
            Preference::Html
        } else {
            Preference::Plain
        },
        html_width: 78,
        labels: labels(options.lang),
    };
    let rendered = crate::mail::render::render_message_with_links(parsed, &render);
    let headers = &parsed.headers;
    let attachments = parsed
        .attachments()
        .into_iter()
        .enumerate()
        .map(|(index, a)| {
            let name = a.filename.clone().unwrap_or_default();
            AttachmentEntry {
                index,
                is_xdm: is_xdm(&name, &a.content_type),
                name,
                mime_type: a.content_type.clone(),
                size: a.size,
            }
        })
        .collect();
    ReaderDoc {
        id,
        folder: folder.to_string(),
        flags,
        from: headers
            .from
            .first()
            .map(ToString::to_string)
            .unwrap_or_default(),
        subject: headers.subject.clone().unwrap_or_default(),
        message_id: headers.message_id.clone(),
        receipt_requested: !headers.disposition_notification_to.is_empty(),
        is_report: parsed.is_report(),
        has_alternative: has_alternative(&parsed.root),
        options,
        attachments,
        links: rendered.links,
        body: rendered.text,
        headers: headers.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mailbox::Bytes;

    const ALTERNATIVE: &str = "From: =?UTF-8?B?RHIgw4ltaWxl?= <e@example.test>\r\n\
To: moi@example.test\r\n\
Subject: =?ISO-8859-1?Q?R=E9sultats?=\r\n\
Disposition-Notification-To: e@example.test\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Version texte.\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Version <b>HTML</b> <a href=\"https://exemple.test/r\">lien</a>\u{202e}</p>\r\n\
--b--\r\n";

    fn opened() -> OpenedMessage {
        OpenedMessage {
            id: MessageId(1),
            flags: Flags::default(),
            raw: Bytes::new(ALTERNATIVE.as_bytes().to_vec()),
        }
    }

    #[test]
    fn the_alternative_follows_the_preference_and_links_are_listed() {
        let plain = build("INBOX", &opened(), ReaderOptions::default()).expect("parses");
        assert!(plain.has_alternative && plain.receipt_requested);
        assert_eq!(plain.subject, "Résultats");
        assert!(plain.from.contains("Dr Émile"));
        let text = plain.body.to_plain_string(80);
        assert!(
            text.contains("Version texte") && !text.contains("HTML"),
            "{text}"
        );
        let html = build(
            "INBOX",
            &opened(),
            ReaderOptions {
                prefer_html: true,
                ..ReaderOptions::default()
            },
        )
        .expect("parses");
        let text = html.body.to_plain_string(80);
        assert!(text.contains("HTML"), "{text}");
        assert_eq!(html.links, vec!["https://exemple.test/r".to_string()]);
        assert!(
            !text.contains('\u{202e}'),
            "a bidi override never reaches the screen"
        );
    }

    #[test]
    fn full_headers_show_every_field() {
        let doc = build(
            "INBOX",
            &opened(),
            ReaderOptions {
                full_headers: true,
                ..ReaderOptions::default()
            },
        )
        .expect("parses");
        let text = doc.body.to_plain_string(80);
        assert!(text.contains("Disposition-Notification-To:"), "{text}");
        assert!(text.contains("MIME-Version:"), "{text}");
    }

    #[test]
    fn xdm_names_are_recognised() {
        assert!(is_xdm("IHE_XDM.ZIP", "application/octet-stream"));
        assert!(is_xdm("dossier/ihe_xdm.zip", "application/zip"));
        assert!(!is_xdm("photos.zip", "application/zip"));
    }
}
