//! Errors of XDM reading and writing, with their [`ErrorKind`].

use crate::error::{ErrorKind, HasKind};
use crate::records::xml::XmlError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the archive is not a readable ZIP file")]
    Zip(#[source] zip::result::ZipError),
    #[error("the archive is {size} bytes, more than the {limit} allowed")]
    ArchiveTooLarge { size: usize, limit: usize },
    #[error("the archive entry {name:?} leaves the archive folder (path traversal)")]
    PathTraversal { name: String },
    #[error("the archive entry {name:?} has an absolute path")]
    AbsolutePath { name: String },
    #[error("the archive entry {name:?} has an unreadable name")]
    BadName { name: String },
    #[error("the archive entry {name:?} is encrypted")]
    Encrypted { name: String },
    #[error("the archive has {count} entries, more than the {limit} allowed")]
    TooManyEntries { count: usize, limit: usize },
    #[error("the archive entry {name:?} expands to {size} bytes, more than the {limit} allowed")]
    EntryTooLarge { name: String, size: u64, limit: u64 },
    #[error("the archive expands to more than {limit} bytes")]
    TotalTooLarge { limit: u64 },
    #[error("the archive entry {name:?} is compressed {ratio}:1, a zip bomb (limit {limit}:1)")]
    CompressionRatio {
        name: String,
        ratio: u64,
        limit: u64,
    },
    #[error("the archive entry {name:?} holds more data than its header declares")]
    LyingSize { name: String },
    #[error("the archive has no IHE_XDM/SUBSETn/METADATA.XML")]
    NoMetadata,
    #[error("the XDM metadata {path:?} was refused")]
    Metadata {
        path: String,
        #[source]
        source: XmlError,
    },
    #[error("the XDM metadata is not an ebRIM SubmitObjectsRequest: {reason}")]
    NotSubmitObjects { reason: String },
    #[error("the document {entry_id:?} named in the metadata is not in the archive")]
    DocumentMissing { entry_id: String },
    #[error("the document {entry_id:?} does not match its metadata hash")]
    HashMismatch {
        entry_id: String,
        expected: String,
        actual: String,
    },
    #[error("the document {entry_id:?} is {actual} bytes, its metadata says {expected}")]
    SizeMismatch {
        entry_id: String,
        expected: u64,
        actual: u64,
    },
    #[error("the document cannot be packaged: {reason}")]
    Unpackable { reason: String },
    #[error("the CDA document cannot be packaged")]
    Cda(#[source] crate::records::Error),
    #[error("the archive could not be written")]
    Write(#[source] zip::result::ZipError),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::HashMismatch { .. } | Error::SizeMismatch { .. } => ErrorKind::Integrity,
            Error::DocumentMissing { .. } => ErrorKind::NotFound,
            Error::Cda(e) => e.kind(),
            Error::Write(_) => ErrorKind::Io,
            _ => ErrorKind::Invalid,
        }
    }
}
