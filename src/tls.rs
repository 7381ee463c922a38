//! The one place that builds rustls client configurations (IMAP, SMTP, FHIR, LDAP all take
//! theirs from here).
//!
//! Invariants: the crypto provider is always ring, chosen explicitly (never the process
//! default); TLS 1.2 is the floor (1.2 and 1.3, or 1.2 only for a card that cannot sign
//! RSA-PSS, which TLS 1.3 requires of client certificates); the server certificate is always
//! verified against the trust anchors *and* the host name (there is no switch to turn this
//! off); an MSSanté account trusts only its configured anchors (IGC-Santé, Réf. #2 ECO.1.1.10),
//! any other account trusts the webpki roots plus its configured anchors. Client
//! authentication is delegated to a `ResolvesClientCert` (the card module provides one backed
//! by the CPS card), so no private key ever passes through here.
//!
//! The IGC-Santé production root (`AC RACINE IGC-SANTE ELEMENTAIRE`, valid 2013-2033) ships
//! embedded ([`AnchorSource::IgcSanteProduction`]); MSSanté accounts trust it plus the PEM
//! files configured in `[trust] anchors` (which is also how tests inject their own CA).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::error::{ErrorKind, HasKind};

/// Where a trust anchor comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorSource {
    /// A PEM file holding one or more certificates.
    PemFile(PathBuf),
    /// PEM text already in memory (tests, certificates embedded in the binary).
    PemBytes(Vec<u8>),
    /// The IGC-Santé production root embedded in the binary (public CA certificate,
    /// SHA-256 fingerprint 2D:9E:22:CA:…:96:7F, see `src/tls_anchors/README.md`).
    IgcSanteProduction,
}

/// PEM of `AC RACINE IGC-SANTE ELEMENTAIRE` (ASIP-SANTE), the root of the IGC-Santé
/// production chain that MSSanté operators' servers present.
pub const IGC_SANTE_PRODUCTION_ROOT_PEM: &[u8] =
    include_bytes!("tls_anchors/igc-sante-racine-elementaire.pem");

/// Which certificate authorities may vouch for a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustPolicy {
    /// MSSanté trust space: only these anchors, never the public roots. Empty is an error.
    ConfiguredOnly { anchors: Vec<AnchorSource> },
    /// Ordinary servers: the webpki (Mozilla) roots, plus these extra anchors.
    PublicRoots { extra: Vec<AnchorSource> },
}

/// Protocol versions offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.3 and TLS 1.2.
    #[default]
    Tls12And13,
    /// TLS 1.2 only: for cards that can sign PKCS#1 v1.5 but not RSA-PSS.
    Tls12Only,
}

/// Everything needed to build one client configuration.
#[derive(Clone)]
pub struct TlsOptions {
    pub trust: TrustPolicy,
    pub versions: TlsVersions,
    /// Client authentication (mutual TLS), e.g. the CPS card's resolver.
    pub client_auth: Option<Arc<dyn ResolvesClientCert>>,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("trust", &self.trust)
            .field("versions", &self.versions)
            .field("client_auth", &self.client_auth.is_some())
            .finish()
    }
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read trust anchor file {path}")]
    AnchorRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("trust anchor {origin} is not valid PEM")]
    AnchorPem {
        origin: String,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error("trust anchor {origin} holds no certificate")]
    AnchorEmpty { origin: String },
    #[error("trust anchor {origin} was refused as a root certificate")]
    AnchorRejected {
        origin: String,
        #[source]
        source: rustls::Error,
    },
    #[error("an MSSanté account needs at least one configured trust anchor (IGC-Santé)")]
    NoAnchors,
    #[error("the TLS library refused the protocol versions")]
    Versions(#[source] rustls::Error),
    #[error("{host:?} is not a valid server name for TLS")]
    ServerName { host: String },
}

impl HasKind for TlsError {
    fn kind(&self) -> ErrorKind {
        match self {
            TlsError::AnchorRead { .. } => ErrorKind::Io,
            TlsError::Versions(_) => ErrorKind::Tls,
            _ => ErrorKind::Config,
        }
    }
}

/// Builds the client configuration for `options`.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, TlsError> {
    let roots = root_store(&options.trust)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] = match options.versions {
        TlsVersions::Tls12And13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(TlsError::Versions)?
        .with_root_certificates(roots);
    let config = match &options.client_auth {
        Some(resolver) => builder.with_client_cert_resolver(Arc::clone(resolver)),
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name the server certificate must carry (DNS name or IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_string()).map_err(|_| TlsError::ServerName {
        host: host.to_string(),
    })
}

fn root_store(trust: &TrustPolicy) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    let configured = match trust {
        TrustPolicy::ConfiguredOnly { anchors } => {
            if anchors.is_empty() {
                return Err(TlsError::NoAnchors);
            }
            anchors
        }
        TrustPolicy::PublicRoots { extra } => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            extra
        }
    };
    for source in configured {
        for cert in load_anchor(source)? {
            store
                .add(cert)
                .map_err(|source_err| TlsError::AnchorRejected {
                    origin: origin(source),
                    source: source_err,
                })?;
        }
    }
    Ok(store)
}

fn origin(source: &AnchorSource) -> String {
    match source {
        AnchorSource::PemFile(path) => path.display().to_string(),
        AnchorSource::PemBytes(_) => "(in memory)".to_string(),
        AnchorSource::IgcSanteProduction => "IGC-Santé (built in)".to_string(),
    }
}

fn load_anchor(source: &AnchorSource) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = match source {
        AnchorSource::PemFile(path) => std::fs::read(path).map_err(|e| TlsError::AnchorRead {
            path: path.clone(),
            source: e,
        })?,
        AnchorSource::PemBytes(bytes) => bytes.clone(),
        AnchorSource::IgcSanteProduction => IGC_SANTE_PRODUCTION_ROOT_PEM.to_vec(),
    };
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::AnchorPem {
            origin: origin(source),
            source: e,
        })?;
    if certs.is_empty() {
        return Err(TlsError::AnchorEmpty {
            origin: origin(source),
        });
    }
    Ok(certs)
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
