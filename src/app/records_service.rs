//! The shared-record backend the runtime talks to: the demo's generated
//! record, an IHE MHD server or the DMP web services (XDS.b). (The backend
//! trait uses `async fn`, so the choice is an enum rather than a trait
//! object.)
//!
//! Opened documents are kept in the encrypted store (entry and bytes) when a
//! store is open; when the backend cannot be reached (network, timeout), the
//! list and the documents come from that cache and are marked offline.

use crate::card::CardHandle;
use crate::demo::records::DemoRecords;
use crate::domain::text::RichText;
use crate::error::{ErrorKind, HasKind};
use crate::records::backend::{DocumentEntry, DocumentQuery, PatientSelector, RecordsBackend};
use crate::records::ins::Ins;
use crate::records::mhd::MhdClient;
use crate::records::offline::{self, CachedRecord};
use crate::records::xds::{DmpSettings, XdsClient};
use crate::store::StoreHandle;

pub enum RecordsService {
    Demo(DemoRecords),
    Mhd(MhdClient),
    Dmp(Box<DmpService>),
}

/// The DMP client for whichever card is in use: built on first use (after
/// the PIN), rebuilt when another practitioner's card is in the reader.
pub struct DmpService {
    settings: DmpSettings,
    card: CardHandle,
    client: std::sync::Mutex<Option<(Vec<u8>, XdsClient)>>,
}

impl DmpService {
    pub fn new(settings: DmpSettings, card: CardHandle) -> DmpService {
        DmpService {
            settings,
            card,
            client: std::sync::Mutex::new(None),
        }
    }

    /// A ready client (blocking: asks the card thread for the card).
    fn client(&self) -> Result<XdsClient, crate::records::Error> {
        let info = self
            .card
            .card()
            .map_err(|e| crate::records::Error::Signature {
                reason: e.to_string(),
            })?;
        let mut guard = self
            .client
            .lock()
            .map_err(|_| crate::records::Error::Signature {
                reason: "the DMP client is unavailable".to_string(),
            })?;
        if let Some((certificate, client)) = guard.as_ref()
            && *certificate == info.certificate
        {
            return Ok(client.clone());
        }
        let client = XdsClient::with_card(&self.settings, self.card.clone(), &info)?;
        *guard = Some((info.certificate.clone(), client.clone()));
        Ok(client)
    }

    /// The card thread answers `card()` from its state without an APDU, so
    /// this short blocking call is acceptable on the executor.
    async fn ready(&self) -> Result<XdsClient, crate::records::Error> {
        self.client()
    }
}

/// A list or a document, and whether it came from the local cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: T,
    pub offline: bool,
}

/// One sentence for the user, with the error's kind for context.
fn describe(error: &crate::records::Error) -> String {
    format!("{error} ({:?})", error.kind())
}

/// Failures the cache may stand in for: the server is out of reach.
fn unreachable(error: &crate::records::Error) -> bool {
    matches!(error.kind(), ErrorKind::Network | ErrorKind::Timeout)
}

fn cached(store: Option<&StoreHandle>, ins: &Ins) -> Vec<CachedRecord> {
    let Some(store) = store else {
        return Vec::new();
    };
    let key = ins.to_cx();
    match store.call(move |s| s.records_for::<CachedRecord>(&key)) {
        Ok(Ok(records)) => records,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "records cache unreadable");
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "records cache unreachable");
            Vec::new()
        }
    }
}

