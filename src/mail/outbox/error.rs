//! Outbox errors: storage problems and lost races. Send failures are not
//! errors of the outbox — they are recorded in the message's state.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the outbox storage failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the message {id} is already in the outbox")]
    Exists { id: String },
    #[error("the message {id} is not in the outbox")]
    NotFound { id: String },
    #[error("the message {id} changed under us (expected version {expected})")]
    Conflict { id: String, expected: u64 },
    #[error("the outbox service has stopped")]
    Stopped,
    #[error("the message {id} cannot go from {from} to {to}")]
    BadTransition {
        id: String,
        from: &'static str,
        to: &'static str,
    },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Store(_) | Error::Conflict { .. } | Error::Stopped => ErrorKind::Store,
            Error::Exists { .. } | Error::BadTransition { .. } => ErrorKind::Invalid,
            Error::NotFound { .. } => ErrorKind::NotFound,
        }
    }
}
