//! Client of the Annuaire Santé FHIR API v2 (Practitioner, PractitionerRole,
//! Organization), used when the user asks for an online search.
//!
//! One request per page: `Practitioner?…&_revinclude=PractitionerRole:practitioner
//! &_include:iterate=PractitionerRole:organization`, following `next` links up
//! to a page limit. Every request is bounded by a timeout and every body by a
//! size cap. The API key travels only in the `ESANTE-API-KEY` header, marked
//! sensitive, never logged, never shown by `Debug`, and never sent to another
//! origin than the configured one (a `next` link elsewhere is refused).
//! HTTP and decoding failures become typed [`Error`]s with one-sentence messages.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::error::Error;
use super::fhir_map::{bundle_entries, next_link};
use super::model::{Entry, Origin};

pub const DEFAULT_BASE_URL: &str = "https://gateway.api.esante.gouv.fr/fhir/v2";
/// Largest page body accepted; a real 50-entry page is a few hundred kB.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How to reach the API; built from the settings by the caller.
#[derive(Clone)]
pub struct ApiSettings {
    pub base_url: String,
    pub api_key: Option<SecretString>,
    /// Whole-request bound (connect + answer).
    pub timeout: Duration,
    /// Trust this PEM CA file instead of the web PKI roots (tests, proxies).
    pub ca_file: Option<PathBuf>,
    /// Stop following `next` links after this many pages.
    pub max_pages: usize,
    /// `_count` per page.
    pub page_size: usize,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("ca_file", &self.ca_file)
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_key: None,
            timeout: Duration::from_secs(20),
            ca_file: None,
            max_pages: 3,
            page_size: 50,
        }
    }
}

/// What to ask the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnlineQuery {
    /// Free text on the name (`name=`).
    Name(String),
    /// IDNPS, RPPS or ADELI.
    Identifier(String),
    /// MSSanté mailbox address.
    Mailbox(String),
}

impl OnlineQuery {
    /// Chooses the search parameter from what the user typed.
    pub fn from_text(text: &str) -> OnlineQuery {
        let t = text.trim();
        if t.contains('@') {
            OnlineQuery::Mailbox(t.to_string())
        } else if t.len() >= 9 && t.chars().all(|c| c.is_ascii_digit()) {
            OnlineQuery::Identifier(t.to_string())
        } else {
            OnlineQuery::Name(t.to_string())
        }
    }
}

#[derive(Clone)]
pub struct FhirClient {
    http: reqwest::Client,
    base: reqwest::Url,
    settings: ApiSettings,
}

impl std::fmt::Debug for FhirClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FhirClient")
            .field("base", &self.base.as_str())
            .finish()
    }
}

/// Through the one TLS builder (`crate::tls`): the web PKI roots, or only
/// the given CA file (tests, proxies).
fn tls_config(ca_file: Option<&PathBuf>) -> Result<rustls::ClientConfig, Error> {
    use crate::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy};
    let trust = match ca_file {
        Some(path) => TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemFile(path.clone())],
        },
        None => TrustPolicy::PublicRoots { extra: Vec::new() },
    };
    let options = TlsOptions {
        trust,
        versions: TlsVersions::default(),
        client_auth: None,
    };
    let config = crate::tls::client_config(&options).map_err(|e| Error::Tls(e.to_string()))?;
    Ok((*config).clone())
}

