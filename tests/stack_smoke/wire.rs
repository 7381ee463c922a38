//! The wire-level helpers the smoke tests share: rustls client configurations (ring provider,
//! trust anchors from a PEM file, optional client identity), bounded connects and handshakes,
//! and line-oriented IMAP and SMTP exchanges. Every wait goes through [`within`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::common::Stack;

/// Upper bound for one connect, handshake or server reply on loopback.
pub(crate) const STEP: Duration = Duration::from_secs(10);

pub(crate) async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within {STEP:?}"),
    }
}

/// A client certificate chain and its private key.
pub(crate) type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// A rustls client (ring provider) that trusts only the PEM certificates in `roots`,
/// optionally presenting a client identity.
pub(crate) fn connector(roots: &Path, identity: Option<Identity>) -> TlsConnector {
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(roots).expect("read trust anchors") {
        store
            .add(cert.expect("parse trust anchor"))
            .expect("add trust anchor");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(store);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .expect("client auth config"),
    };
    TlsConnector::from(Arc::new(config))
}

/// A client identity read from PEM files.
pub(crate) fn pem_identity(cert: &Path, key: &Path) -> Identity {
    let chain = CertificateDer::pem_file_iter(cert)
        .expect("read client certificate")
        .collect::<Result<_, _>>()
        .expect("parse client certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("read client key");
    (chain, key)
}

/// [`connector`] with the identity, if any, read from PEM files.
pub(crate) fn tls_connector(roots: &Path, client: Option<(&Path, &Path)>) -> TlsConnector {
    connector(roots, client.map(|(cert, key)| pem_identity(cert, key)))
}

pub(crate) async fn connect(s: &Stack, port_key: &str) -> TcpStream {
    connect_to(s, &s.get("IMAP_HOST"), port_key).await
}

pub(crate) async fn connect_to(s: &Stack, host: &str, port_key: &str) -> TcpStream {
    let port = s.port(port_key);
    within(
        &format!("connect {host}:{port} ({port_key})"),
        TcpStream::connect((host, port)),
    )
    .await
    .unwrap_or_else(|e| panic!("connect {host}:{port} ({port_key}): {e}"))
}

pub(crate) async fn tls_handshake(
    s: &Stack,
    tcp: TcpStream,
    connector: &TlsConnector,
) -> Result<TlsStream<TcpStream>, std::io::Error> {
    let name = ServerName::try_from(s.get("IMAP_HOST")).expect("server name");
    within("TLS handshake", connector.connect(name, tcp)).await
}

pub(crate) async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, what: &str) -> String {
    let mut line = String::new();
    let n = within(what, r.read_line(&mut line))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(n > 0, "{what}: the server closed the connection");
    line.trim_end().to_string()
}

/// Sends one IMAP command and returns every line up to and including the tagged reply.
pub(crate) async fn imap_command<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut BufReader<S>,
    tag: &str,
    command: &str,
) -> Vec<String> {
    let w = r.get_mut();
    within(
        command,
        w.write_all(format!("{tag} {command}\r\n").as_bytes()),
    )
    .await
    .expect("send IMAP command");
    within(command, w.flush())
        .await
        .expect("flush IMAP command");
    let mut lines = Vec::new();
    loop {
        let line = read_line(r, command).await;
        let done = line.starts_with(&format!("{tag} "));
        lines.push(line);
        if done {
            return lines;
        }
    }
}

pub(crate) fn has_capability(lines: &[String], cap: &str) -> bool {
    lines
        .iter()
        .filter(|l| l.contains("CAPABILITY"))
        .any(|l| l.split([' ', '[', ']']).any(|w| w == cap))
}

/// The first reply line(s) of an SMTP server: `220 ...`, possibly multi-line (`220-`).
pub(crate) async fn smtp_reply<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    what: &str,
) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = read_line(r, what).await;
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return lines;
        }
    }
}

/// The text of an SMTP reply line after its code and separator (`250-STARTTLS` -> `STARTTLS`).
pub(crate) fn smtp_text(line: &str) -> &str {
    line.get(4..).unwrap_or("")
}

pub(crate) async fn smtp_ehlo<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut BufReader<S>,
) -> Vec<String> {
    let w = r.get_mut();
    within("EHLO", w.write_all(b"EHLO smoke.example.test\r\n"))
        .await
        .expect("send EHLO");
    within("EHLO", w.flush()).await.expect("flush EHLO");
    smtp_reply(r, "EHLO").await
}

/// Sends one SMTP command and returns its (possibly multi-line) reply.
pub(crate) async fn smtp_command<S: AsyncRead + AsyncWrite + Unpin>(
    r: &mut BufReader<S>,
    command: &str,
    what: &str,
) -> Vec<String> {
    let w = r.get_mut();
    within(what, w.write_all(format!("{command}\r\n").as_bytes()))
        .await
        .expect("send SMTP command");
    within(what, w.flush()).await.expect("flush SMTP command");
    smtp_reply(r, what).await
}

/// A client certificate with CN `cn` signed by the test CA's key, made in memory (the card
/// simulator owns `card.crt` in PKI_DIR; this test writes nothing there).
pub(crate) fn client_identity_signed_by_test_ca(s: &Stack, cn: &str) -> Identity {
    use rcgen::{CertificateParams, DistinguishedName, DnType, Issuer, KeyPair};
    let pki = s.path("PKI_DIR");
    let ca_key =
        KeyPair::from_pem(&std::fs::read_to_string(pki.join("ca.key")).expect("read ca.key"))
            .expect("parse ca.key");
    // The issuer name must match the CA's subject as gen-certs.sh writes it, in that order
    // (rcgen's default parameters carry a CN of their own, hence the fresh name).
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "Cachet Test");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Cachet Test CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("leaf params");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    let cert = params.signed_by(&leaf_key, &issuer).expect("sign leaf");
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).expect("leaf key DER");
    (vec![cert.der().clone()], key)
}
