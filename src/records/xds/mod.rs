//! The DMP web services (IHE XDS.b over SOAP 1.2, TLS with the CPS card):
//! the [`RecordsBackend`] that checks the record exists (TD0.2), lists the
//! patient's documents (TD3.1 FindDocuments) and retrieves one (TD3.2).
//!
//! Invariants: HTTPS only (the card authenticates the TLS session through
//! the caller's rustls configuration, built by `crate::tls`); every request
//! carries a fresh VIHF signed with the card for the patient and the purpose
//! of use of the query (signing runs on a blocking thread: it is a card
//! operation); every answer is size-bounded and read by the bounded XML
//! reader; registry errors and SOAP faults come back as typed errors with
//! the server's code; lists go through [`visible_to_professional`] (no
//! `MASQUE_PS` entry, whatever the purpose) and retrieved bytes are checked
//! against the entry's size and SHA-1 before they are returned.
//!
//! Endpoints under the configured base: `patients` (TD0.2), `registry`
//! (TD3.1), `repository` (TD3.2; inferred, `../shared/docs/domain.md` §4.1).

pub mod c14n;
pub mod query;
pub mod retrieve;
pub mod soap;
pub mod td02;
pub mod vihf;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;

use super::Error;
use super::backend::{
    DocumentEntry, DocumentQuery, PatientSelector, PurposeOfUse, RecordsBackend, verify_content,
    visible_to_professional,
};
use super::ins::Ins;
use c14n::XmlNode;
use vihf::{AssertionSigner, VihfContext};

const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;
const MAX_DOCUMENT_BYTES: usize = 80 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Entries remembered for retrieval (patient and purpose of their list).
const MAX_REMEMBERED: usize = 10_000;

/// What the DMP backend needs besides the card: the services base URL, the
/// extra trust anchors (the IGC-Santé production root is always trusted,
/// the public roots never) and the VIHF's
/// structure, sector and homologation values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DmpSettings {
    pub base_url: String,
    pub anchors: Vec<std::path::PathBuf>,
    pub structure_id: Option<String>,
    pub sector: Option<String>,
    pub homologation: Option<String>,
}

/// A DMP client for one practitioner (the card that signs the VIHF).
#[derive(Clone)]
pub struct XdsClient {
    http: reqwest::Client,
    base: Url,
    signer: Arc<dyn AssertionSigner>,
    context: Arc<VihfContext>,
    /// entry id → (patient, purpose) of the list it came from: TD3.2's VIHF
    /// names the same patient and purpose as the TD3.1 that listed it.
    listed: Arc<Mutex<HashMap<String, (Ins, PurposeOfUse)>>>,
}

impl std::fmt::Debug for XdsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdsClient")
            .field("base", &self.base.as_str())
            .field("practitioner", &self.context.practitioner.national_id)
            .finish()
    }
}