impl FhirClient {
    pub fn new(settings: ApiSettings) -> Result<FhirClient, Error> {
        let base_str = settings.base_url.trim_end_matches('/').to_string() + "/";
        let base = reqwest::Url::parse(&base_str).map_err(|e| {
            Error::ApiConfig(format!("invalid API URL {:?}: {e}", settings.base_url))
        })?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(Error::ApiConfig(format!(
                "unsupported URL scheme {}",
                base.scheme()
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/fhir+json"));
        if let Some(key) = &settings.api_key {
            let mut v = HeaderValue::from_str(key.expose_secret())
                .map_err(|_| Error::ApiConfig("the API key contains invalid characters".into()))?;
            v.set_sensitive(true);
            headers.insert("ESANTE-API-KEY", v);
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(settings.ca_file.as_ref())?)
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // Redirects could carry the key elsewhere; the API does not use them.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cachet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Tls(e.to_string()))?;
        Ok(FhirClient {
            http,
            base,
            settings,
        })
    }

    /// Practitioners matching `query`, with their roles and organisations,
    /// marked [`Origin::Online`]. At most `max_pages` pages are fetched.
    pub async fn search(&self, query: &OnlineQuery) -> Result<Vec<Entry>, Error> {
        let text = match query {
            OnlineQuery::Name(t) | OnlineQuery::Identifier(t) | OnlineQuery::Mailbox(t) => t,
        };
        if text.trim().is_empty() {
            return Err(Error::ApiConfig("an online search needs some text".into()));
        }
        let mut url = self
            .base
            .join("Practitioner")
            .map_err(|e| Error::ApiConfig(e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            match query {
                // One `name` per word: repeated parameters are ANDed and each
                // matches any part of the name, so word order does not matter.
                OnlineQuery::Name(n) => {
                    for word in n.split_whitespace() {
                        q.append_pair("name", word);
                    }
                }
                OnlineQuery::Identifier(id) => {
                    q.append_pair("identifier", id);
                }
                OnlineQuery::Mailbox(m) => {
                    q.append_pair("mailbox-mss", m);
                }
            };
            q.append_pair("_count", &self.settings.page_size.to_string());
            q.append_pair("_revinclude", "PractitionerRole:practitioner");
            q.append_pair("_include:iterate", "PractitionerRole:organization");
        }
        let mut out: Vec<Entry> = Vec::new();
        let mut next = Some(url);
        let mut pages = 0;
        while let Some(url) = next.take() {
            if pages >= self.settings.max_pages.max(1) {
                break;
            }
            pages += 1;
            let bundle = self.get_json(url).await?;
            for mut e in bundle_entries(&bundle).map_err(Error::ApiBody)? {
                e.origin = Origin::Online;
                out.push(e);
            }
            next = match next_link(&bundle) {
                Some(link) => Some(self.same_origin(&link)?),
                None => None,
            };
        }
        Ok(out)
    }

    fn same_origin(&self, link: &str) -> Result<reqwest::Url, Error> {
        let url = self
            .base
            .join(link)
            .map_err(|e| Error::ApiBody(format!("invalid next link: {e}")))?;
        if url.origin() != self.base.origin() {
            return Err(Error::ApiBody(format!(
                "the next page link points to another server ({})",
                url.host_str().unwrap_or("?")
            )));
        }
        Ok(url)
    }

    async fn get_json(&self, url: reqwest::Url) -> Result<serde_json::Value, Error> {
        let seconds = self.settings.timeout.as_secs();
        let net = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::ApiTimeout { seconds }
            } else if let Some(tls) = tls_cause(&e) {
                Error::Tls(tls)
            } else {
                Error::ApiNetwork {
                    url: self.base.to_string(),
                    source: e,
                }
            }
        };
        let mut resp = self.http.get(url).send().await.map_err(net)?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(net)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(Error::ApiBody(format!(
                    "answer larger than {} MiB",
                    MAX_BODY >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(Error::ApiAuth {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(Error::ApiStatus {
                status: status.as_u16(),
                detail: outcome_detail(&body),
            });
        }
        serde_json::from_slice(&body).map_err(|e| Error::ApiBody(format!("invalid JSON: {e}")))
    }
}

/// The TLS failure behind a connection error, if that is what it was
/// (rustls errors arrive wrapped in an `io::Error` somewhere in the chain).
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    // Bounded walk: error chains are short, a cycle must not hang us.
    for _ in 0..16 {
        let err = cur?;
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t.to_string());
        }
        // io::Error hides its payload from `source()`; step into it explicitly.
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// A short, printable explanation from an OperationOutcome or a raw body.
fn outcome_detail(body: &[u8]) -> String {
    let from_outcome = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("issue")?
                .get(0)
                .and_then(|i| {
                    i.get("diagnostics")
                        .or_else(|| i.get("details")?.get("text"))
                })
                .and_then(|d| d.as_str())
                .map(str::to_string)
        });
    let text = from_outcome.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if clean.trim().is_empty() {
        "no detail".to_string()
    } else {
        clean.trim().to_string()
    }
}

/// Merges online results into local ones: an entry found in both (same
/// IDNPS) stays in place, is marked [`Origin::Both`] and gains any mailbox the
/// local index lacked; the others are appended, marked online.
pub fn merge_online(mut local: Vec<Entry>, online: Vec<Entry>) -> Vec<Entry> {
    for o in online {
        let same = local
            .iter_mut()
            .find(|l| !l.idnps.is_empty() && l.idnps.eq_ignore_ascii_case(&o.idnps));
        match same {
            Some(l) => {
                l.origin = Origin::Both;
                for m in o.mailboxes {
                    if !l
                        .mailboxes
                        .iter()
                        .any(|x| x.address.eq_ignore_ascii_case(&m.address))
                    {
                        l.mailboxes.push(m);
                    }
                }
            }
            None => local.push(o),
        }
    }
    local
}
