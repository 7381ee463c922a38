//! The audit trail's error type.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the audit trail's store failed")]
    Store(#[from] crate::store::Error),
    #[error("the audit trail is broken: {0}")]
    Chain(#[from] super::chain::ChainBreak),
    #[error("an audit entry cannot be encoded or decoded")]
    Codec(#[from] serde_json::Error),
    #[error("cannot write the export")]
    Io(#[from] std::io::Error),
    #[error("invalid audit request: {reason}")]
    Invalid { reason: String },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Store(e) => e.kind(),
            Error::Chain(_) | Error::Codec(_) => ErrorKind::Integrity,
            Error::Io(_) => ErrorKind::Io,
            Error::Invalid { .. } => ErrorKind::Invalid,
        }
    }
}
