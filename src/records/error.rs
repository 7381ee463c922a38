//! The records module's error: INS, CDA, MHD and backend failures, each
//! mapped to an [`ErrorKind`] so the CLI and the UI can react without
//! matching every variant.

use crate::error::{ErrorKind, HasKind};

use super::ins::InsError;
use super::xml::XmlError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid INS")]
    Ins(#[from] InsError),
    #[error("the XML document was refused")]
    Xml(#[from] XmlError),
    #[error("not a CDA document: {reason}")]
    NotCda { reason: String },
    #[error("the server answered {status} to {what}")]
    Http { status: u16, what: &'static str },
    #[error("the server could not be reached")]
    Network(#[source] reqwest::Error),
    #[error("the server did not answer in time")]
    Timeout(#[source] reqwest::Error),
    #[error("the server's answer is not valid FHIR: {reason}")]
    Protocol { reason: String },
    #[error("the document {id} was not found")]
    NotFound { id: String },
    #[error("the document is larger than the {limit} bytes allowed")]
    TooLarge { limit: usize },
    #[error("the document's {what} does not match its metadata")]
    Integrity { what: &'static str },
    #[error("invalid configuration: {reason}")]
    Config { reason: String },
    #[error("invalid request: {reason}")]
    Invalid { reason: String },
    #[error("the server answered a SOAP fault {code}: {reason}")]
    SoapFault { code: String, reason: String },
    #[error("the registry refused the request ({code}) {context}")]
    Registry { code: String, context: String },
    #[error("the patient has no shared record (DMP)")]
    NoRecord,
    #[error("list the patient's documents before opening one")]
    NotListed,
    #[error("the VIHF could not be signed with the card: {reason}")]
    Signature { reason: String },
    #[error("the PDF text could not be extracted: {reason}")]
    Pdf { reason: String },
}

/// Registry, TD0.2 and SOAP fault codes that mean "not allowed" rather than
/// "broken": an authentication or authorisation refusal.
fn is_refusal(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    [
        "denied",
        "unauthori",
        "forbidden",
        "failedauthentication",
        "invalidsecurity",
        "notallowed",
    ]
    .iter()
    .any(|n| c.contains(n))
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Ins(_) | Error::Xml(_) | Error::NotCda { .. } | Error::Invalid { .. } => {
                ErrorKind::Invalid
            }
            Error::TooLarge { .. } => ErrorKind::Invalid,
            Error::Http {
                status: 401 | 403, ..
            } => ErrorKind::Auth,
            Error::Http {
                status: 404 | 410, ..
            }
            | Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Http { .. } | Error::Protocol { .. } => ErrorKind::Protocol,
            Error::Network(_) => ErrorKind::Network,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Integrity { .. } => ErrorKind::Integrity,
            Error::Config { .. } => ErrorKind::Config,
            Error::SoapFault { code, .. } | Error::Registry { code, .. } if is_refusal(code) => {
                ErrorKind::Auth
            }
            Error::SoapFault { .. } | Error::Registry { .. } => ErrorKind::Protocol,
            Error::NoRecord => ErrorKind::NotFound,
            Error::NotListed => ErrorKind::Invalid,
            Error::Signature { .. } => ErrorKind::Card,
            Error::Pdf { .. } => ErrorKind::Invalid,
        }
    }
}
