//! Errors raised while building a message.

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the address {0:?} is not a valid e-mail address")]
    BadAddress(String),
    #[error("the message has no recipient")]
    NoRecipient,
    #[error("the header value for {name} contains a line break or a non-ASCII character")]
    BadHeaderValue { name: &'static str },
    #[error("the message could not be serialised")]
    Write(#[source] std::io::Error),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Write(_) => ErrorKind::Io,
            _ => ErrorKind::Invalid,
        }
    }
}
