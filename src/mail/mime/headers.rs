//! Decoded header blocks. mail-parser decodes RFC 2047 words and parses the
//! structured fields; here they become owned values, with the raw bytes
//! re-read as Windows-1252 when a header carried undeclared 8-bit text.

use mail_parser::{HeaderName, HeaderValue};

use super::charset::decode_text;
use crate::domain::envelope::{Address, MailDate};

/// One header as shown in the full-headers view: name as written, value
/// decoded and unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

/// A decoded header block with the fields the reader and the envelope need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    pub fields: Vec<HeaderField>,
    pub subject: Option<String>,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub date: Option<MailDate>,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub disposition_notification_to: Vec<Address>,
    pub return_path: Option<String>,
}

impl Headers {
    /// First value of a field, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// Every value of a field, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    pub(crate) fn from_parser(
        headers: &[mail_parser::Header<'_>],
        raw: &[u8],
        keep: KeepFields,
    ) -> Headers {
        let mut out = Headers::default();
        for header in headers {
            let raw_value = raw
                .get(header.offset_start as usize..header.offset_end as usize)
                .unwrap_or_default();
            // Decoded at most once, and only when something reads it.
            let shown = std::cell::OnceCell::new();
            let value = || {
                shown
                    .get_or_init(|| display_value(header.value(), raw_value))
                    .clone()
            };
            match &header.name {
                HeaderName::Subject if out.subject.is_none() => {
                    out.subject = Some(value());
                }
                HeaderName::From if out.from.is_empty() => out.from = addresses(header.value()),
                HeaderName::To => out.to.extend(addresses(header.value())),
                HeaderName::Cc => out.cc.extend(addresses(header.value())),
                HeaderName::ReplyTo if out.reply_to.is_empty() => {
                    out.reply_to = addresses(header.value());
                }
                HeaderName::Date if out.date.is_none() => out.date = date(header.value()),
                HeaderName::MessageId if out.message_id.is_none() => {
                    out.message_id = ids(header.value()).into_iter().next();
                }
                HeaderName::InReplyTo if out.in_reply_to.is_empty() => {
                    out.in_reply_to = ids(header.value());
                }
                HeaderName::References if out.references.is_empty() => {
                    out.references = ids(header.value());
                }
                HeaderName::ReturnPath if out.return_path.is_none() => {
                    out.return_path = ids(header.value()).into_iter().next().or_else(|| {
                        let v = value().trim().trim_matches(['<', '>']).to_string();
                        (!v.is_empty()).then_some(v)
                    });
                }
                HeaderName::DispositionNotificationTo => {
                    let mut list = addresses(header.value());
                    if list.is_empty() {
                        list = parse_address_text(raw_value);
                    }
                    let shown = if list.is_empty() {
                        value()
                    } else {
                        String::new()
                    };
                    if list.is_empty() && !shown.trim().is_empty() {
                        // Keep the request visible even when the address is malformed.
                        list.push(Address {
                            name: None,
                            email: shown.trim().to_string(),
                        });
                    }
                    out.disposition_notification_to = list;
                }
                _ => {}
            }
            if keep == KeepFields::All {
                out.fields.push(HeaderField {
                    name: header.name.as_str().to_string(),
                    value: shown
                        .into_inner()
                        .unwrap_or_else(|| display_value(header.value(), raw_value)),
                });
            }
        }
        out
    }
}

/// Whether [`Headers::fields`] is filled: the reader shows every header; a
/// summary made during a sync needs only the typed fields (the decoded
/// display of every header was a good part of a 100k sync's parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepFields {
    All,
    TypedOnly,
}

/// The value to show for a header: the decoded form for text, a readable
/// rendering for structured values, the unfolded raw bytes otherwise.
fn display_value(value: &HeaderValue<'_>, raw: &[u8]) -> String {
    let raw_text = || unfold(&decode_text(raw, None).0);
    match value {
        HeaderValue::Text(text) => {
            // mail-parser replaces undeclared 8-bit bytes by U+FFFD; the raw
            // bytes read as Windows-1252 are then the better guess.
            if text.contains('\u{FFFD}') && std::str::from_utf8(raw).is_err() {
                raw_text()
            } else {
                text.to_string()
            }
        }
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(_) => {
            let list = addresses(value);
            if list.is_empty() {
                raw_text()
            } else {
                list.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        _ => raw_text(),
    }
}

fn unfold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text.split(['\r', '\n']) {
        let piece = piece.trim_start_matches([' ', '\t']);
        if piece.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
    }
    out.trim().to_string()
}

pub(crate) fn addresses(value: &HeaderValue<'_>) -> Vec<Address> {
    let HeaderValue::Address(address) = value else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|a| {
            let email = a.address()?.trim().to_string();
            let name = a
                .name()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty());
            Some(Address { name, email })
        })
        .collect()
}

/// Parse an address header the generic parser left as raw text (used for
/// `Disposition-Notification-To`, which mail-parser does not know).
fn parse_address_text(raw: &[u8]) -> Vec<Address> {
    let mut synthetic = b"To:".to_vec();
    synthetic.extend_from_slice(raw);
    synthetic.extend_from_slice(b"\r\n\r\n");
    mail_parser::MessageParser::default()
        .parse_headers(&synthetic)
        .and_then(|m| {
            m.to()
                .map(|to| addresses(&HeaderValue::Address(to.clone())))
        })
        .unwrap_or_default()
}

fn date(value: &HeaderValue<'_>) -> Option<MailDate> {
    let HeaderValue::DateTime(dt) = value else {
        return None;
    };
    if !dt.is_valid() || dt.tz_hour > 23 || dt.tz_minute > 59 {
        return None;
    }
    let magnitude = i16::from(dt.tz_hour) * 60 + i16::from(dt.tz_minute);
    Some(MailDate {
        utc_seconds: dt.to_timestamp(),
        offset_minutes: if dt.tz_before_gmt {
            -magnitude
        } else {
            magnitude
        },
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let clean = |s: &str| {
        let s = s.trim().trim_matches(['<', '>']).trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    match value {
        HeaderValue::Text(t) => t.split_whitespace().filter_map(clean).collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|s| clean(s)).collect(),
        _ => Vec::new(),
    }
}
