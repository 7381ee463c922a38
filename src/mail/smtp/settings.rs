//! Where and how to submit: host, port, TLS mode, authentication, bounds.

use std::time::Duration;

use super::PasswordSource;

/// How TLS starts. There is deliberately no plain-text mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Security {
    /// Port 465 (RFC 8314): TLS from the first byte.
    ImplicitTls,
    /// Port 587: EHLO, STARTTLS (required), then TLS.
    StartTls,
}

/// Client authentication after TLS.
#[derive(Debug, Clone)]
pub enum SmtpAuth {
    /// The TLS client certificate (the CPS card, through the ClientConfig)
    /// authenticates; `AUTH EXTERNAL` is used when the server offers it.
    Certificate,
    /// SASL PLAIN or LOGIN.
    Password {
        user: String,
        secret: PasswordSource,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Each command/reply exchange, TLS handshake included.
    pub command: Duration,
    /// The DATA transfer and its final reply (RFC 5321 §4.5.3.2 suggests 10 min).
    pub data: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(20),
            command: Duration::from_secs(60),
            data: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth: SmtpAuth,
    /// Name sent in EHLO.
    pub hello_name: String,
    pub timeouts: Timeouts,
}
