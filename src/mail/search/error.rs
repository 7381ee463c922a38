//! Search errors: a query the user mistyped, or the posting store failing.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "\"{text}\" is not a date or date range (expected 2026-01-31, 31/01/2026 or 2026-01-01..2026-02-01)"
    )]
    BadDate { text: String },
    #[error("the search prefix \"{prefix}:\" needs a value")]
    EmptyValue { prefix: String },
    #[error("the search index could not be read or written")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::BadDate { .. } | Error::EmptyValue { .. } => ErrorKind::Invalid,
            Error::Store(_) => ErrorKind::Store,
        }
    }
}
