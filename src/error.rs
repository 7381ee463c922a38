//! The error vocabulary shared by every module.
//!
//! Each domain module has its own `Error` type (thiserror) carrying a source
//! chain; all of them expose a [`ErrorKind`] so that the UI and the CLI can
//! decide how to react (notification colour, exit code) without matching on
//! every module's variants.

/// What went wrong, coarse enough to drive behaviour (exit codes, retry, UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Credentials refused (PIN, password, certificate, token).
    Auth,
    /// TLS negotiation or certificate verification failed.
    Tls,
    /// The network could not be reached or dropped.
    Network,
    /// A bounded wait ran out.
    Timeout,
    /// A peer (server, card) said something that breaks its protocol.
    Protocol,
    /// The smart card or its reader is missing, blocked or failing.
    Card,
    /// The encrypted store failed (I/O, corruption).
    Store,
    /// Data failed an integrity check (AEAD tag, hash chain, document hash).
    Integrity,
    /// The thing asked for does not exist.
    NotFound,
    /// Configuration is invalid.
    Config,
    /// Input (a file, a message, a user entry) is malformed or refused.
    Invalid,
    /// Local file system error.
    Io,
}

/// Implemented by every module error.
pub trait HasKind {
    fn kind(&self) -> ErrorKind;
}

impl ErrorKind {
    /// Process exit code for the CLI conventions: 1 error, 3 card or PIN,
    /// 4 network or server.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Card => 3,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Tls | ErrorKind::Protocol => 4,
            _ => 1,
        }
    }
}
