//! Proves the loopback stack started by `tests/stack/start-all.sh` is up and behaves as the
//! contract in `docs/dev/test-stack.md` says, before any module's integration test relies on it:
//! every key is in stack.env; implicit-TLS IMAP chains to `CA_CERT` and to nothing else; the
//! STARTTLS port offers STARTTLS (and, on `IMAP_STRICT_ADDR`, refuses LOGIN before it) and the
//! no-STARTTLS port does not; mail submitted over SMTPS reaches the IMAP inbox; the certificate port refuses
//! EXTERNAL without a client certificate or with a foreign one, and accepts Alice's and the card
//! user's (CN 810100000017, whose mailbox is Alice's); both SMTP
//! ports greet, submission offers STARTTLS (and AUTH only after it) with the contract's size
//! limit; the vpcd driver listens on both slots. TLS is rustls with the ring provider, as in
//! the application. Every network step is bounded by [`STEP`].

// Test code: a failed expectation here is the test's verdict (clippy's allow-expect-in-tests
// covers #[test] functions only, not their helpers).
#![allow(clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use common::Stack;

/// Upper bound for one connect, handshake or server reply on loopback.
const STEP: Duration = Duration::from_secs(10);

/// Every key of the contract that start-all.sh itself writes (FHIR_URL comes from start-fhir.sh).
const CONTRACT_KEYS: &[&str] = &[
    "STACK_DIR",
    "CA_CERT",
    "PKI_DIR",
    "IMAP_HOST",
    "IMAPS_PORT",
    "IMAP_STARTTLS_PORT",
    "IMAP_STRICT_ADDR",
    "IMAP_NOSTARTTLS_PORT",
    "IMAPS_CERT_PORT",
    "SMTP_SUBMISSION_PORT",
    "SMTPS_PORT",
    "SMTP_SIZE_LIMIT",
    "ALICE_USER",
    "ALICE_PASSWORD",
    "BOB_USER",
    "BOB_PASSWORD",
    "CARD_USER",
    "ROGUE_CERT",
    "ROGUE_KEY",
    "VPCD_PORT",
    "VPCD_PORT_2",
];

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within {STEP:?}"),
    }
}

/// A rustls client that trusts only the PEM certificates in `roots`, optionally presenting a
/// client certificate.
fn tls_connector(roots: &Path, client: Option<(&Path, &Path)>) -> TlsConnector {
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
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .expect("read client certificate")
                .collect::<Result<_, _>>()
                .expect("parse client certificate");
            let key = PrivateKeyDer::from_pem_file(key).expect("read client key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth config")
        }
    };
    TlsConnector::from(Arc::new(config))
}

async fn connect(s: &Stack, port_key: &str) -> TcpStream {
    connect_to(s, &s.get("IMAP_HOST"), port_key).await
}

async fn connect_to(s: &Stack, host: &str, port_key: &str) -> TcpStream {
    let port = s.port(port_key);
    within(
        &format!("connect {host}:{port} ({port_key})"),
        TcpStream::connect((host, port)),
    )
    .await
    .unwrap_or_else(|e| panic!("connect {host}:{port} ({port_key}): {e}"))
}

async fn tls_handshake(
    s: &Stack,
    tcp: TcpStream,
    connector: &TlsConnector,
) -> Result<TlsStream<TcpStream>, std::io::Error> {
    let name = ServerName::try_from(s.get("IMAP_HOST")).expect("server name");
    within("TLS handshake", connector.connect(name, tcp)).await
}

async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, what: &str) -> String {
    let mut line = String::new();
    let n = within(what, r.read_line(&mut line))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(n > 0, "{what}: the server closed the connection");
    line.trim_end().to_string()
}

