//! IHE MHD (Mobile access to Health Documents) over FHIR R4: the
//! [`RecordsBackend`] that searches `DocumentReference` and retrieves the
//! attachment (a `Binary` or inline data).
//!
//! Invariants: TLS is rustls with the ring provider, configured by the
//! caller or from the web PKI roots; plain `http://` is accepted only for a
//! loopback host (tests). Every request has a timeout; every body read is
//! bounded (a page of results, a document); paging follows `next` links on
//! the same origin only, for a bounded number of pages; redirects are not
//! followed. Retrieved bytes are checked against the attachment's size and
//! SHA-1 before they are returned.

pub mod map;

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use super::Error;
use super::backend::{
    DocumentEntry, DocumentQuery, PatientSelector, RecordsBackend, verify_content,
    visible_to_professional,
};

const PAGE_SIZE: u32 = 50;
const MAX_PAGES: usize = 20;
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An MHD Document Consumer. Cheap to clone (the HTTP pool is shared).
#[derive(Debug, Clone)]
pub struct MhdClient {
    http: reqwest::Client,
    /// The FHIR base, always ending with `/` so relative URLs join under it.
    base: Url,
}

impl MhdClient {
    /// A client for `base_url` with the caller's TLS configuration.
    pub fn new(base_url: &str, tls: rustls::ClientConfig) -> Result<MhdClient, Error> {
        let base = parse_base(base_url)?;
        let http = crate::records::http::client(tls, REQUEST_TIMEOUT, CONNECT_TIMEOUT)?;
        Ok(MhdClient { http, base })
    }

    /// A client trusting the web PKI roots (no client certificate).
    pub fn with_webpki_roots(base_url: &str) -> Result<MhdClient, Error> {
        Self::new(base_url, webpki_tls_config()?)
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The first search URL for a query.
    pub fn search_url(&self, query: &DocumentQuery) -> Result<Url, Error> {
        let mut url = self.join("DocumentReference")?;
        {
            let mut q = url.query_pairs_mut();
            match &query.patient {
                PatientSelector::Ins(ins) => {
                    q.append_pair(
                        "patient.identifier",
                        &format!("{}|{}", ins.fhir_system(), ins.number()),
                    );
                }
                PatientSelector::Reference { reference } => {
                    q.append_pair("patient", reference);
                }
            }
            q.append_pair(
                "status",
                if query.include_superseded {
                    "current,superseded"
                } else {
                    "current"
                },
            );
            if !query.type_codes.is_empty() {
                q.append_pair("type", &query.type_codes.join(","));
            }
            if let Some(from) = query.from {
                q.append_pair("date", &format!("ge{from}"));
            }
            if let Some(to) = query.to {
                q.append_pair("date", &format!("le{to}"));
            }
            q.append_pair("_count", &PAGE_SIZE.to_string());
        }
        Ok(url)
    }

    fn join(&self, relative: &str) -> Result<Url, Error> {
        self.base.join(relative).map_err(|e| Error::Invalid {
            reason: format!("URL {relative:?}: {e}"),
        })
    }

    /// Resolves a URL from the server (attachment, next link): relative ones
    /// under the base, absolute ones only on the base's origin.
    fn resolve(&self, url: &str) -> Result<Url, Error> {
        let resolved = self.join(url)?;
        if resolved.origin() != self.base.origin() {
            return Err(Error::Protocol {
                reason: format!(
                    "the server pointed to another origin ({})",
                    resolved.origin().ascii_serialization()
                ),
            });
        }
        Ok(resolved)
    }

    async fn get(
        &self,
        url: Url,
        accept: &str,
        limit: usize,
        what: &'static str,
    ) -> Result<(Option<String>, Vec<u8>), Error> {
        let mut response = self
            .http
            .get(url)
            .header(ACCEPT, accept)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Http {
                status: status.as_u16(),
                what,
            });
        }
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::TooLarge { limit });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(Error::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((content_type, body))
    }

    async fn get_json(&self, url: Url, what: &'static str) -> Result<Value, Error> {
        let (_, body) = self
            .get(url, "application/fhir+json", MAX_PAGE_BYTES, what)
            .await?;
        serde_json::from_slice(&body).map_err(|e| Error::Protocol {
            reason: format!("{what}: {e}"),
        })
    }
}

impl RecordsBackend for MhdClient {
    async fn find_documents(&self, query: &DocumentQuery) -> Result<Vec<DocumentEntry>, Error> {
        let mut url = Some(self.search_url(query)?);
        let mut entries = Vec::new();
        let mut pages = 0;
        while let Some(current) = url.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::Protocol {
                    reason: format!("more than {MAX_PAGES} pages of results"),
                });
            }
            let bundle = self.get_json(current, "the document search").await?;
            if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
                return Err(Error::Protocol {
                    reason: "the search did not return a Bundle".to_string(),
                });
            }
            for entry in bundle
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let included =
                    entry.pointer("/search/mode").and_then(Value::as_str) == Some("include");
                if let (false, Some(doc)) = (
                    included,
                    entry.get("resource").and_then(map::document_entry),
                ) {
                    entries.push(doc);
                }
            }
            let next = bundle
                .get("link")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
                .and_then(|l| l.get("url").and_then(Value::as_str));
            url = next.map(|n| self.resolve(n)).transpose()?;
        }
        Ok(visible_to_professional(entries, &query.purpose))
    }

    async fn fetch_document(&self, entry: &DocumentEntry) -> Result<Vec<u8>, Error> {
        if entry.masking.hidden_from_professionals {
            return Err(Error::Invalid {
                reason: "the document is masked to professionals".to_string(),
            });
        }
        let bytes = match &entry.content_url {
            Some(url) => {
                let url = self.resolve(url)?;
                let accept = format!(
                    "{}, */*;q=0.1",
                    entry
                        .mime_type
                        .as_deref()
                        .unwrap_or("application/octet-stream")
                );
                let (content_type, body) = self
                    .get(url, &accept, MAX_DOCUMENT_BYTES, "the document retrieval")
                    .await?;
                let is_fhir_json = content_type
                    .as_deref()
                    .is_some_and(|t| t == "application/fhir+json" || t == "application/json");
                let wanted_json = entry
                    .mime_type
                    .as_deref()
                    .is_some_and(|t| t.contains("json"));
                if is_fhir_json && !wanted_json {
                    // A server that only answers with the Binary resource.
                    binary_data(&body)?
                } else {
                    body
                }
            }
            None => {
                let url = self.join(&format!("DocumentReference/{}", urlencode(&entry.id)))?;
                let resource = self.get_json(url, "the document reference").await?;
                map::inline_data(&resource).ok_or_else(|| Error::NotFound {
                    id: entry.id.clone(),
                })?
            }
        };
        verify_content(entry, &bytes)?;
        Ok(bytes)
    }
}

