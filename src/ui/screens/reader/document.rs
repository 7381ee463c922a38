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
    }
}