impl RecordsService {
    pub async fn find_typed(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentEntry>, crate::records::Error> {
        match self {
            RecordsService::Demo(demo) => Ok(demo.find(query)),
            RecordsService::Mhd(client) => client.find_documents(query).await,
            RecordsService::Dmp(dmp) => dmp.ready().await?.find_documents(query).await,
        }
    }

    pub async fn fetch(&self, entry: &DocumentEntry) -> Result<Vec<u8>, crate::records::Error> {
        match self {
            RecordsService::Demo(demo) => demo.fetch(&entry.id),
            RecordsService::Mhd(client) => client.fetch_document(entry).await,
            RecordsService::Dmp(dmp) => dmp.ready().await?.fetch_document(entry).await,
        }
    }

    pub async fn find(&self, query: &DocumentQuery) -> Result<Vec<DocumentEntry>, String> {
        self.find_typed(query).await.map_err(|e| describe(&e))
    }

    /// The list, or the cached one when the server is out of reach. Blocking
    /// on the store: run it off the UI task.
    pub async fn find_or_cached(
        &self,
        query: &DocumentQuery,
        store: Option<StoreHandle>,
    ) -> Result<Fetched<Vec<DocumentEntry>>, String> {
        match self.find_typed(query).await {
            Ok(value) => Ok(Fetched {
                value,
                offline: false,
            }),
            Err(e) if unreachable(&e) => {
                let PatientSelector::Ins(ins) = &query.patient else {
                    return Err(describe(&e));
                };
                let ins = ins.clone();
                let records = tokio::task::spawn_blocking(move || cached(store.as_ref(), &ins))
                    .await
                    .unwrap_or_default();
                if records.is_empty() {
                    return Err(describe(&e));
                }
                Ok(Fetched {
                    value: offline::list(records),
                    offline: true,
                })
            }
            Err(e) => Err(describe(&e)),
        }
    }

    /// Opens a document: fetched and cached, or read from the cache when the
    /// server is out of reach.
    pub async fn open_cached(
        &self,
        entry: &DocumentEntry,
        patient: Option<Ins>,
        store: Option<StoreHandle>,
        now: i64,
    ) -> Result<Fetched<(String, RichText)>, String> {
        match self.fetch(entry).await {
            Ok(bytes) => {
                let shown = render_document(entry, &bytes)?;
                if let (Some(store), Some(ins), false) =
                    (store, patient, matches!(self, RecordsService::Demo(_)))
                {
                    let record = CachedRecord::new(entry, &bytes, now);
                    let key = ins.to_cx();
                    let id = entry.id.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        match store.call(move |s| s.put_record(&key, &id, &record)) {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => tracing::warn!(error = %e, "record not cached"),
                            Err(e) => tracing::warn!(error = %e, "record not cached"),
                        }
                    })
                    .await;
                }
                Ok(Fetched {
                    value: shown,
                    offline: false,
                })
            }
            // Never listed by this client: the list came from the cache.
            Err(e) if unreachable(&e) || matches!(e, crate::records::Error::NotListed) => {
                let Some(ins) = patient else {
                    return Err(describe(&e));
                };
                let records = tokio::task::spawn_blocking(move || cached(store.as_ref(), &ins))
                    .await
                    .unwrap_or_default();
                let Some(copy) = offline::find(&records, entry) else {
                    return Err(describe(&e));
                };
                let bytes = copy.bytes().map_err(|e| describe(&e))?;
                Ok(Fetched {
                    value: render_document(entry, &bytes)?,
                    offline: true,
                })
            }
            Err(e) => Err(describe(&e)),
        }
    }

    pub async fn open(&self, entry: &DocumentEntry) -> Result<(String, RichText), String> {
        let bytes = self.fetch(entry).await.map_err(|e| describe(&e))?;
        render_document(entry, &bytes)
    }
}

/// A fetched document as the viewer shows it: a CDA (level 3 rendered,
/// level 1 text or PDF text extracted), a bare PDF or plain text; other
/// types are named for an external viewer.
pub fn render_document(entry: &DocumentEntry, bytes: &[u8]) -> Result<(String, RichText), String> {
    let title = entry.title.clone().unwrap_or_else(|| entry.id.clone());
    let text = crate::records::content::render(entry.mime_type.as_deref(), bytes)
        .map_err(|e| describe(&e))?;
    Ok((title, text))
}
