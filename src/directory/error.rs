//! The directory's error type: one variant per failure a caller may want to tell
//! apart, each carrying its cause so that messages explain what to do.

use std::path::PathBuf;

use crate::error::{ErrorKind, HasKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the directory index in {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a readable zip archive: {source}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("no directory index yet in {0}; run `cachet directory import` first")]
    NoIndex(PathBuf),
    #[error("the directory index in {path} is damaged ({reason}); import the extraction again")]
    Corrupt { path: PathBuf, reason: String },
    #[error("the directory service has stopped")]
    Closed,
    #[error(
        "the Annuaire Santé API refused the API key (HTTP {status}); check `esante_api_key` in the settings"
    )]
    ApiAuth { status: u16 },
    #[error("the Annuaire Santé API did not answer within {seconds} s")]
    ApiTimeout { seconds: u64 },
    #[error("cannot reach the Annuaire Santé API at {url}: {source}")]
    ApiNetwork {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the Annuaire Santé API failed with HTTP {status}: {detail}")]
    ApiStatus { status: u16, detail: String },
    #[error("the Annuaire Santé API sent an unreadable answer: {0}")]
    ApiBody(String),
    #[error("invalid API settings: {0}")]
    ApiConfig(String),
    #[error("TLS with the Annuaire Santé API failed: {0}")]
    Tls(String),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Read { .. } | Error::Write { .. } => ErrorKind::Io,
            Error::Zip { .. } | Error::Format { .. } => ErrorKind::Invalid,
            Error::NoIndex(_) => ErrorKind::NotFound,
            Error::Corrupt { .. } => ErrorKind::Integrity,
            Error::Closed => ErrorKind::Io,
            Error::ApiAuth { .. } => ErrorKind::Auth,
            Error::ApiTimeout { .. } => ErrorKind::Timeout,
            Error::ApiNetwork { .. } => ErrorKind::Network,
            Error::ApiStatus { .. } | Error::ApiBody(_) => ErrorKind::Protocol,
            Error::ApiConfig(_) => ErrorKind::Config,
            Error::Tls(_) => ErrorKind::Tls,
        }
    }
}
