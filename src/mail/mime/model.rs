//! The owned message model the rest of Cachet works with. Nothing here
//! borrows from the raw bytes, so a parsed message can move between tasks.

use super::headers::Headers;
use super::report::Report;

/// Index of an attachment's decoded bytes inside its [`ParsedMessage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId(pub(crate) usize);

/// A media type in lower case plus its (decoded, RFC 2231) parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype`, lower case, e.g. `text/plain`.
    pub mime_type: String,
    pub params: Vec<(String, String)>,
}

impl ContentType {
    pub fn new(mime_type: &str) -> Self {
        ContentType {
            mime_type: mime_type.to_ascii_lowercase(),
            params: Vec::new(),
        }
    }
    /// A parameter value by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn top_level(&self) -> &str {
        self.mime_type.split('/').next().unwrap_or("")
    }
    pub fn subtype(&self) -> &str {
        self.mime_type.split_once('/').map(|(_, s)| s).unwrap_or("")
    }
    pub fn is(&self, mime_type: &str) -> bool {
        self.mime_type.eq_ignore_ascii_case(mime_type)
    }
}

/// How a text body is to be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Plain,
    /// RFC 3676 `format=flowed`, with `delsp=yes` when `delete_space`.
    Flowed {
        delete_space: bool,
    },
    Html,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PartBody {
    /// A body text meant to be read inline, decoded to UTF-8.
    Text {
        text: String,
        format: TextFormat,
        /// The declared charset was missing or wrong and the text was
        /// decoded as Windows-1252 (a superset of Latin-1) instead.
        charset_fallback: bool,
    },
    /// An attachment or any non-text leaf; its decoded bytes stay in the
    /// message and are fetched with [`ParsedMessage::blob`].
    Binary { blob: BlobId, size: usize },
    /// An attached message (`message/rfc822`), shown inline by the reader.
    Message {
        headers: Box<Headers>,
        root: Box<Part>,
    },
    /// A multipart; `report` is filled for a `multipart/report` whose
    /// machine-readable part could be read.
    Multipart {
        children: Vec<Part>,
        report: Option<Box<Report>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// IMAP-style section path: `1`, `2.1`, ...
    pub path: String,
    pub content_type: ContentType,
    /// `inline` or `attachment`, lower case, when the part says so.
    pub disposition: Option<String>,
    /// Decoded file name (Content-Disposition `filename`, else Content-Type `name`).
    pub filename: Option<String>,
    /// `Content-ID` without angle brackets.
    pub content_id: Option<String>,
    /// Size of the decoded content in bytes.
    pub size: usize,
    pub body: PartBody,
}

/// What the reader's attachment list shows; the bytes come on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub path: String,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: usize,
    pub content_id: Option<String>,
    pub blob: BlobId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMessage {
    pub headers: Headers,
    pub root: Part,
    /// Size of the raw message in bytes.
    pub raw_size: usize,
    pub(crate) blobs: Vec<Vec<u8>>,
}

impl ParsedMessage {
    /// Decoded bytes of an attachment.
    pub fn blob(&self, id: BlobId) -> Option<&[u8]> {
        self.blobs.get(id.0).map(Vec::as_slice)
    }

    /// Every binary leaf of the tree, nested messages included, in order.
    pub fn attachments(&self) -> Vec<AttachmentInfo> {
        let mut out = Vec::new();
        let mut stack = vec![&self.root];
        while let Some(part) = stack.pop() {
            match &part.body {
                PartBody::Binary { blob, size } => out.push(AttachmentInfo {
                    path: part.path.clone(),
                    filename: part.filename.clone(),
                    content_type: part.content_type.mime_type.clone(),
                    size: *size,
                    content_id: part.content_id.clone(),
                    blob: *blob,
                }),
                PartBody::Multipart { children, .. } => stack.extend(children.iter().rev()),
                PartBody::Message { root, .. } => stack.push(root),
                PartBody::Text { .. } => {}
            }
        }
        out
    }

    /// The first report found in the tree (a `multipart/report` at any level).
    pub fn report(&self) -> Option<&Report> {
        let mut stack = vec![&self.root];
        while let Some(part) = stack.pop() {
            match &part.body {
                PartBody::Multipart {
                    report: Some(r), ..
                } => return Some(r),
                PartBody::Multipart { children, .. } => stack.extend(children.iter().rev()),
                _ => {}
            }
        }
        None
    }

    /// True when the top-level part is a `multipart/report`.
    pub fn is_report(&self) -> bool {
        self.root.content_type.is("multipart/report")
    }
}
