//! What gets indexed for one message: sender, recipients, subject, readable
//! body text (the plain alternative, else the HTML as text; attached
//! messages included). The body is capped so one huge message cannot stall
//! indexing.

use super::Field;
use crate::domain::envelope::{Address, Envelope};
use crate::mail::mime::{ParsedMessage, Part, PartBody, TextFormat};
use crate::mail::render::html_to_text;

const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDocument {
    pub uid: u32,
    pub from: String,
    /// To and Cc.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// UTC seconds.
    pub date: Option<i64>,
}

fn addresses(list: &[Address]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl IndexDocument {
    pub fn from_message(uid: u32, message: &ParsedMessage) -> Self {
        let h = &message.headers;
        let mut body = String::new();
        collect_text(&message.root, &mut body);
        if body.len() > MAX_BODY_BYTES {
            let mut cut = MAX_BODY_BYTES;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
        IndexDocument {
            uid,
            from: addresses(&h.from),
            to: format!("{} {}", addresses(&h.to), addresses(&h.cc)),
            subject: h.subject.clone().unwrap_or_default(),
            body,
            date: h.date.map(|d| d.utc_seconds),
        }
    }

    /// From an envelope the sync layer already has plus the body text it
    /// extracted (when the full message is not parsed again).
    pub fn from_envelope(envelope: &Envelope, body: &str) -> Self {
        let mut cut = body.len().min(MAX_BODY_BYTES);
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        IndexDocument {
            uid: envelope.uid,
            from: addresses(&envelope.from),
            to: format!("{} {}", addresses(&envelope.to), addresses(&envelope.cc)),
            subject: envelope.subject.clone(),
            body: body[..cut].to_string(),
            date: envelope.date.map(|d| d.utc_seconds),
        }
    }

    pub(crate) fn fields(&self) -> [(Field, &str); 4] {
        [
            (Field::From, &self.from),
            (Field::To, &self.to),
            (Field::Subject, &self.subject),
            (Field::Body, &self.body),
        ]
    }
}

fn collect_text(part: &Part, out: &mut String) {
    if out.len() > MAX_BODY_BYTES {
        return;
    }
    match &part.body {
        PartBody::Text { text, format, .. } => {
            match format {
                TextFormat::Html => out.push_str(&html_to_text(text)),
                _ => out.push_str(text),
            }
            out.push('\n');
        }
        PartBody::Binary { .. } => {}
        PartBody::Message { headers, root } => {
            if let Some(subject) = &headers.subject {
                out.push_str(subject);
                out.push('\n');
            }
            collect_text(root, out);
        }
        PartBody::Multipart { children, .. } => {
            if part.content_type.is("multipart/alternative") {
                let plain = children.iter().find(|c| c.content_type.is("text/plain"));
                if let Some(choice) = plain.or(children.first()) {
                    collect_text(choice, out);
                }
            } else {
                for child in children {
                    collect_text(child, out);
                }
            }
        }
    }
}