/// Sends one IMAP command and returns every line up to and including the tagged reply.
async fn imap_command<S: AsyncRead + AsyncWrite + Unpin>(
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

fn has_capability(lines: &[String], cap: &str) -> bool {
    lines
        .iter()
        .filter(|l| l.contains("CAPABILITY"))
        .any(|l| l.split([' ', '[', ']']).any(|w| w == cap))
}

/// The first reply line(s) of an SMTP server: `220 ...`, possibly multi-line (`220-`).
async fn smtp_reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>, what: &str) -> Vec<String> {
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
fn smtp_text(line: &str) -> &str {
    line.get(4..).unwrap_or("")
}

async fn smtp_ehlo<S: AsyncRead + AsyncWrite + Unpin>(r: &mut BufReader<S>) -> Vec<String> {
    let w = r.get_mut();
    within("EHLO", w.write_all(b"EHLO smoke.example.test\r\n"))
        .await
        .expect("send EHLO");
    within("EHLO", w.flush()).await.expect("flush EHLO");
    smtp_reply(r, "EHLO").await
}

#[test]
fn stack_env_has_every_contract_key_and_the_pki() {
    let Some(s) = common::stack("stack_env_has_every_contract_key_and_the_pki") else {
        return;
    };
    for key in CONTRACT_KEYS {
        assert!(
            s.get_opt(key).is_some_and(|v| !v.is_empty()),
            "stack.env lacks {key}"
        );
    }
    // start-fhir.sh is another script's job; when the project has it, its key is part of the contract
    if Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stack/start-fhir.sh")
        .exists()
    {
        let url = s.get("FHIR_URL");
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/fhir/R4"),
            "FHIR_URL={url}"
        );
    }
    let pki = s.path("PKI_DIR");
    for f in ["ca.crt", "ca.key", "server.crt", "server.key"] {
        assert!(
            pki.join(f).is_file(),
            "{f} missing from PKI_DIR {}",
            pki.display()
        );
    }
    assert_eq!(s.path("CA_CERT"), pki.join("ca.crt"));
    assert_eq!(s.get("CARD_USER"), "810100000017");
    assert_eq!(s.get("SMTP_SIZE_LIMIT"), "10485760");
    assert_eq!(s.port("VPCD_PORT_2"), s.port("VPCD_PORT") + 1);
}

#[tokio::test]
async fn imaps_greets_over_tls_that_chains_to_the_test_ca_only() {
    let Some(s) = common::stack("imaps_greets_over_tls_that_chains_to_the_test_ca_only") else {
        return;
    };
    let tls = tls_handshake(
        &s,
        connect(&s, "IMAPS_PORT").await,
        &tls_connector(&s.path("CA_CERT"), None),
    )
    .await
    .expect("TLS handshake trusting CA_CERT");
    let mut r = BufReader::new(tls);
    let greeting = read_line(&mut r, "IMAPS greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    for cap in ["IDLE", "CONDSTORE", "QRESYNC", "SPECIAL-USE"] {
        assert!(
            has_capability(&login, cap),
            "{cap} missing after login: {login:?}"
        );
    }
    let list = imap_command(&mut r, "a2", "LIST \"\" \"*\" RETURN (SPECIAL-USE)").await;
    for flag in ["\\Sent", "\\Drafts", "\\Trash", "\\Archive", "\\Junk"] {
        assert!(
            list.iter().any(|l| l.contains(flag)),
            "no {flag} folder: {list:?}"
        );
    }

    // The same server must be refused by a client that trusts another CA.
    let foreign = tls_connector(&s.path("ROGUE_CERT"), None);
    let refused = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &foreign).await;
    assert!(
        refused.is_err(),
        "a client trusting only ROGUE_CERT accepted the server certificate"
    );
}

