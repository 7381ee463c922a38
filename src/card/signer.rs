//! The card as a rustls client certificate: [`CardClientAuth`] resolves to
//! the card's authentication certificate and a signing key whose signatures
//! are computed by the card through the [`CardHandle`] (one card operation
//! per handshake). CPS3 signs PKCS#1 v1.5 only, so it is TLS 1.2 only (TLS
//! 1.3 forbids PKCS#1 v1.5 for CertificateVerify); CPS4's raw RSA lets us
//! build RSA-PSS on the host, so it may use TLS 1.3. [`protocol_versions`]
//! says which to enable.

use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::pki_types::CertificateDer;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme, SupportedProtocolVersion};

use super::cps::{CardInfo, Mechanism};
use super::kind::CardKind;
use super::padding::HashAlg;
use super::service::CardHandle;

/// The TLS versions to offer when authenticating with a card of `kind`.
pub fn protocol_versions(kind: CardKind) -> &'static [&'static SupportedProtocolVersion] {
    static BOTH: [&SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS12_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    if kind.raw_rsa() {
        &BOTH
    } else {
        tracing::info!(
            card = kind.label(),
            "card signs PKCS#1 v1.5 only: TLS 1.2 for client authentication"
        );
        &TLS12_ONLY
    }
}

/// Client certificate resolver backed by the card.
#[derive(Debug)]
pub struct CardClientAuth {
    certified: Arc<CertifiedKey>,
}

impl CardClientAuth {
    /// For the card described by `info` (from [`CardHandle::card`]).
    pub fn new(handle: CardHandle, info: &CardInfo) -> CardClientAuth {
        let key = CardSigningKey {
            handle,
            kind: info.kind,
        };
        let chain = vec![CertificateDer::from(info.certificate.clone())];
        CardClientAuth {
            certified: Arc::new(CertifiedKey::new(chain, Arc::new(key))),
        }
    }
}

impl ResolvesClientCert for CardClientAuth {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if self.certified.key.choose_scheme(sigschemes).is_none() {
            tracing::warn!(
                ?sigschemes,
                "the server accepts no signature scheme the card can make"
            );
            return None;
        }
        Some(self.certified.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct CardSigningKey {
    handle: CardHandle,
    kind: CardKind,
}

/// Schemes in order of preference.
const PSS: [(SignatureScheme, HashAlg); 3] = [
    (SignatureScheme::RSA_PSS_SHA256, HashAlg::Sha256),
    (SignatureScheme::RSA_PSS_SHA384, HashAlg::Sha384),
    (SignatureScheme::RSA_PSS_SHA512, HashAlg::Sha512),
];
const PKCS1: [(SignatureScheme, HashAlg); 3] = [
    (SignatureScheme::RSA_PKCS1_SHA256, HashAlg::Sha256),
    (SignatureScheme::RSA_PKCS1_SHA384, HashAlg::Sha384),
    (SignatureScheme::RSA_PKCS1_SHA512, HashAlg::Sha512),
];

impl SigningKey for CardSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let pss: &[_] = if self.kind.raw_rsa() { &PSS } else { &[] };
        let (scheme, hash) = pss
            .iter()
            .chain(PKCS1.iter())
            .find(|(s, _)| offered.contains(s))?;
        Some(Box::new(CardSigner {
            handle: self.handle.clone(),
            scheme: *scheme,
            hash: *hash,
        }))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct CardSigner {
    handle: CardHandle,
    scheme: SignatureScheme,
    hash: HashAlg,
}

impl Signer for CardSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let digest = self.hash.digest(message);
        let mechanism = if PSS.iter().any(|(s, _)| *s == self.scheme) {
            Mechanism::Pss {
                hash: self.hash,
                digest,
            }
        } else {
            Mechanism::Pkcs1v15 {
                hash: self.hash,
                digest,
            }
        };
        self.handle.sign(mechanism).map_err(|e| {
            tracing::warn!(error = %e, "card signature for TLS failed");
            rustls::Error::General(format!("smart card: {e}"))
        })
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Pin;
    use crate::card::sim::{Simulator, pki};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use zeroize::Zeroizing;

    /// A full TLS handshake in memory: a rustls server that requires a
    /// client certificate from the test CA, and a client whose key is the
    /// simulated card behind the card thread.
    fn handshake(kind: CardKind) -> (rustls::ProtocolVersion, u64) {
        let dir = tempfile::tempdir().unwrap().keep();
        let pki = pki::ensure(&dir).unwrap();
        let sim = Simulator::new(&pki, kind, "1234");
        let handle = CardHandle::spawn_simulated("Sim 0", sim).unwrap();
        let info = handle
            .wait_for_card(std::time::Duration::from_secs(10))
            .unwrap();
        handle
            .verify(Pin::new(Zeroizing::new("1234".into())).unwrap())
            .unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(pki.ca_cert_der.clone()))
            .unwrap();
        let roots = Arc::new(roots);
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots.clone(),
            provider.clone(),
        )
        .build()
        .unwrap();
        let server_chain = CertificateDer::pem_file_iter(dir.join("server.crt"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        let server_key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(server_chain, server_key)
            .unwrap();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(protocol_versions(kind))
            .unwrap()
            .with_root_certificates(roots)
            .with_client_cert_resolver(Arc::new(CardClientAuth::new(handle.clone(), &info)));

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let before = handle.private_key_operations();
        let version = rt.block_on(async move {
            let (c, s) = tokio::io::duplex(64 * 1024);
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
            let server_task = tokio::spawn(async move {
                let mut tls = acceptor.accept(s).await.unwrap();
                let mut buf = [0u8; 5];
                tls.read_exact(&mut buf).await.unwrap();
                let conn = tls.get_ref().1;
                assert_eq!(
                    conn.peer_certificates().unwrap()[0].as_ref(),
                    &info.certificate[..]
                );
                (conn.protocol_version().unwrap(), buf)
            });
            let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let mut tls = connector.connect(name, c).await.unwrap();
            tls.write_all(b"hello").await.unwrap();
            tls.flush().await.unwrap();
            let (version, buf) =
                tokio::time::timeout(std::time::Duration::from_secs(20), server_task)
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(&buf, b"hello");
            version
        });
        (version, handle.private_key_operations() - before)
    }

    #[test]
    fn cps3_authenticates_over_tls12_with_one_card_operation() {
        let (version, ops) = handshake(CardKind::Cps3Contact);
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_2);
        assert_eq!(ops, 1);
    }

    #[test]
    fn cps4_authenticates_over_tls13_with_pss() {
        // TLS 1.3 accepts only RSA-PSS for an RSA client key: this proves the PSS path.
        let (version, ops) = handshake(CardKind::Cps4);
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
        assert_eq!(ops, 1);
    }

    #[test]
    fn scheme_choice_follows_the_card() {
        let sim_less = |kind| {
            let dir = tempfile::tempdir().unwrap().keep();
            let pki = pki::ensure(&dir).unwrap();
            let handle =
                CardHandle::spawn_simulated("Sim 0", Simulator::new(&pki, kind, "1234")).unwrap();
            CardSigningKey { handle, kind }
        };
        let offered = [
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PSS_SHA256,
        ];
        let k3 = sim_less(CardKind::Cps3Contact);
        assert_eq!(
            k3.choose_scheme(&offered).unwrap().scheme(),
            SignatureScheme::RSA_PKCS1_SHA256
        );
        assert!(
            k3.choose_scheme(&[SignatureScheme::RSA_PSS_SHA256])
                .is_none(),
            "CPS3 cannot do PSS"
        );
        let k4 = sim_less(CardKind::Cps4);
        assert_eq!(
            k4.choose_scheme(&offered).unwrap().scheme(),
            SignatureScheme::RSA_PSS_SHA256
        );
        assert!(
            k4.choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
                .is_none()
        );
        assert_eq!(protocol_versions(CardKind::Cps3Contact).len(), 1);
        assert_eq!(
            protocol_versions(CardKind::Cps4)[0].version,
            rustls::ProtocolVersion::TLSv1_3
        );
    }
}
