//! One submission: connect, TLS (implicit or STARTTLS), EHLO, SIZE check,
//! authentication, MAIL/RCPT/DATA, QUIT — each step under its own bound.
//!
//! Any recipient refused aborts the whole transaction (RSET): a message is
//! either accepted for all its recipients or not at all, which keeps the
//! outbox's "sent exactly once" bookkeeping per message rather than per
//! recipient.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::reply::{ehlo_auth_has, ehlo_has, ehlo_size_limit};
use super::starttls::starttls_prelude;
use super::stream::TlsConn;
use super::{Error, Security, SmtpAuth, SmtpSettings, Stage};
use crate::mail::compose::Envelope;

/// The server's final answer to DATA (carries its queue id, for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub reply: String,
}

/// Submits `message` for `envelope`. `tls` comes from `crate::tls` (trust
/// anchors and, for card login, the card's client certificate).
pub async fn submit(
    settings: &SmtpSettings,
    tls: Arc<rustls::ClientConfig>,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Accepted, Error> {
    let t = settings.timeouts;
    // An empty sender is the null reverse path `<>` (MDNs, RFC 8098 §3).
    let from = match envelope.from.as_str() {
        "" => None,
        f => Some(parse_address(f, Stage::MailFrom)?),
    };
    let recipients = envelope
        .recipients
        .iter()
        .map(|r| {
            parse_address(
                r,
                Stage::RcptTo {
                    recipient: r.clone(),
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Resolve the password before touching the network: a broken
    // password_command must not leave a half-open session behind.
    let password = match &settings.auth {
        SmtpAuth::Password { secret, .. } => Some(secret.resolve(t.command).await?),
        SmtpAuth::Certificate => None,
    };

    let tcp = bounded(
        t.connect,
        Stage::Greeting,
        TcpStream::connect((settings.host.as_str(), settings.port)),
    )
    .await?
    .map_err(|source| Error::Connect {
        host: settings.host.clone(),
        port: settings.port,
        source,
    })?;
    let tcp = match settings.security {
        Security::ImplicitTls => tcp,
        Security::StartTls => starttls_prelude(tcp, &settings.hello_name, &t).await?,
    };
    let name = ServerName::try_from(settings.host.clone())
        .map_err(|_| Error::ServerName(settings.host.clone()))?;
    let tls_stream = bounded(
        t.command,
        Stage::TlsHandshake,
        TlsConnector::from(tls).connect(name, tcp),
    )
    .await?
    .map_err(Error::Tls)?;
    let stream = match settings.security {
        Security::ImplicitTls => TlsConn::implicit(tls_stream),
        Security::StartTls => TlsConn::after_starttls(tls_stream),
    };

    let hello = ClientId::Domain(settings.hello_name.clone());
    let mut conn = bounded(
        t.command,
        Stage::Ehlo,
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
    )
    .await?
    .map_err(|e| lettre_error(Stage::Ehlo, e))?;

    // lettre keeps no SIZE value; ask again to read the keywords ourselves.
    let ehlo = run(
        t.command,
        Stage::Ehlo,
        conn.command(format!("EHLO {}\r\n", settings.hello_name)),
    )
    .await?;
    let keywords: Vec<String> = ehlo.message().skip(1).map(str::to_string).collect();
    if let Some(limit) = ehlo_size_limit(keywords.iter().map(String::as_str))
        && limit > 0
        && message.len() > limit
    {
        let _ = tokio::time::timeout(t.command, conn.quit()).await;
        return Err(Error::TooLarge {
            size: message.len(),
            limit,
        });
    }
    let eight_bit = !message.is_ascii();
    if eight_bit && !ehlo_has(&keywords, "8BITMIME") {
        let _ = tokio::time::timeout(t.command, conn.quit()).await;
        return Err(Error::No8BitMime);
    }

    match (&settings.auth, password) {
        (SmtpAuth::Password { user, .. }, Some(password)) => {
            // lettre's Credentials holds plain Strings; this copy lives only
            // for the AUTH exchange (our own copy is zeroized on drop).
            let credentials = Credentials::new(user.clone(), password.to_string());
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            if !mechanisms
                .iter()
                .any(|m| conn.server_info().supports_auth_mechanism(*m))
            {
                return Err(Error::NoAuthMechanism);
            }
            bounded(t.command, Stage::Auth, conn.auth(&mechanisms, &credentials))
                .await?
                .map_err(|e| {
                    if e.is_permanent() {
                        Error::Auth(e)
                    } else {
                        lettre_error(Stage::Auth, e)
                    }
                })?;
        }
        (SmtpAuth::Certificate, _) if ehlo_auth_has(&keywords, "EXTERNAL") => {
            // RFC 4422 EXTERNAL with an empty authorization identity: the
            // server takes the identity from the TLS client certificate.
            bounded(t.command, Stage::Auth, conn.command("AUTH EXTERNAL =\r\n"))
                .await?
                .map_err(|e| {
                    if e.is_permanent() {
                        Error::Auth(e)
                    } else {
                        lettre_error(Stage::Auth, e)
                    }
                })?;
        }
        _ => {}
    }

    let mut params = vec![MailParameter::Size(message.len())];
    if eight_bit {
        params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    run(
        t.command,
        Stage::MailFrom,
        conn.command(Mail::new(from, params)),
    )
    .await?;
    for (rcpt, text) in recipients.into_iter().zip(&envelope.recipients) {
        let stage = Stage::RcptTo {
            recipient: text.clone(),
        };
        if let Err(e) = run(t.command, stage, conn.command(Rcpt::new(rcpt, vec![]))).await {
            let _ = tokio::time::timeout(t.command, conn.command("RSET\r\n")).await;
            let _ = tokio::time::timeout(t.command, conn.quit()).await;
            return Err(e);
        }
    }
    run(t.command, Stage::Data, conn.command(Data)).await?;
    let done = run(t.data, Stage::Data, conn.message(message)).await?;
    // The message is accepted; a failing QUIT changes nothing.
    let _ = tokio::time::timeout(t.command, conn.quit()).await;
    Ok(Accepted {
        reply: done.message().collect::<Vec<_>>().join(" "),
    })
}

async fn bounded<T>(
    bound: Duration,
    stage: Stage,
    fut: impl Future<Output = T>,
) -> Result<T, Error> {
    tokio::time::timeout(bound, fut)
        .await
        .map_err(|_| Error::Timeout { stage })
}

async fn run(
    bound: Duration,
    stage: Stage,
    fut: impl Future<Output = Result<Response, lettre::transport::smtp::Error>>,
) -> Result<Response, Error> {
    bounded(bound, stage.clone(), fut)
        .await?
        .map_err(|e| lettre_error(stage, e))
}

fn lettre_error(stage: Stage, e: lettre::transport::smtp::Error) -> Error {
    match e.status().and_then(|c| c.to_string().parse::<u16>().ok()) {
        Some(code) => Error::Rejected {
            stage,
            code,
            text: e.to_string(),
        },
        None if e.is_timeout() => Error::Timeout { stage },
        None => Error::Smtp { stage, source: e },
    }
}

fn parse_address(s: &str, stage: Stage) -> Result<Address, Error> {
    Address::from_str(s).map_err(|_| Error::Rejected {
        stage,
        code: 501,
        text: format!("invalid address {s:?}"),
    })
}