#[tokio::test]
async fn starttls_port_offers_starttls_and_upgrades() {
    let Some(s) = common::stack("starttls_port_offers_starttls_and_upgrades") else {
        return;
    };
    let mut r = BufReader::new(connect(&s, "IMAP_STARTTLS_PORT").await);
    let greeting = read_line(&mut r, "STARTTLS-port greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = imap_command(&mut r, "a1", "CAPABILITY").await;
    assert!(
        has_capability(&caps, "STARTTLS"),
        "STARTTLS not offered: {caps:?}"
    );
    let ok = imap_command(&mut r, "a2", "STARTTLS").await;
    assert!(
        ok.last().is_some_and(|l| l.starts_with("a2 OK")),
        "STARTTLS refused: {ok:?}"
    );
    assert!(
        r.buffer().is_empty(),
        "server sent data after STARTTLS OK (injection)"
    );
    let tls = tls_handshake(&s, r.into_inner(), &tls_connector(&s.path("CA_CERT"), None))
        .await
        .expect("TLS handshake after STARTTLS");
    let mut r = BufReader::new(tls);
    let login = imap_command(
        &mut r,
        "a3",
        &format!("LOGIN {} {}", s.get("BOB_USER"), s.get("BOB_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a3 OK")),
        "login after STARTTLS: {login:?}"
    );
}

#[tokio::test]
async fn strict_address_refuses_login_before_starttls() {
    let Some(s) = common::stack("strict_address_refuses_login_before_starttls") else {
        return;
    };
    let strict = s.get("IMAP_STRICT_ADDR");
    let mut r = BufReader::new(connect_to(&s, &strict, "IMAP_STARTTLS_PORT").await);
    let greeting = vec![read_line(&mut r, "strict STARTTLS greeting").await];
    assert!(
        has_capability(&greeting, "STARTTLS"),
        "greeting: {greeting:?}"
    );
    assert!(
        has_capability(&greeting, "LOGINDISABLED"),
        "greeting: {greeting:?}"
    );
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 NO")),
        "plaintext LOGIN: {login:?}"
    );
    let ok = imap_command(&mut r, "a2", "STARTTLS").await;
    assert!(
        ok.last().is_some_and(|l| l.starts_with("a2 OK")),
        "STARTTLS refused: {ok:?}"
    );
    // the certificate names localhost; the name checked is the one we ask for, not the address
    let tls = tls_handshake(&s, r.into_inner(), &tls_connector(&s.path("CA_CERT"), None))
        .await
        .expect("TLS handshake after STARTTLS on the strict address");
    let mut r = BufReader::new(tls);
    let login = imap_command(
        &mut r,
        "a3",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a3 OK")),
        "login after STARTTLS: {login:?}"
    );
}

