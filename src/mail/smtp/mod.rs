//! SMTP submission over our own TLS stream.
//!
//! Invariants: nothing is ever sent in clear text after the greeting — port
//! 465 starts with TLS, port 587 must offer STARTTLS or the connection is
//! dropped before any credential or message byte leaves; the TLS
//! configuration (trust anchors, card client certificate) is always the one
//! given by the caller (`crate::tls`); the server's SIZE limit is checked
//! before MAIL FROM so an oversized message is refused locally; every network
//! wait is bounded by [`Timeouts`]; errors say whether the message itself was
//! refused (5xx, permanent) or the attempt failed (transient, retry later).

mod error;
mod password;
mod reply;
mod settings;
mod starttls;
mod stream;
mod submit;

pub use error::{Error, Stage};
pub use password::{PasswordSource, run_password_command};
pub use reply::ehlo_size_limit;
pub use settings::{Security, SmtpAuth, SmtpSettings, Timeouts};
pub use submit::{Accepted, submit};
