//! MIME parsing: raw RFC 5322 bytes to Cachet's own message model.
//!
//! mail-parser does the byte-level work (boundaries, transfer encodings,
//! RFC 2047/2231, charsets); this module turns its output into an owned tree
//! ([`ParsedMessage`], [`Part`]) with decoded header values, attachment
//! metadata, nested `message/rfc822` messages and parsed delivery/read
//! reports. Invariants: parsing never panics on any input (a panic inside the
//! third-party parser is caught and reported as [`Error::ParserFailed`]);
//! size, part count, nesting depth and header volume are bounded by
//! [`Limits`] and exceeding one is a clear error, never a partial silent
//! result; strings are decoded but *not* sanitised here — the renderer makes
//! them terminal-safe.

mod charset;
mod error;
mod headers;
mod model;
mod parse;
mod receipt_request;
mod report;

pub use error::Error;
pub use headers::{HeaderField, Headers};
pub use model::{AttachmentInfo, BlobId, ContentType, ParsedMessage, Part, PartBody, TextFormat};
pub use parse::{envelope_from_bytes, envelope_from_header_block, parse_message};
pub use receipt_request::ReceiptRequest;
pub use report::{
    DeliveryReport, DispositionKind, DsnAction, DsnRecipient, MdnDisposition, ReadReport, Report,
};

/// Bounds applied to every parse. The defaults fit any real message seen in
/// health-care mail (XDM archives included) while stopping hostile ones early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Raw message size, in bytes.
    pub max_message_bytes: usize,
    /// MIME parts in the whole tree, nested messages included.
    pub max_parts: usize,
    /// Nesting depth of multiparts and attached messages.
    pub max_depth: usize,
    /// Bytes of one header block (top level or any part).
    pub max_header_bytes: usize,
    /// Header fields in one header block.
    pub max_header_fields: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024 * 1024,
            max_parts: 2_000,
            max_depth: 128,
            max_header_bytes: 512 * 1024,
            max_header_fields: 2_000,
        }
    }
}