fn binary_data(body: &[u8]) -> Result<Vec<u8>, Error> {
    use base64::Engine;
    let value: Value = serde_json::from_slice(body).map_err(|e| Error::Protocol {
        reason: format!("Binary: {e}"),
    })?;
    let data = value
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Protocol {
            reason: "the Binary has no data".to_string(),
        })?;
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| Error::Protocol {
            reason: format!("Binary data: {e}"),
        })
}

fn urlencode(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect()
}

/// A transport error without its URL: search URLs carry the patient's INS,
/// which must not end up in messages or logs.
fn transport(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        Error::Timeout(e)
    } else {
        Error::Network(e)
    }
}

/// Parses and checks the base URL: https, or http on a loopback host.
pub fn parse_base(base_url: &str) -> Result<Url, Error> {
    let mut url = Url::parse(base_url.trim()).map_err(|e| Error::Config {
        reason: format!("FHIR URL {base_url:?}: {e}"),
    })?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config {
                reason: "plain http is only allowed on a loopback address".to_string(),
            });
        }
        other => {
            return Err(Error::Config {
                reason: format!("unsupported URL scheme {other:?}"),
            });
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config {
            reason: "the FHIR base URL must not have a query or fragment".to_string(),
        });
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The web PKI roots, through the one TLS builder (`crate::tls`).
pub fn webpki_tls_config() -> Result<rustls::ClientConfig, Error> {
    use crate::tls::{TlsOptions, TlsVersions, TrustPolicy};
    let options = TlsOptions {
        trust: TrustPolicy::PublicRoots { extra: Vec::new() },
        versions: TlsVersions::default(),
        client_auth: None,
    };
    let config = crate::tls::client_config(&options).map_err(|e| Error::Config {
        reason: format!("TLS: {e}"),
    })?;
    Ok((*config).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::backend::{EmergencyKind, EmergencyReason, PurposeOfUse};
    use crate::records::ins::{Ins, InsOid, InsPolicy};

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base("https://dmp.example/fhir").unwrap().as_str(),
            "https://dmp.example/fhir/"
        );
        assert!(parse_base("http://127.0.0.1:8080/fhir").is_ok());
        assert!(parse_base("http://[::1]:8080/fhir").is_ok());
        assert!(parse_base("http://localhost/fhir").is_ok());
        assert!(matches!(
            parse_base("http://dmp.example/fhir"),
            Err(Error::Config { .. })
        ));
        assert!(matches!(
            parse_base("ftp://dmp.example/"),
            Err(Error::Config { .. })
        ));
        assert!(matches!(parse_base("not a url"), Err(Error::Config { .. })));
    }

    #[test]
    fn search_url_carries_the_filters() {
        let client = MhdClient::with_webpki_roots("https://dmp.example/fhir/R4").unwrap();
        let ins = Ins::parse("279035121518989", InsOid::NIR, InsPolicy::default()).unwrap();
        let mut query = DocumentQuery::for_patient(PatientSelector::Ins(ins));
        query.type_codes = vec!["11502-2".to_string(), "34112-3".to_string()];
        query.from = Some(time::macros::date!(2024 - 01 - 01));
        query.to = Some(time::macros::date!(2024 - 12 - 31));
        query.purpose = PurposeOfUse::Emergency {
            reason: EmergencyReason::new(EmergencyKind::VitalRisk, "détresse respiratoire")
                .unwrap(),
        };
        let url = client.search_url(&query).unwrap();
        assert_eq!(url.path(), "/fhir/R4/DocumentReference");
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert!(pairs.contains(&(
            "patient.identifier".into(),
            "urn:oid:1.2.250.1.213.1.4.8|279035121518989".into()
        )));
        assert!(pairs.contains(&("type".into(), "11502-2,34112-3".into())));
        assert!(pairs.contains(&("date".into(), "ge2024-01-01".into())));
        assert!(pairs.contains(&("date".into(), "le2024-12-31".into())));
        assert!(pairs.contains(&("status".into(), "current".into())));
    }

    #[test]
    fn server_urls_stay_on_the_origin() {
        let client = MhdClient::with_webpki_roots("https://dmp.example/fhir").unwrap();
        assert_eq!(
            client.resolve("Binary/1").unwrap().as_str(),
            "https://dmp.example/fhir/Binary/1"
        );
        assert!(
            client
                .resolve("https://dmp.example/fhir/DocumentReference?_offset=50")
                .is_ok()
        );
        assert!(matches!(
            client.resolve("https://evil.example/x"),
            Err(Error::Protocol { .. })
        ));
    }
}
