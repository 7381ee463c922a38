//! Helpers for the SMTP integration tests: a ring-only rustls config trusting
//! the stack's CA, submission settings for alice, and an IMAP reader
//! (async-imap over tokio-rustls) that finds delivered mail by Message-ID.
#![allow(dead_code)]
// Test support: a failure here is a broken test environment and should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use cachet::mail::compose::{Draft, Mailbox};
use cachet::mail::smtp::{PasswordSource, Security, SmtpAuth, SmtpSettings, Timeouts, submit};
use futures::TryStreamExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::common::Stack;

pub mod cli;

pub fn tls_config(stack: &Stack) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(stack.path("CA_CERT")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The submission host (`SMTP_HOST`, else the IMAP host: one machine here).
pub fn smtp_host(stack: &Stack) -> String {
    stack.get_opt("SMTP_HOST").unwrap_or_else(|| host(stack))
}

pub fn host(stack: &Stack) -> String {
    stack
        .get_opt("IMAP_HOST")
        .unwrap_or_else(|| "localhost".into())
}

pub fn settings(stack: &Stack, user: &str, security: Security) -> SmtpSettings {
    let (port_key, password) = match security {
        Security::StartTls => ("SMTP_SUBMISSION_PORT", password_of(stack, user)),
        Security::ImplicitTls => ("SMTPS_PORT", password_of(stack, user)),
    };
    SmtpSettings {
        host: smtp_host(stack),
        port: stack.port(port_key),
        security,
        auth: SmtpAuth::Password {
            user: stack.get(user),
            secret: PasswordSource::Secret(password.into()),
        },
        hello_name: "cachet.example.test".into(),
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(30),
            data: Duration::from_secs(60),
        },
    }
}

fn password_of(stack: &Stack, user: &str) -> String {
    stack.get(&user.replace("_USER", "_PASSWORD"))
}

pub fn mailbox(stack: &Stack, user: &str) -> Mailbox {
    Mailbox::parse(&stack.get(user)).unwrap()
}

/// A plain draft from alice to bob.
pub fn draft(stack: &Stack, subject: &str) -> Draft {
    Draft {
        from: Some(mailbox(stack, "ALICE_USER")),
        to: vec![mailbox(stack, "BOB_USER")],
        subject: subject.into(),
        body: format!("Corps du message « {subject} ».\n"),
        ..Draft::default()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub type ImapSession = async_imap::Session<TlsStream<TcpStream>>;

pub async fn imap(stack: &Stack, user: &str) -> ImapSession {
    let tcp = TcpStream::connect(("127.0.0.1", stack.port("IMAPS_PORT")))
        .await
        .unwrap();
    let name = ServerName::try_from(host(stack)).unwrap();
    let tls = TlsConnector::from(tls_config(stack))
        .connect(name, tcp)
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await
        .unwrap()
        .expect("IMAP greeting");
    client
        .login(stack.get(user), password_of(stack, user))
        .await
        .map_err(|(e, _)| e)
        .unwrap()
}

/// Every message in `user`'s INBOX whose Message-ID is `id`, raw.
pub async fn messages_with_id(stack: &Stack, user: &str, id: &str) -> Vec<Vec<u8>> {
    messages_in(stack, user, "INBOX", id).await
}

/// Every message in `user`'s `folder` whose Message-ID is `id`, raw.
pub async fn messages_in(stack: &Stack, user: &str, folder: &str, id: &str) -> Vec<Vec<u8>> {
    let mut session = imap(stack, user).await;
    session.select(folder).await.unwrap();
    let found = session
        .search(format!("HEADER Message-ID \"<{id}>\""))
        .await
        .unwrap();
    let mut out = Vec::new();
    if !found.is_empty() {
        let set = found
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetches: Vec<_> = session
            .fetch(set, "BODY.PEEK[]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        out.extend(fetches.iter().filter_map(|f| f.body().map(<[u8]>::to_vec)));
    }
    session.logout().await.unwrap();
    out
}

/// Polls until at least one copy of `id` reached `user` (delivery through
/// Postfix's queue is asynchronous); panics after a generous bound.
pub async fn wait_delivered(stack: &Stack, user: &str, id: &str) -> Vec<Vec<u8>> {
    for _ in 0..300 {
        let found = messages_with_id(stack, user, id).await;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} never reached {user}");
}

/// Sends a fresh message to bob and waits until it is delivered: whatever
/// was submitted before it has then left Postfix's queue too, so a count
/// taken afterwards also sees late duplicates.
pub async fn settle(stack: &Stack) {
    let built = draft(stack, "sentinel").build(now()).unwrap();
    submit(
        &settings(stack, "ALICE_USER", Security::StartTls),
        tls_config(stack),
        &built.envelope,
        &built.bytes,
    )
    .await
    .unwrap();
    wait_delivered(stack, "BOB_USER", &built.message_id).await;
}

/// The Sent check against the real IMAP server. The test stack's Postfix
/// does not file submitted mail into Sent, so bob's INBOX stands in for a
/// server-side Sent folder: it waits for Postfix's queue to drain
/// ([`settle`]) and then looks for the Message-ID.
pub struct InboxSentChecker {
    pub stack: Stack,
    pub user: &'static str,
}

impl cachet::mail::outbox::SentChecker for InboxSentChecker {
    async fn is_sent(&self, message_id: &str) -> Result<bool, cachet::mail::outbox::SendFailure> {
        settle(&self.stack).await;
        Ok(!messages_with_id(&self.stack, self.user, message_id)
            .await
            .is_empty())
    }
}

/// The UID of the message with Message-ID `id` in `user`'s INBOX.
pub async fn inbox_uid(stack: &Stack, user: &str, id: &str) -> Option<u32> {
    let mut session = imap(stack, user).await;
    session.select("INBOX").await.unwrap();
    let found = session
        .uid_search(format!("HEADER Message-ID \"<{id}>\""))
        .await
        .unwrap();
    session.logout().await.unwrap();
    found.into_iter().max()
}

/// A current-thread runtime for tests that are not async themselves (the
/// CLI runs its own runtime and cannot be called from inside one).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
