//! The IMAP module's error: one variant per way a connection, a login or a command can
//! fail, each mapped to an [`ErrorKind`] so callers decide (retry, notify, exit code)
//! without matching every variant. Messages never carry secrets or message content.

use std::time::Duration;

use crate::error::{ErrorKind, HasKind};
use crate::tls::TlsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot reach the IMAP server {addr}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} timed out after {} s", after.as_secs_f32())]
    Timeout { what: &'static str, after: Duration },
    #[error("the TLS configuration is invalid")]
    TlsConfig(#[from] TlsError),
    #[error("the TLS handshake with {host} failed")]
    Handshake {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the server does not offer STARTTLS; refusing to continue without TLS")]
    NoStartTls,
    #[error("the server refused STARTTLS: {text}")]
    StartTlsRefused { text: String },
    #[error("the server greeted with {text:?} instead of OK")]
    Greeting { text: String },
    #[error("the server refused the login: {text}")]
    AuthRefused { text: String },
    #[error("the server offers no {method} authentication mechanism")]
    NoMechanism { method: &'static str },
    #[error("the secret command failed: {reason}")]
    SecretCommand { reason: String },
    #[error("the server answered NO to {command}: {text}")]
    No { command: &'static str, text: String },
    #[error("the server answered BAD to {command}: {text}")]
    Bad { command: &'static str, text: String },
    #[error("unexpected server response: {detail}")]
    Protocol { detail: String },
    #[error("the connection to the IMAP server was lost")]
    ConnectionLost,
    #[error("IMAP input/output failed")]
    Io(#[source] std::io::Error),
    #[error("IMAP client error")]
    Client(#[source] async_imap::error::Error),
    #[error("the account is offline")]
    Offline,
    #[error("the IMAP session has stopped")]
    SessionClosed,
    #[error("the mail cache failed")]
    Cache {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the IMAP account settings are incomplete: {reason}")]
    Config { reason: String },
    #[error("invalid IMAP argument: {reason}")]
    Invalid { reason: String },
}

impl Error {
    /// Converts an async-imap error, keeping the NO/BAD distinction.
    pub(crate) fn from_client(command: &'static str, e: async_imap::error::Error) -> Error {
        use async_imap::error::Error as E;
        match e {
            E::No(text) => Error::No { command, text },
            E::Bad(text) => Error::Bad { command, text },
            E::ConnectionLost => Error::ConnectionLost,
            E::Io(io) => Error::Io(io),
            other => Error::Client(other),
        }
    }

    /// True when the connection is unusable afterwards (reconnect), false when only the
    /// command failed.
    pub fn is_connection_fatal(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Timeout { .. }
                | Error::Handshake { .. }
                | Error::ConnectionLost
                | Error::Io(_)
                | Error::Client(_)
                | Error::Protocol { .. }
                | Error::Offline
        )
    }
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Connect { .. } | Error::ConnectionLost | Error::Io(_) | Error::Offline => {
                ErrorKind::Network
            }
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::TlsConfig(e) => e.kind(),
            Error::Handshake { .. } | Error::NoStartTls | Error::StartTlsRefused { .. } => {
                ErrorKind::Tls
            }
            Error::AuthRefused { .. } | Error::NoMechanism { .. } => ErrorKind::Auth,
            Error::SecretCommand { .. } | Error::Config { .. } => ErrorKind::Config,
            Error::Greeting { .. }
            | Error::No { .. }
            | Error::Bad { .. }
            | Error::Protocol { .. }
            | Error::Client(_)
            | Error::SessionClosed => ErrorKind::Protocol,
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Cache { .. } => ErrorKind::Store,
        }
    }
}

/// Runs `fut` with a bound; a late answer becomes a typed [`Error::Timeout`].
pub(crate) async fn bounded<T>(
    what: &'static str,
    after: Duration,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(after, fut)
        .await
        .map_err(|_| Error::Timeout { what, after })?
}
