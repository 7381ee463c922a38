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
