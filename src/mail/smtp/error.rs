//! SMTP errors, classified for the outbox: [`Error::is_permanent`] is true
//! only when the server or our own checks refused the message itself.

use crate::error::{ErrorKind, HasKind};

/// The step of a transaction a reply answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Greeting,
    Ehlo,
    StartTls,
    TlsHandshake,
    Auth,
    MailFrom,
    RcptTo { recipient: String },
    Data,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to the mail server {host}:{port}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the mail server did not answer in time ({stage:?})")]
    Timeout { stage: Stage },
    #[error("the secure connection with the mail server failed")]
    Tls(#[source] std::io::Error),
    #[error("the host name {0:?} is not valid for TLS")]
    ServerName(String),
    #[error("the mail server does not offer STARTTLS; refusing to continue without encryption")]
    StartTlsUnavailable,
    #[error("the mail server sent data before the TLS handshake (possible STARTTLS injection)")]
    StartTlsInjection,
    #[error("the mail server broke the SMTP protocol ({stage:?}): {detail}")]
    Protocol { stage: Stage, detail: String },
    #[error("the connection to the mail server was lost ({stage:?})")]
    Io {
        stage: Stage,
        #[source]
        source: std::io::Error,
    },
    #[error("the mail server refused the credentials")]
    Auth(#[source] lettre::transport::smtp::Error),
    #[error("the mail server offers no authentication method we support")]
    NoAuthMechanism,
    #[error("the message is {size} bytes, over the server limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the message contains 8-bit data but the server does not accept 8BITMIME")]
    No8BitMime,
    #[error("the mail server refused ({stage:?}) with {code}: {text}")]
    Rejected {
        stage: Stage,
        code: u16,
        text: String,
    },
    #[error("the SMTP exchange failed ({stage:?})")]
    Smtp {
        stage: Stage,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("the password command failed: {0}")]
    PasswordCommand(String),
}

impl Error {
    /// True when resending the same message can never succeed (5xx on the
    /// message, or our own size check); false for anything a later attempt
    /// may fix (network, timeouts, 4xx, credentials, TLS configuration).
    pub fn is_permanent(&self) -> bool {
        match self {
            Error::TooLarge { .. } | Error::No8BitMime => true,
            Error::Rejected { stage, code, .. } => {
                *code >= 500
                    && matches!(stage, Stage::MailFrom | Stage::RcptTo { .. } | Stage::Data)
            }
            _ => false,
        }
    }
}

impl Error {
    /// True when the failure came after the message data may have reached
    /// the server (lost connection or timeout during DATA): it may have been
    /// accepted, so a resend must first check the Sent folder.
    pub fn may_have_been_delivered(&self) -> bool {
        match self {
            Error::Timeout { stage } | Error::Io { stage, .. } | Error::Smtp { stage, .. } => {
                *stage == Stage::Data
            }
            _ => false,
        }
    }
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Connect { .. } | Error::Io { .. } | Error::Smtp { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Tls(_) | Error::StartTlsUnavailable => ErrorKind::Tls,
            Error::StartTlsInjection | Error::Protocol { .. } | Error::Rejected { .. } => {
                ErrorKind::Protocol
            }
            Error::Auth(_) | Error::NoAuthMechanism => ErrorKind::Auth,
            Error::TooLarge { .. } | Error::No8BitMime => ErrorKind::Invalid,
            Error::ServerName(_) | Error::PasswordCommand(_) => ErrorKind::Config,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_message_refusals_are_permanent() {
        let rej = |stage, code| Error::Rejected {
            stage,
            code,
            text: String::new(),
        };
        assert!(
            rej(
                Stage::RcptTo {
                    recipient: "x@y.test".into()
                },
                550
            )
            .is_permanent()
        );
        assert!(rej(Stage::Data, 552).is_permanent());
        assert!(!rej(Stage::Data, 451).is_permanent());
        assert!(!rej(Stage::Greeting, 554).is_permanent());
        assert!(Error::TooLarge { size: 2, limit: 1 }.is_permanent());
        assert!(!Error::Timeout { stage: Stage::Data }.is_permanent());
        assert!(!Error::StartTlsUnavailable.is_permanent());
        assert_eq!(Error::StartTlsUnavailable.kind(), ErrorKind::Tls);
    }
}
