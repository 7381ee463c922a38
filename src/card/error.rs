//! The card module's error type. Every failure that can come from a card, a
//! reader, PC/SC or the simulator's files is a variant here, with a message a
//! health professional can act on; the coarse [`ErrorKind`] drives exit codes.

use crate::error::{ErrorKind, HasKind};

/// Anything that can go wrong while talking to a CPS card.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no smart card reader is connected")]
    NoReader,
    #[error("no CPS card is inserted")]
    NoCard,
    #[error("the card was removed during the operation; insert it again")]
    Removed,
    #[error("the card in the reader is not a CPS card{hint} (ATR {atr})")]
    UnknownCard { atr: String, hint: &'static str },
    #[error("the card is not a CPS card: {reason}")]
    NotCps { reason: &'static str },
    #[error("the card in the reader cannot be used: {reason}")]
    Unusable { reason: String },
    #[error("wrong PIN: {tries_left} tries left before the card is blocked")]
    WrongPin { tries_left: u8 },
    #[error(
        "the card is blocked after too many wrong PINs: unblock it with its unblocking code \
         (PUK) in the CPS management tool, or ask your card issuer (ANS) for a new card"
    )]
    Blocked,
    #[error("a PIN is 4 to 8 digits")]
    InvalidPin,
    #[error("the PIN has not been verified on this card")]
    PinRequired,
    #[error("the card refused {command}: status {sw:04X} ({})", sw_meaning(*.sw))]
    Status { command: &'static str, sw: u16 },
    #[error("the card sent a malformed answer to {command}: {reason}")]
    Malformed {
        command: &'static str,
        reason: &'static str,
    },
    #[error("the card's certificate cannot be read: {reason}")]
    Certificate { reason: String },
    #[error("this card cannot {0}")]
    Unsupported(&'static str),
    #[error("the card is used by another program")]
    Busy,
    #[error("the smart card service (pcscd) failed while {context}")]
    Pcsc {
        context: &'static str,
        source: pcsc::Error,
    },
    #[error("the card did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    #[error("the card thread has stopped")]
    ServiceGone,
    #[error("{context}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("test PKI: {context}")]
    Pki { context: String },
    #[error("cryptographic failure: {context}")]
    Crypto { context: &'static str },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::Pki { .. } => ErrorKind::Config,
            // Everything else is about the card, its reader or its PIN: the
            // CLI's exit code 3, the UI's card notification. A card that does
            // not answer in time is a card problem too, not a network one.
            _ => ErrorKind::Card,
        }
    }
}

/// A short human reading of an ISO 7816-4 status word, for error messages.
pub fn sw_meaning(sw: u16) -> &'static str {
    match sw {
        0x6282 => "end of file reached",
        0x6581 => "memory failure",
        0x6700 => "wrong length",
        0x6881 => "logical channel not supported",
        0x6982 => "security status not satisfied",
        0x6983 => "authentication method blocked",
        0x6984 => "reference data not usable",
        0x6985 => "conditions of use not satisfied",
        0x6986 => "command not allowed",
        0x6A80 => "incorrect data",
        0x6A81 => "function not supported",
        0x6A82 => "file or application not found",
        0x6A86 => "incorrect parameters P1-P2",
        0x6A88 => "referenced data not found",
        0x6B00 => "wrong parameters (offset outside the file)",
        0x6D00 => "instruction not supported",
        0x6E00 => "class not supported",
        0x6F00 => "no precise diagnosis",
        _ if sw & 0xFFF0 == 0x63C0 => "verification failed",
        _ => "unexpected status",
    }
}
