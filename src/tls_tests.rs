//! Real handshakes between our client configuration and an in-process rustls server, over
//! an in-memory pipe, with certificates made on the spot by rcgen.

use super::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Pki {
    ca_pem: String,
    server: ServerConfig,
}

fn pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    // a distinct CA name per PKI, as two real CAs would have
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("Test CA {}", fastrand::u64(..)),
    );
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let server =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server,
    }
}

fn only(pem: &str) -> TlsOptions {
    TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemBytes(pem.as_bytes().to_vec())],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    }
}

/// Runs one handshake plus a byte of application data; returns the negotiated version.
async fn handshake(
    client: &TlsOptions,
    server: ServerConfig,
    name: &str,
) -> Result<rustls::ProtocolVersion, std::io::Error> {
    let config = client_config(client).unwrap();
    let (c, s) = tokio::io::duplex(64 * 1024);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let server_task = tokio::spawn(async move {
        let mut tls = acceptor.accept(s).await?;
        tls.write_all(b"x").await?;
        tls.flush().await?;
        Ok::<_, std::io::Error>(())
    });
    let connector = tokio_rustls::TlsConnector::from(config);
    let mut tls = connector.connect(server_name(name).unwrap(), c).await?;
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte).await?;
    let version = tls.get_ref().1.protocol_version();
    let _ = server_task.await;
    version.ok_or_else(|| std::io::Error::other("no version"))
}

fn is_cert_error(e: &std::io::Error, want: rustls::CertificateError) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|r| *r == rustls::Error::InvalidCertificate(want.clone()))
}

#[tokio::test]
async fn configured_anchor_and_right_name_connect_with_tls13() {
    let p = pki(&["imap.example.test"]);
    let v = handshake(&only(&p.ca_pem), p.server, "imap.example.test")
        .await
        .unwrap();
    assert_eq!(v, rustls::ProtocolVersion::TLSv1_3);
}

#[tokio::test]
async fn tls12_only_negotiates_tls12() {
    let p = pki(&["imap.example.test"]);
    let mut options = only(&p.ca_pem);
    options.versions = TlsVersions::Tls12Only;
    let v = handshake(&options, p.server, "imap.example.test")
        .await
        .unwrap();
    assert_eq!(v, rustls::ProtocolVersion::TLSv1_2);
}

#[tokio::test]
async fn a_name_not_in_the_certificate_is_refused() {
    let p = pki(&["imap.example.test"]);
    let e = handshake(&only(&p.ca_pem), p.server, "other.example.test")
        .await
        .unwrap_err();
    assert!(
        e.get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .is_some_and(|r| matches!(
                r,
                rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForNameContext { .. }
                ) | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            )),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_server_from_another_ca_is_refused() {
    let trusted = pki(&["imap.example.test"]);
    let other = pki(&["imap.example.test"]);
    let e = handshake(&only(&trusted.ca_pem), other.server, "imap.example.test")
        .await
        .unwrap_err();
    assert!(
        is_cert_error(&e, rustls::CertificateError::UnknownIssuer),
        "{e:?}"
    );
}

#[tokio::test]
async fn public_roots_do_not_trust_a_private_ca_unless_added() {
    let p = pki(&["imap.example.test"]);
    let public = TlsOptions {
        trust: TrustPolicy::PublicRoots { extra: vec![] },
        versions: TlsVersions::default(),
        client_auth: None,
    };
    let e = handshake(&public, p.server.clone(), "imap.example.test")
        .await
        .unwrap_err();
    assert!(is_cert_error(&e, rustls::CertificateError::UnknownIssuer));
    let with_extra = TlsOptions {
        trust: TrustPolicy::PublicRoots {
            extra: vec![AnchorSource::PemBytes(p.ca_pem.into_bytes())],
        },
        ..public
    };
    handshake(&with_extra, p.server, "imap.example.test")
        .await
        .unwrap();
}

#[test]
fn mssante_without_anchors_is_a_config_error() {
    let options = TlsOptions {
        trust: TrustPolicy::ConfiguredOnly { anchors: vec![] },
        versions: TlsVersions::default(),
        client_auth: None,
    };
    let e = client_config(&options).unwrap_err();
    assert!(matches!(e, TlsError::NoAnchors));
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn bad_anchor_files_are_typed_errors() {
    let empty = only("no certificate in here\n");
    assert!(matches!(
        client_config(&empty).unwrap_err(),
        TlsError::AnchorEmpty { .. }
    ));
    let missing = TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemFile("/nonexistent/ca.pem".into())],
        },
        ..empty
    };
    let e = client_config(&missing).unwrap_err();
    assert!(matches!(e, TlsError::AnchorRead { .. }));
    assert!(e.to_string().contains("/nonexistent/ca.pem"));
}

#[test]
fn server_names_accept_dns_and_ip_and_refuse_junk() {
    assert!(server_name("localhost").is_ok());
    assert!(server_name("127.0.0.1").is_ok());
    assert!(server_name("bad name with spaces").is_err());
}

#[test]
fn the_built_in_igc_sante_root_is_the_production_root_and_loads() {
    let certs = load_anchor(&AnchorSource::IgcSanteProduction).unwrap();
    assert_eq!(certs.len(), 1);
    let (_, cert) = x509_parser::parse_x509_certificate(certs[0].as_ref()).unwrap();
    let subject = cert.subject().to_string();
    assert!(
        subject.contains("AC RACINE IGC-SANTE ELEMENTAIRE"),
        "{subject}"
    );
    assert_eq!(cert.subject(), cert.issuer(), "a root is self-issued");
    assert!(cert.is_ca());
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, certs[0].as_ref());
    assert_eq!(
        hex::encode(fingerprint.as_ref()),
        "2d9e22ca19f777c6b745257c723ecb8df3c35fa6f1f6ec36b83600c97346967f"
    );
    // an MSSanté policy with only the built-in root builds a client configuration
    let options = TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::IgcSanteProduction],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    };
    assert!(client_config(&options).is_ok());
}

#[tokio::test]
async fn the_built_in_root_does_not_vouch_for_a_foreign_ca() {
    let p = pki(&["localhost"]);
    let options = TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::IgcSanteProduction],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    };
    assert!(handshake(&options, p.server, "localhost").await.is_err());
}
