//! TLS client authentication with the card against Dovecot's client
//! certificate port: the simulated card sits in vpcd slot 1 behind a real
//! pcscd, rustls asks the card to sign through the card thread, and Dovecot
//! must accept `AUTHENTICATE EXTERNAL` for the card's CN. CPS3 is limited to
//! TLS 1.2 (PKCS#1 v1.5); CPS4 gets TLS 1.3 with RSA-PSS built on the host.
//! A certificate from another CA must not log in.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use cachet::card::{CardHandle, CardKind, Pin, signer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use zeroize::Zeroizing;

const READER: &str = "Virtual PCD 00 01";
const IO_BOUND: Duration = Duration::from_secs(20);

fn roots(ca: &std::path::Path) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap_or_else(|e| panic!("{}: {e}", ca.display())) {
        roots
            .add(c.unwrap_or_else(|e| panic!("CA PEM: {e}")))
            .unwrap_or_else(|e| panic!("CA: {e}"));
    }
    roots
}

/// Connects, authenticates with EXTERNAL, returns (negotiated version, tagged answer).
async fn external_login(
    config: Arc<rustls::ClientConfig>,
    port: u16,
) -> Result<(rustls::ProtocolVersion, String), String> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let version = tls.get_ref().1.protocol_version().ok_or("no version")?;
    let mut io = BufReader::new(tls);
    let mut line = String::new();
    io.read_line(&mut line).await.map_err(|e| e.to_string())?;
    if !line.starts_with("* OK") {
        return Err(format!("greeting: {line}"));
    }
    // SASL-IR with an empty initial response: authorise as the certificate's identity.
    io.get_mut()
        .write_all(b"a1 AUTHENTICATE EXTERNAL =\r\n")
        .await
        .map_err(|e| e.to_string())?;
    loop {
        line.clear();
        if io
            .read_line(&mut line)
            .await
            .map_err(|e| format!("read: {e}"))?
            == 0
        {
            return Err("connection closed".into());
        }
        if line.starts_with("a1 ") {
            let _ = io.get_mut().write_all(b"a2 LOGOUT\r\n").await;
            return Ok((version, line.trim_end().to_string()));
        }
    }
}

#[test]
fn imap_external_login_with_the_card() {
    let Some(stack) = common::stack("imap_external_login_with_the_card") else {
        return;
    };
    let port = stack.port("IMAPS_CERT_PORT");
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT_2"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).unwrap();
    let roots = Arc::new(roots(&stack.path("CA_CERT")));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = CardHandle::spawn_pcsc(Some(READER.into())).unwrap();

    for (kind, want_version) in [
        (CardKind::Cps3Contact, rustls::ProtocolVersion::TLSv1_2),
        (CardKind::Cps4, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let card = VpcdCard::insert(&vpcd, Simulator::new(&pki, kind, "1234")).unwrap();
        let info = handle.wait_for_card(Duration::from_secs(15)).unwrap();
        assert_eq!(info.kind, kind);
        handle
            .verify(Pin::new(Zeroizing::new("1234".into())).unwrap())
            .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(signer::protocol_versions(kind))
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_client_cert_resolver(Arc::new(signer::CardClientAuth::new(
                handle.clone(),
                &info,
            )));
        let before = handle.private_key_operations();
        let (version, answer) = rt
            .block_on(async {
                tokio::time::timeout(IO_BOUND, external_login(Arc::new(config), port)).await
            })
            .unwrap_or_else(|_| panic!("{kind:?}: no answer within {IO_BOUND:?}"))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(version, want_version, "{kind:?}");
        assert!(answer.starts_with("a1 OK"), "{kind:?}: {answer}");
        assert_eq!(
            handle.private_key_operations() - before,
            1,
            "one card operation per handshake"
        );
        card.remove().unwrap();
        // wait until the thread has noticed, so the next card is a fresh one
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while handle.card().is_ok() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // A certificate from another CA does not get in (Dovecot refuses at AUTHENTICATE or at the handshake).
    let cert = CertificateDer::from_pem_file(stack.path("ROGUE_CERT")).unwrap();
    let key = PrivateKeyDer::from_pem_file(stack.path("ROGUE_KEY")).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![cert], key)
        .unwrap();
    let outcome = rt.block_on(async {
        tokio::time::timeout(IO_BOUND, external_login(Arc::new(config), port)).await
    });
    match outcome {
        Ok(Ok((_, answer))) => {
            eprintln!("rogue certificate: {answer}");
            assert!(
                answer.starts_with("a1 NO"),
                "rogue certificate was not refused: {answer}"
            );
        }
        Ok(Err(refused)) => eprintln!("rogue certificate refused: {refused}"),
        Err(_) => panic!("no answer for the rogue certificate within {IO_BOUND:?}"),
    }
}