impl XdsClient {
    /// A client for the DMP services at `base_url` (https), with `tls` (the
    /// card as client certificate) and `signer` (the card, for the VIHF).
    pub fn new(
        base_url: &str,
        tls: rustls::ClientConfig,
        signer: Arc<dyn AssertionSigner>,
        context: VihfContext,
    ) -> Result<XdsClient, Error> {
        let mut base = Url::parse(base_url).map_err(|e| Error::Config {
            reason: format!("DMP URL {base_url:?}: {e}"),
        })?;
        if base.scheme() != "https" {
            return Err(Error::Config {
                reason: "the DMP is reached over https only".to_string(),
            });
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = crate::records::http::client(tls, REQUEST_TIMEOUT, CONNECT_TIMEOUT)?;
        Ok(XdsClient {
            http,
            base,
            signer,
            context: Arc::new(context),
            listed: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The client for the card in `handle` (PIN verified): TLS through
    /// `crate::tls` with the card as client certificate, the VIHF signed by
    /// the card, the practitioner read from its certificate.
    pub fn with_card(
        settings: &DmpSettings,
        handle: crate::card::CardHandle,
        info: &crate::card::CardInfo,
    ) -> Result<XdsClient, Error> {
        use crate::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy};
        // The DMP is in the IGC-Santé trust space: the built-in production
        // root plus the configured anchors, never the public browser roots.
        let mut anchors: Vec<AnchorSource> = settings
            .anchors
            .iter()
            .cloned()
            .map(AnchorSource::PemFile)
            .collect();
        anchors.push(AnchorSource::IgcSanteProduction);
        let trust = TrustPolicy::ConfiguredOnly { anchors };
        let tls = crate::tls::client_config(&TlsOptions {
            trust,
            versions: if info.kind.raw_rsa() {
                TlsVersions::Tls12And13
            } else {
                TlsVersions::Tls12Only
            },
            client_auth: Some(Arc::new(crate::card::signer::CardClientAuth::new(
                handle.clone(),
                info,
            ))),
        })
        .map_err(|e| Error::Config {
            reason: e.to_string(),
        })?;
        let context = VihfContext {
            practitioner: vihf::Practitioner::from_certificate(&info.certificate)?,
            structure_id: settings.structure_id.clone(),
            sector: settings.sector.clone(),
            software: vihf::Software {
                homologation: settings.homologation.clone(),
                ..vihf::Software::default()
            },
        };
        XdsClient::new(
            &settings.base_url,
            (*tls).clone(),
            Arc::new(vihf::CardAssertionSigner::new(handle, info)),
            context,
        )
    }

    /// The signed VIHF for a patient and purpose (a card operation).
    async fn vihf(&self, patient: &Ins, purpose: &PurposeOfUse) -> Result<XmlNode, Error> {
        let id = format!("_{}", vihf::random_uuid());
        let assertion = vihf::assertion(
            &self.context,
            patient,
            purpose,
            &id,
            time::OffsetDateTime::now_utc(),
        );
        let signer = self.signer.clone();
        tokio::task::spawn_blocking(move || vihf::sign(assertion, signer.as_ref()))
            .await
            .map_err(|e| Error::Signature {
                reason: format!("the signing task failed: {e}"),
            })?
    }

    /// Sends one transaction; returns the answer's content type and body.
    async fn call(
        &self,
        service: &str,
        action: &str,
        patient: &Ins,
        purpose: &PurposeOfUse,
        body: XmlNode,
        limit: usize,
    ) -> Result<(Option<String>, Vec<u8>), Error> {
        let url = self.base.join(service).map_err(|e| Error::Config {
            reason: format!("DMP URL: {e}"),
        })?;
        let addressing = soap::Addressing {
            action,
            to: url.as_str(),
            message_id: format!("urn:uuid:{}", vihf::random_uuid()),
        };
        let vihf = self.vihf(patient, purpose).await?;
        let envelope = soap::envelope(&addressing, vihf, body);
        let mut response = self
            .http
            .post(url)
            .header(
                CONTENT_TYPE,
                format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
            )
            .body(envelope)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::TooLarge { limit });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > limit {
                return Err(Error::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            // SOAP 1.2 faults come with 400/500: the fault says more than the status.
            return Err(match soap::body(&bytes) {
                Err(fault @ Error::SoapFault { .. }) => fault,
                _ => Error::Http {
                    status: status.as_u16(),
                    what: "the DMP request",
                },
            });
        }
        Ok((content_type, bytes))
    }

    /// TD0.2: the patient has a DMP and this access is accepted.
    pub async fn check_access(&self, patient: &Ins, purpose: &PurposeOfUse) -> Result<(), Error> {
        let body = td02::request(patient, time::OffsetDateTime::now_utc());
        let (_, bytes) = self
            .call(
                "patients",
                td02::ACTION,
                patient,
                purpose,
                body,
                MAX_LIST_BYTES,
            )
            .await?;
        td02::check(&soap::body(&bytes)?)
    }

    /// TD3.1 alone: every entry the registry returns (masked ones included).
    pub async fn find_raw(
        &self,
        patient: &Ins,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentEntry>, Error> {
        let body = query::request(patient, query);
        let (_, bytes) = self
            .call(
                "registry",
                query::ACTION,
                patient,
                &query.purpose,
                body,
                MAX_LIST_BYTES,
            )
            .await?;
        let response = soap::body(&bytes)?;
        soap::registry_status(&response)?;
        query::entries(&response)
    }

    fn remember(&self, entries: &[DocumentEntry], patient: &Ins, purpose: &PurposeOfUse) {
        if let Ok(mut listed) = self.listed.lock() {
            if listed.len() + entries.len() > MAX_REMEMBERED {
                listed.clear();
            }
            for e in entries {
                listed.insert(e.id.clone(), (patient.clone(), purpose.clone()));
            }
        }
    }

    fn listed_with(&self, entry: &DocumentEntry) -> Option<(Ins, PurposeOfUse)> {
        self.listed.lock().ok()?.get(&entry.id).cloned()
    }
}

fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(e)
    } else {
        Error::Network(e)
    }
}

impl RecordsBackend for XdsClient {
    async fn find_documents(&self, query: &DocumentQuery) -> Result<Vec<DocumentEntry>, Error> {
        let PatientSelector::Ins(patient) = &query.patient else {
            return Err(Error::Invalid {
                reason: "the DMP is queried by INS only".to_string(),
            });
        };
        self.check_access(patient, &query.purpose).await?;
        let entries = self.find_raw(patient, query).await?;
        let visible = visible_to_professional(entries, &query.purpose);
        self.remember(&visible, patient, &query.purpose);
        Ok(visible)
    }

    async fn fetch_document(&self, entry: &DocumentEntry) -> Result<Vec<u8>, Error> {
        if entry.masking.hidden_from_professionals {
            return Err(Error::NotFound {
                id: entry.id.clone(),
            });
        }
        let (patient, purpose) = self.listed_with(entry).ok_or(Error::NotListed)?;
        let (Some(repository), Some(unique)) = (&entry.repository_id, &entry.unique_id) else {
            return Err(Error::Protocol {
                reason: "the entry has no repositoryUniqueId or uniqueId".to_string(),
            });
        };
        let body = retrieve::request(repository, unique);
        let (content_type, bytes) = self
            .call(
                "repository",
                retrieve::ACTION,
                &patient,
                &purpose,
                body,
                MAX_DOCUMENT_BYTES,
            )
            .await?;
        let document = retrieve::document(content_type.as_deref(), &bytes, unique)?;
        verify_content(entry, &document)?;
        Ok(document)
    }
}
