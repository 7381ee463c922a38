//! Why a message could not be turned into the model.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the message is {size} bytes, above the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the message has more than {limit} MIME parts")]
    TooManyParts { limit: usize },
    #[error("the message nests its parts more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("a header block of the message is larger than {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("a header block of the message has more than {limit} fields")]
    TooManyHeaders { limit: usize },
    #[error("the data is not an e-mail message")]
    NotAMessage,
    #[error("the MIME parser failed on this message")]
    ParserFailed,
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}
