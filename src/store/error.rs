//! The store's error type. Every failure keeps its source chain and maps to a
//! shared [`ErrorKind`] so the CLI and the UI decide how to react without
//! matching on variants. Messages never contain keys or stored content.

use crate::error::{ErrorKind, HasKind};

/// Everything the encrypted store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The session is locked: the data key has been dropped.
    #[error("the profile is locked; unlock it with the card")]
    Locked,
    /// The profile was not wrapped to this card (or the card refused).
    #[error("this card cannot open the profile (it was created for another card)")]
    WrongCard,
    /// The card (or its software stand-in) failed while deciphering.
    #[error("the card could not decipher the profile key: {reason}")]
    Card { reason: String },
    /// No profile exists for the card holder.
    #[error("no profile exists for this card holder")]
    NoProfile,
    /// A profile already exists for the card holder.
    #[error("a profile already exists for this card holder")]
    ProfileExists,
    /// The recovery code is malformed or does not open the profile.
    #[error("the recovery code is wrong or malformed")]
    BadRecoveryCode,
    /// The profile has no recovery wrap.
    #[error("this profile was created without a recovery code")]
    NoRecovery,
    /// A stored value failed authentication: corruption or tampering.
    #[error("integrity check failed in {what}")]
    Integrity { what: String },
    /// The profile header is unreadable or of an unknown format.
    #[error("the profile header is invalid: {reason}")]
    Header { reason: String },
    /// A value could not be (de)serialised.
    #[error("cannot encode or decode a stored value")]
    Codec(#[source] serde_json::Error),
    /// Input refused by the store (bad argument).
    #[error("invalid input: {reason}")]
    Invalid { reason: String },
    /// sled failed.
    #[error("the database failed")]
    Db(#[source] sled::Error),
    /// The file system failed.
    #[error("file system error on {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A cryptographic primitive failed where it should not (bad length, RNG).
    #[error("cryptographic failure: {what}")]
    Crypto { what: &'static str },
    /// The store thread did not answer in time.
    #[error("the store did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// The store thread is gone.
    #[error("the store thread has stopped")]
    Closed,
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub fn integrity(what: impl Into<String>) -> Self {
        Error::Integrity { what: what.into() }
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Db(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Codec(e)
    }
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Locked | Error::WrongCard | Error::BadRecoveryCode => ErrorKind::Auth,
            Error::Card { .. } => ErrorKind::Card,
            Error::NoProfile => ErrorKind::NotFound,
            Error::ProfileExists | Error::Invalid { .. } => ErrorKind::Invalid,
            Error::NoRecovery => ErrorKind::NotFound,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Header { .. } => ErrorKind::Integrity,
            Error::Codec(_) => ErrorKind::Integrity,
            Error::Db(_) | Error::Crypto { .. } | Error::Closed => ErrorKind::Store,
            Error::Io { .. } => ErrorKind::Io,
            Error::Timeout { .. } => ErrorKind::Timeout,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