#[tokio::test]
async fn nostarttls_port_never_offers_starttls() {
    let Some(s) = common::stack("nostarttls_port_never_offers_starttls") else {
        return;
    };
    let mut r = BufReader::new(connect(&s, "IMAP_NOSTARTTLS_PORT").await);
    let greeting = read_line(&mut r, "no-STARTTLS greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = imap_command(&mut r, "a1", "CAPABILITY").await;
    assert!(
        caps.last().is_some_and(|l| l.starts_with("a1 OK")),
        "CAPABILITY: {caps:?}"
    );
    assert!(
        has_capability(&caps, "IMAP4rev1"),
        "not an IMAP server? {caps:?}"
    );
    assert!(
        !has_capability(&caps, "STARTTLS"),
        "STARTTLS offered: {caps:?}"
    );
    assert!(
        !has_capability(&[greeting], "STARTTLS"),
        "STARTTLS in the greeting"
    );
}

/// `AUTHENTICATE EXTERNAL` on the certificate port with the given client identity; returns the
/// tagged reply. Dovecot completes the handshake either way and refuses at AUTHENTICATE.
async fn external_login(s: &Stack, identity: Option<(&Path, &Path)>) -> String {
    let connector = tls_connector(&s.path("CA_CERT"), identity);
    let tls = tls_handshake(s, connect(s, "IMAPS_CERT_PORT").await, &connector)
        .await
        .expect("TLS handshake on the certificate port");
    let mut r = BufReader::new(tls);
    let greeting = read_line(&mut r, "cert-port greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = vec![greeting];
    assert!(
        has_capability(&caps, "AUTH=EXTERNAL"),
        "no AUTH=EXTERNAL: {caps:?}"
    );
    let reply = imap_command(&mut r, "a1", "AUTHENTICATE EXTERNAL =").await;
    reply.last().cloned().unwrap_or_default()
}

#[tokio::test]
async fn cert_port_requires_a_client_certificate_from_the_test_ca() {
    let Some(s) = common::stack("cert_port_requires_a_client_certificate_from_the_test_ca") else {
        return;
    };
    let none = external_login(&s, None).await;
    assert!(
        none.starts_with("a1 NO"),
        "login without a client certificate: {none}"
    );

    let rogue = external_login(&s, Some((&s.path("ROGUE_CERT"), &s.path("ROGUE_KEY")))).await;
    assert!(
        rogue.starts_with("a1 NO"),
        "login with a foreign CA's certificate: {rogue}"
    );

    // The refusals above mean something only if a good certificate gets in.
    let alice = external_login(&s, Some((&s.path("ALICE_CERT"), &s.path("ALICE_KEY")))).await;
    assert!(
        alice.starts_with("a1 OK"),
        "login with Alice's certificate: {alice}"
    );
}

#[tokio::test]
async fn smtp_ports_greet_and_submission_requires_starttls() {
    let Some(s) = common::stack("smtp_ports_greet_and_submission_requires_starttls") else {
        return;
    };
    let limit = s.get("SMTP_SIZE_LIMIT");

    let mut r = BufReader::new(connect(&s, "SMTP_SUBMISSION_PORT").await);
    let greeting = smtp_reply(&mut r, "submission greeting").await;
    assert!(greeting[0].starts_with("220"), "greeting: {greeting:?}");
    let ehlo = smtp_ehlo(&mut r).await;
    assert!(ehlo.iter().all(|l| l.starts_with("250")), "EHLO: {ehlo:?}");
    assert!(
        ehlo.iter().any(|l| smtp_text(l) == "STARTTLS"),
        "no STARTTLS: {ehlo:?}"
    );
    assert!(
        !ehlo.iter().any(|l| smtp_text(l).starts_with("AUTH")),
        "AUTH offered before TLS: {ehlo:?}"
    );
    assert!(
        ehlo.iter().any(|l| smtp_text(l) == format!("SIZE {limit}")),
        "no SIZE {limit}: {ehlo:?}"
    );
    let w = r.get_mut();
    within(
        "MAIL before STARTTLS",
        w.write_all(b"MAIL FROM:<alice@example.test>\r\n"),
    )
    .await
    .expect("send MAIL");
    let refused = smtp_reply(&mut r, "MAIL before STARTTLS").await;
    assert!(
        refused[0].starts_with("530"),
        "MAIL accepted before STARTTLS: {refused:?}"
    );

    let tls = tls_handshake(
        &s,
        connect(&s, "SMTPS_PORT").await,
        &tls_connector(&s.path("CA_CERT"), None),
    )
    .await
    .expect("TLS handshake on the SMTPS port");
    let mut r = BufReader::new(tls);
    let greeting = smtp_reply(&mut r, "SMTPS greeting").await;
    assert!(greeting[0].starts_with("220"), "greeting: {greeting:?}");
    let ehlo = smtp_ehlo(&mut r).await;
    assert!(
        ehlo.iter()
            .any(|l| smtp_text(l).starts_with("AUTH") && l.contains("PLAIN")),
        "EHLO: {ehlo:?}"
    );
}

#[tokio::test]
async fn vpcd_listens_on_both_slots() {
    let Some(s) = common::stack("vpcd_listens_on_both_slots") else {
        return;
    };
    for key in ["VPCD_PORT", "VPCD_PORT_2"] {
        let port = s.port(key);
        within(
            &format!("connect vpcd {key}"),
            TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        .unwrap_or_else(|e| panic!("vpcd {key}={port} refuses a connection: {e}"));
    }
}

/// Sends one SMTP command and returns its (possibly multi-line) reply.
async fn smtp_command<S: AsyncRead + AsyncWrite + Unpin>(
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

#[tokio::test]
async fn mail_submitted_over_smtps_reaches_the_imap_inbox() {
    use base64::Engine as _;
    let Some(s) = common::stack("mail_submitted_over_smtps_reaches_the_imap_inbox") else {
        return;
    };
    let (bob, alice) = (s.get("BOB_USER"), s.get("ALICE_USER"));
    let token = format!("smoke-{}-{}", std::process::id(), fastrand::u64(..));

    let connector = tls_connector(&s.path("CA_CERT"), None);
    let tls = tls_handshake(&s, connect(&s, "SMTPS_PORT").await, &connector)
        .await
        .expect("TLS handshake on the SMTPS port");
    let mut r = BufReader::new(tls);
    smtp_reply(&mut r, "SMTPS greeting").await;
    smtp_ehlo(&mut r).await;
    let plain = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{bob}\0{}", s.get("BOB_PASSWORD")));
    let steps = [
        (format!("AUTH PLAIN {plain}"), "235"),
        (format!("MAIL FROM:<{bob}>"), "250"),
        (format!("RCPT TO:<{alice}>"), "250"),
        ("DATA".to_string(), "354"),
        (
            format!(
                "From: <{bob}>\r\nTo: <{alice}>\r\nSubject: {token}\r\n\r\nstack smoke test\r\n."
            ),
            "250",
        ),
    ];
    for (command, code) in &steps {
        let what = command.split(' ').next().unwrap_or("SMTP");
        let reply = smtp_command(&mut r, command, what).await;
        assert!(
            reply[0].starts_with(code),
            "{what}: expected {code}, got {reply:?}"
        );
    }
    smtp_command(&mut r, "QUIT", "QUIT").await;

    // Delivery (Postfix queue -> LMTP -> Dovecot) is asynchronous: poll the inbox, bounded.
    let tls = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &connector)
        .await
        .expect("TLS handshake on the IMAPS port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "IMAPS greeting").await;
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {alice} {}", s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    let delivered = tokio::time::timeout(Duration::from_secs(20), async {
        for n in 0u32.. {
            let tag = format!("s{n}");
            imap_command(&mut r, &format!("e{n}"), "EXAMINE INBOX").await;
            let found = imap_command(&mut r, &tag, &format!("SEARCH SUBJECT {token}")).await;
            if found
                .iter()
                .any(|l| l.starts_with("* SEARCH ") && l.len() > "* SEARCH ".len())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        delivered.is_ok(),
        "message {token} never reached {alice}'s INBOX"
    );
}

/// A client certificate with CN `cn` signed by the test CA's key, made in memory (the card
/// simulator owns `card.crt` in PKI_DIR; this test writes nothing there).
fn client_identity_signed_by_test_ca(
    s: &Stack,
    cn: &str,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
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

#[tokio::test]
async fn card_user_certificate_opens_alices_mailbox() {
    let Some(s) = common::stack("card_user_certificate_opens_alices_mailbox") else {
        return;
    };
    let token = format!("card-{}-{}", std::process::id(), fastrand::u64(..));

    // Put a marker in Alice's INBOX through her password login.
    let ca = tls_connector(&s.path("CA_CERT"), None);
    let tls = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &ca)
        .await
        .expect("TLS handshake on the IMAPS port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "IMAPS greeting").await;
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    let message = format!("Subject: {token}\r\n\r\nmarker\r\n");
    let append = imap_command(
        &mut r,
        "a2",
        &format!("APPEND INBOX {{{}+}}\r\n{message}", message.len()),
    )
    .await;
    assert!(
        append.last().is_some_and(|l| l.starts_with("a2 OK")),
        "APPEND: {append:?}"
    );

    // The card user's certificate logs in by EXTERNAL and sees that marker.
    let (chain, key) = client_identity_signed_by_test_ca(&s, &s.get("CARD_USER"));
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(s.path("CA_CERT")).expect("read CA") {
        store.add(cert.expect("parse CA")).expect("add CA");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(store)
    .with_client_auth_cert(chain, key)
    .expect("client auth config");
    let tls = tls_handshake(
        &s,
        connect(&s, "IMAPS_CERT_PORT").await,
        &TlsConnector::from(Arc::new(config)),
    )
    .await
    .expect("TLS handshake on the certificate port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "cert-port greeting").await;
    let auth = imap_command(&mut r, "b1", "AUTHENTICATE EXTERNAL =").await;
    assert!(
        auth.last().is_some_and(|l| l.starts_with("b1 OK")),
        "card user EXTERNAL: {auth:?}"
    );
    imap_command(&mut r, "b2", "EXAMINE INBOX").await;
    let found = imap_command(&mut r, "b3", &format!("SEARCH SUBJECT {token}")).await;
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("* SEARCH ") && l.len() > "* SEARCH ".len()),
        "the card user does not see Alice's mailbox: {found:?}"
    );
}
