//! Errors of the mail cache: the store failing, a stored record that does
//! not decode, a search that fails, a message not cached while offline.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("a cached {what} record is corrupt")]
    Corrupt { what: &'static str },
    #[error("cannot encode or decode a cached value")]
    Codec(#[from] serde_json::Error),
    #[error(transparent)]
    Search(#[from] crate::mail::search::Error),
    #[error("the folder \"{folder}\" is not in the cache (run `cachet sync` while online)")]
    FolderNotCached { folder: String },
    #[error("message {uid} is not in the cached folder \"{folder}\"")]
    NoSuchMessage { folder: String, uid: u32 },
    #[error(
        "the body of message {uid} is not cached and the server cannot be reached (offline): {reason}"
    )]
    BodyOffline { uid: u32, reason: String },
    #[error(transparent)]
    Imap(#[from] crate::mail::imap::Error),
    #[error("the cache's envelope worker failed: {detail}")]
    Worker { detail: String },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Store(e) => e.kind(),
            Error::Corrupt { .. } => ErrorKind::Integrity,
            Error::Codec(_) => ErrorKind::Store,
            Error::Search(e) => e.kind(),
            Error::FolderNotCached { .. } | Error::NoSuchMessage { .. } => ErrorKind::NotFound,
            Error::BodyOffline { .. } => ErrorKind::Network,
            Error::Imap(e) => e.kind(),
            Error::Worker { .. } => ErrorKind::Store,
        }
    }
}

/// The boxed form the IMAP traits carry.
pub(crate) fn boxed(e: impl Into<Error>) -> crate::mail::imap::sync::BackendError {
    Box::new(e.into())
}
