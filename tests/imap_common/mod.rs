//! Helpers shared by the IMAP integration tests (accounts from stack.env, TLS from the
//! test CA, unique folders, test messages, a client-certificate resolver from PEM files).
#![allow(dead_code)]
// test helpers: a failure here is a broken test setup, reported by the panic
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use cachet::mail::imap::types::Flags;
use cachet::mail::imap::{AuthMethod, ImapAccount, ImapConn, Security, Timeouts, connect};
use cachet::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy, client_config};
use rustls::ClientConfig;
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::common::Stack;

pub fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(10),
        greeting: Duration::from_secs(10),
        command: Duration::from_secs(30),
        secret_command: Duration::from_secs(10),
        idle_refresh: Duration::from_secs(60),
    }
}

pub fn password_auth(password: &str) -> AuthMethod {
    AuthMethod::Password {
        password_command: format!("printf '%s\\n' '{password}'"),
    }
}

pub fn account(
    stack: &Stack,
    port_key: &str,
    security: Security,
    user_key: &str,
    auth: AuthMethod,
) -> ImapAccount {
    ImapAccount {
        host: stack.get("IMAP_HOST"),
        port: stack.port(port_key),
        security,
        user: stack.get(user_key),
        auth,
        timeouts: timeouts(),
        use_qresync: true,
    }
}

pub fn alice(stack: &Stack) -> ImapAccount {
    let pw = stack.get("ALICE_PASSWORD");
    account(
        stack,
        "IMAPS_PORT",
        Security::ImplicitTls,
        "ALICE_USER",
        password_auth(&pw),
    )
}

pub fn bob(stack: &Stack) -> ImapAccount {
    let pw = stack.get("BOB_PASSWORD");
    account(
        stack,
        "IMAPS_PORT",
        Security::ImplicitTls,
        "BOB_USER",
        password_auth(&pw),
    )
}

pub fn tls_options(stack: &Stack) -> TlsOptions {
    TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemFile(stack.path("CA_CERT"))],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    }
}

pub fn tls(stack: &Stack) -> Arc<ClientConfig> {
    client_config(&tls_options(stack)).unwrap()
}

pub async fn login(stack: &Stack, account: &ImapAccount) -> ImapConn {
    connect(account, tls(stack)).await.unwrap()
}

/// A folder name no other test (or earlier run) uses.
pub fn unique_folder(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

pub fn message(subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "From: Dr Test <sender@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0100\r\nDisposition-Notification-To: sender@example.test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody of {subject}\r\n"
    )
    .into_bytes()
}

/// Serves one fixed certificate and key, as the card module's resolver will.
#[derive(Debug)]
pub struct PemClientCert(Arc<CertifiedKey>);

impl PemClientCert {
    pub fn load(cert: &std::path::Path, key: &std::path::Path) -> Arc<PemClientCert> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let signer = rustls::crypto::ring::sign::any_supported_type(&key).unwrap();
        Arc::new(PemClientCert(Arc::new(CertifiedKey::new(certs, signer))))
    }
}

impl ResolvesClientCert for PemClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A folder with `n` messages; message i (1-based) is \Seen when i is odd.
pub async fn folder_with(conn: &mut ImapConn, prefix: &str, n: usize) -> String {
    let folder = unique_folder(prefix);
    conn.create_folder(&folder).await.unwrap();
    for i in 1..=n {
        let flags = if i % 2 == 1 {
            Flags::of([Flags::SEEN])
        } else {
            Flags::default()
        };
        conn.append(
            &folder,
            &flags,
            &message(&format!("message {i}"), &format!("m{i}@{folder}")),
        )
        .await
        .unwrap();
    }
    folder
}
