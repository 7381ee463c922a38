//! From mail-parser's flat part list to the owned [`Part`] tree, enforcing
//! [`Limits`] as it walks. The walk recurses once per nesting level and
//! checks the depth before recursing, so the stack is bounded by
//! `Limits::max_depth` whatever the input.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::charset::decode_text;
use super::headers::{Headers, KeepFields};
use super::model::{BlobId, ContentType, ParsedMessage, Part, PartBody, TextFormat};
use super::report::{Report, parse_dsn, parse_mdn};
use super::{Error, Limits};
use crate::domain::envelope::Envelope;

/// Parse raw RFC 5322 bytes.
pub fn parse_message(raw: &[u8], limits: &Limits) -> Result<ParsedMessage, Error> {
    if raw.len() > limits.max_message_bytes {
        return Err(Error::TooLarge {
            size: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    // mail-parser is well tested but not written for our no-panic rule;
    // a panic on some hostile input must not take the reader down.
    let message = catch_unwind(AssertUnwindSafe(|| MessageParser::default().parse(raw)))
        .map_err(|_| Error::ParserFailed)?
        .ok_or(Error::NotAMessage)?;
    let mut walker = Walker {
        limits,
        parts: 0,
        blobs: Vec::new(),
    };
    let headers = walker.headers(&message, 0)?;
    let root = walker.part(&message, 0, "1".to_string(), 0)?;
    Ok(ParsedMessage {
        headers,
        root,
        raw_size: raw.len(),
        blobs: walker.blobs,
    })
}

/// The envelope of a raw message (flags empty: they come from IMAP).
pub fn envelope_from_bytes(uid: u32, raw: &[u8], limits: &Limits) -> Result<Envelope, Error> {
    Ok(parse_message(raw, limits)?.envelope(uid))
}

/// The envelope of a header block alone (the header fields a sync fetches):
/// only the headers are parsed and only the fields an envelope needs are
/// decoded. Flags, size and attachments are left for the caller, who has
/// them from IMAP; a message is a report when its type says so.
pub fn envelope_from_header_block(
    uid: u32,
    raw: &[u8],
    limits: &Limits,
) -> Result<Envelope, Error> {
    if raw.len() > limits.max_header_bytes {
        return Err(Error::HeadersTooLarge {
            limit: limits.max_header_bytes,
        });
    }
    let message = catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default().parse_headers(raw)
    }))
    .map_err(|_| Error::ParserFailed)?
    .ok_or(Error::NotAMessage)?;
    let Some(part) = message.parts.first() else {
        return Err(Error::NotAMessage);
    };
    if part.headers.len() > limits.max_header_fields {
        return Err(Error::TooManyHeaders {
            limit: limits.max_header_fields,
        });
    }
    let is_report = part.content_type().is_some_and(|t| {
        t.ctype().eq_ignore_ascii_case("multipart")
            && t.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let headers = Headers::from_parser(&part.headers, raw, KeepFields::TypedOnly);
    Ok(Envelope {
        is_report,
        ..envelope_of(uid, headers, raw.len())
    })
}

/// The envelope of decoded headers; `flags`, attachments and report are
/// left for the caller.
fn envelope_of(uid: u32, h: Headers, size: usize) -> Envelope {
    Envelope {
        uid,
        message_id: h.message_id,
        in_reply_to: h.in_reply_to.into_iter().next(),
        references: h.references,
        from: h.from,
        to: h.to,
        cc: h.cc,
        date: h.date,
        subject: h.subject.unwrap_or_default(),
        size: size as u64,
        flags: Default::default(),
        has_attachment: false,
        receipt_requested: !h.disposition_notification_to.is_empty(),
        is_report: false,
    }
}

impl ParsedMessage {
    /// The envelope of this message; `flags` are left empty for the caller.
    pub fn envelope(&self, uid: u32) -> Envelope {
        Envelope {
            has_attachment: self
                .attachments()
                .iter()
                .any(|a| a.filename.is_some() || !a.content_type.starts_with("image/")),
            is_report: self.is_report(),
            ..envelope_of(uid, self.headers.clone(), self.raw_size)
        }
    }
}

struct Walker<'l> {
    limits: &'l Limits,
    parts: usize,
    blobs: Vec<Vec<u8>>,
}

impl Walker<'_> {
    fn headers(&self, message: &Message<'_>, id: u32) -> Result<Headers, Error> {
        let Some(part) = message.parts.get(id as usize) else {
            return Ok(Headers::default());
        };
        self.check_header_block(part)?;
        Ok(Headers::from_parser(
            &part.headers,
            message.raw_message(),
            KeepFields::All,
        ))
    }

    fn check_header_block(&self, part: &MessagePart<'_>) -> Result<(), Error> {
        let bytes = part.offset_body.saturating_sub(part.offset_header) as usize;
        if bytes > self.limits.max_header_bytes {
            return Err(Error::HeadersTooLarge {
                limit: self.limits.max_header_bytes,
            });
        }
        if part.headers.len() > self.limits.max_header_fields {
            return Err(Error::TooManyHeaders {
                limit: self.limits.max_header_fields,
            });
        }
        Ok(())
    }

    fn part(
        &mut self,
        message: &Message<'_>,
        id: u32,
        path: String,
        depth: usize,
    ) -> Result<Part, Error> {
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(Error::TooManyParts {
                limit: self.limits.max_parts,
            });
        }
        if depth > self.limits.max_depth {
            return Err(Error::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        let raw = message.raw_message();
        let Some(mp) = message.parts.get(id as usize) else {
            return Err(Error::NotAMessage);
        };
        self.check_header_block(mp)?;
        let content_type = content_type(mp);
        let disposition = mp
            .content_disposition()
            .map(|d| d.ctype().to_ascii_lowercase());
        let filename = mp
            .content_disposition()
            .and_then(|d| d.attribute("filename"))
            .or_else(|| mp.content_type().and_then(|c| c.attribute("name")))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let content_id = mp
            .content_id()
            .map(|c| c.trim().trim_matches(['<', '>']).to_string());
        let is_attachment = disposition.as_deref() == Some("attachment") || filename.is_some();

        let (body, size) = match &mp.body {
            PartType::Multipart(ids) => {
                let mut children = Vec::with_capacity(ids.len().min(self.limits.max_parts));
                for (i, child) in ids.iter().enumerate() {
                    let child_path = if depth == 0 {
                        (i + 1).to_string()
                    } else {
                        format!("{path}.{}", i + 1)
                    };
                    children.push(self.part(message, *child, child_path, depth + 1)?);
                }
                let report = content_type
                    .is("multipart/report")
                    .then(|| find_report(&children))
                    .flatten()
                    .map(Box::new);
                let size = mp.offset_end.saturating_sub(mp.offset_body) as usize;
                (PartBody::Multipart { children, report }, size)
            }
            PartType::Message(nested) => {
                let headers = self.headers(nested, 0)?;
                let raw_part = raw
                    .get(mp.offset_body as usize..mp.offset_end as usize)
                    .unwrap_or_default();
                if headers.fields.is_empty() {
                    // Not a message at all (some senders put a note there):
                    // show its text rather than an empty message.
                    let (text, charset_fallback) = decode_text(raw_part, None);
                    let size = text.len();
                    (
                        PartBody::Text {
                            text,
                            format: TextFormat::Plain,
                            charset_fallback,
                        },
                        size,
                    )
                } else {
                    let root = self.part(nested, 0, format!("{path}.1"), depth + 1)?;
                    (
                        PartBody::Message {
                            headers: Box::new(headers),
                            root: Box::new(root),
                        },
                        raw_part.len(),
                    )
                }
            }
            PartType::Text(text) | PartType::Html(text) if !is_attachment => {
                let is_html = matches!(mp.body, PartType::Html(_));
                let (text, charset_fallback) = if text.contains('\u{FFFD}') {
                    // mail-parser met bytes it could not decode: redo it with
                    // encoding_rs and the Windows-1252 fallback.
                    let bytes = transfer_decoded(raw, mp);
                    decode_text(&bytes, content_type.param("charset"))
                } else {
                    (text.to_string(), false)
                };
                let format = if is_html {
                    TextFormat::Html
                } else if content_type
                    .param("format")
                    .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
                {
                    TextFormat::Flowed {
                        delete_space: content_type
                            .param("delsp")
                            .is_some_and(|d| d.eq_ignore_ascii_case("yes")),
                    }
                } else {
                    TextFormat::Plain
                };
                let size = text.len();
                (
                    PartBody::Text {
                        text,
                        format,
                        charset_fallback,
                    },
                    size,
                )
            }
            PartType::Text(_) | PartType::Html(_) => {
                // A text file sent as an attachment: keep its original bytes.
                let bytes = transfer_decoded(raw, mp);
                self.blob(bytes)
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                if is_machine_report(&content_type) {
                    let (text, _) = decode_text(bytes, None);
                    let size = text.len();
                    (
                        PartBody::Text {
                            text,
                            format: TextFormat::Plain,
                            charset_fallback: false,
                        },
                        size,
                    )
                } else {
                    self.blob(bytes.to_vec())
                }
            }
        };
        Ok(Part {
            path,
            content_type,
            disposition,
            filename,
            content_id,
            size,
            body,
        })
    }

    fn blob(&mut self, bytes: Vec<u8>) -> (PartBody, usize) {
        let size = bytes.len();
        let blob = BlobId(self.blobs.len());
        self.blobs.push(bytes);
        (PartBody::Binary { blob, size }, size)
    }
}

fn content_type(mp: &MessagePart<'_>) -> ContentType {
    let Some(ct) = mp.content_type() else {
        return ContentType::new("text/plain");
    };
    let top = ct.ctype().trim().to_ascii_lowercase();
    let sub = ct
        .subtype()
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mime_type = match (top.is_empty(), sub.is_empty()) {
        (true, _) => "text/plain".to_string(),
        (false, true) => format!("{top}/octet-stream"),
        (false, false) => format!("{top}/{sub}"),
    };
    ContentType {
        mime_type,
        params: ct
            .attributes()
            .unwrap_or_default()
            .iter()
            .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
            .collect(),
    }
}

fn is_machine_report(ct: &ContentType) -> bool {
    matches!(
        ct.mime_type.as_str(),
        "message/disposition-notification"
            | "message/global-disposition-notification"
            | "message/delivery-status"
            | "message/global-delivery-status"
            | "text/rfc822-headers"
            | "message/global-headers"
    )
}

fn find_report(children: &[Part]) -> Option<Report> {
    children.iter().find_map(|child| {
        let PartBody::Text { text, .. } = &child.body else {
            return None;
        };
        match child.content_type.mime_type.as_str() {
            "message/disposition-notification" | "message/global-disposition-notification" => {
                Some(Report::Read(parse_mdn(text)))
            }
            "message/delivery-status" | "message/global-delivery-status" => {
                Some(Report::Delivery(parse_dsn(text)))
            }
            _ => None,
        }
    })
}

/// The part's body with only its transfer encoding undone (no charset
/// decoding). mail-parser's decoders are reused by feeding it a one-part
/// message, so there is a single base64/QP implementation in the program.
fn transfer_decoded(raw: &[u8], mp: &MessagePart<'_>) -> Vec<u8> {
    let Some(body) = raw.get(mp.offset_body as usize..mp.offset_end as usize) else {
        return Vec::new();
    };
    let cte = match mp.encoding {
        Encoding::None => return body.to_vec(),
        Encoding::Base64 => "base64",
        Encoding::QuotedPrintable => "quoted-printable",
    };
    let mut synthetic = format!(
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    .into_bytes();
    synthetic.extend_from_slice(body);
    catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default()
            .parse(&synthetic)
            .and_then(|m| m.parts.into_iter().next())
            .map(|p| match p.body {
                PartType::Binary(b) | PartType::InlineBinary(b) => b.into_owned(),
                PartType::Text(t) | PartType::Html(t) => t.into_owned().into_bytes(),
                _ => Vec::new(),
            })
    }))
    .ok()
    .flatten()
    .unwrap_or_default()
}
