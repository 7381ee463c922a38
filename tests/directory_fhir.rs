//! Annuaire Santé FHIR client: paging against the real loopback FHIR server
//! (stack key FHIR_URL), and every API failure (401, timeout, refused
//! connection, 5xx, bad JSON, foreign next link) as a clear typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use cachet::directory::fhir::{ApiSettings, FhirClient, OnlineQuery, merge_online};
use cachet::directory::{Entry, EntryKind, Error, MailboxKind, Origin};
use cachet::error::{ErrorKind, HasKind};
use secrecy::SecretString;

fn settings(base: &str, key: Option<&str>) -> ApiSettings {
    ApiSettings {
        base_url: base.to_string(),
        api_key: key.map(|k| SecretString::from(k.to_string())),
        timeout: Duration::from_secs(10),
        page_size: 3,
        max_pages: 10,
        ..ApiSettings::default()
    }
}

fn live(test: &str) -> Option<(String, String)> {
    let stack = common::stack(test)?;
    let key = stack.get_opt("FHIR_API_KEY").unwrap_or_default();
    Some((stack.get("FHIR_URL"), key))
}

#[tokio::test]
async fn follows_next_links_across_pages_and_maps_roles() {
    let Some((url, key)) = live("follows_next_links_across_pages_and_maps_roles") else {
        return;
    };
    let client = FhirClient::new(settings(&url, Some(&key))).unwrap();
    let found = client
        .search(&OnlineQuery::Name("berthelot".into()))
        .await
        .unwrap();
    // 7 matches served 3 per page: three pages were read.
    assert_eq!(
        found.len(),
        7,
        "{:?}",
        found.iter().map(|e| &e.given_name).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = found.iter().map(|e| e.idnps.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 7, "no page read twice");
    for e in &found {
        assert_eq!(e.origin, Origin::Online);
        assert_eq!(e.kind, EntryKind::Practitioner);
        assert_eq!(e.family_name, "BERTHELOT");
        assert!(e.idnps.starts_with('8') && e.idnps.len() == 12);
        assert_eq!(e.activities.len(), 1, "its PractitionerRole");
        assert!(e.activities[0].structure.starts_with("CENTRE HOSPITALIER"));
        assert!(!e.activities[0].postcode.is_empty());
        assert_eq!(e.mailboxes.len(), 1);
        assert_eq!(e.mailboxes[0].kind, MailboxKind::Personal);
    }

    // The page limit bounds the walk.
    let two_pages = FhirClient::new(ApiSettings {
        max_pages: 2,
        ..settings(&url, Some(&key))
    })
    .unwrap();
    let found = two_pages
        .search(&OnlineQuery::Name("berthelot".into()))
        .await
        .unwrap();
    assert_eq!(found.len(), 6);
}

#[tokio::test]
async fn finds_the_card_holder_by_identifier_and_merges_with_local() {
    let Some((url, key)) = live("finds_the_card_holder_by_identifier_and_merges_with_local") else {
        return;
    };
    let client = FhirClient::new(settings(&url, Some(&key))).unwrap();
    let found = client
        .search(&OnlineQuery::from_text("810100000017"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let alice = &found[0];
    assert_eq!(
        (alice.family_name.as_str(), alice.given_name.as_str()),
        ("MARTIN", "Alice")
    );
    assert_eq!(alice.national_id, "10100000017");
    assert_eq!(alice.activities[0].profession_code, "10");
    assert_eq!(alice.activities[0].speciality_code, "SM54");

    // Several words match whatever their order.
    for text in ["alice martin", "MARTIN Alice"] {
        let found = client.search(&OnlineQuery::from_text(text)).await.unwrap();
        assert_eq!(found.len(), 1, "{text}");
        assert_eq!(found[0].idnps, "810100000017");
    }

    let local = Entry {
        mailboxes: vec![],
        origin: Origin::Local,
        ..alice.clone()
    };
    let other = Entry {
        idnps: "810000000099".into(),
        ..local.clone()
    };
    let merged = merge_online(vec![local, other], found.clone());
    assert_eq!(merged.len(), 2);
    assert_eq!(merged[0].origin, Origin::Both);
    assert_eq!(
        merged[0].mailboxes, alice.mailboxes,
        "online mailboxes complete the local entry"
    );
    assert_eq!(merged[1].origin, Origin::Local);
}

#[tokio::test]
async fn a_wrong_api_key_is_an_auth_error() {
    let Some((url, _)) = live("a_wrong_api_key_is_an_auth_error") else {
        return;
    };
    let client = FhirClient::new(settings(&url, Some("not-the-key"))).unwrap();
    let err = client
        .search(&OnlineQuery::Name("martin".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ApiAuth { status: 401 }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("API key"), "{err}");
}

/// A loopback HTTP peer that answers every request with `response` (or never
/// answers when `None`), for failures a real server will not produce on demand.
fn fake_server(response: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            match &response {
                Some(r) => {
                    let _ = s.write_all(r);
                }
                None => held.push(s), // keep the connection open, silent
            }
        }
    });
    format!("http://127.0.0.1:{port}/fhir")
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn a_silent_server_is_a_timeout() {
    let url = fake_server(None);
    let client = FhirClient::new(ApiSettings {
        timeout: Duration::from_millis(300),
        ..settings(&url, None)
    })
    .unwrap();
    let err = client
        .search(&OnlineQuery::Name("x".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ApiTimeout { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_refused_connection_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = FhirClient::new(settings(&format!("http://127.0.0.1:{port}/fhir"), None)).unwrap();
    let err = client
        .search(&OnlineQuery::Name("x".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ApiNetwork { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Network);
}

#[tokio::test]
async fn bad_json_and_non_bundles_are_protocol_errors() {
    for body in [
        "{\"resourceType\": \"Bundle\", \"entry\": [",
        "{\"resourceType\": \"Patient\"}",
        "<html>",
    ] {
        let url = fake_server(Some(http("200 OK", body)));
        let client = FhirClient::new(settings(&url, None)).unwrap();
        let err = client
            .search(&OnlineQuery::Name("x".into()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ApiBody(_)), "{body}: {err:?}");
        assert_eq!(err.kind(), ErrorKind::Protocol);
    }
}

#[tokio::test]
async fn server_errors_carry_the_operation_outcome() {
    let outcome = r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"Service en maintenance"}]}"#;
    let url = fake_server(Some(http("503 Service Unavailable", outcome)));
    let client = FhirClient::new(settings(&url, None)).unwrap();
    let err = client
        .search(&OnlineQuery::Name("x".into()))
        .await
        .unwrap_err();
    match &err {
        Error::ApiStatus { status, detail } => {
            assert_eq!(*status, 503);
            assert_eq!(detail, "Service en maintenance");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn a_next_link_to_another_server_is_refused() {
    let bundle = r#"{"resourceType":"Bundle","type":"searchset","entry":[],
        "link":[{"relation":"next","url":"http://evil.example/fhir/Practitioner?page=2"}]}"#;
    let url = fake_server(Some(http("200 OK", bundle)));
    let client = FhirClient::new(settings(&url, Some("secret"))).unwrap();
    let err = client
        .search(&OnlineQuery::Name("x".into()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another server"), "{err}");
}

#[test]
fn the_api_key_never_shows_in_debug_output() {
    let s = settings(
        "https://gateway.api.esante.gouv.fr/fhir/v2",
        Some("top-secret-key"),
    );
    assert!(!format!("{s:?}").contains("top-secret-key"));
    let client = FhirClient::new(s).unwrap();
    assert!(!format!("{client:?}").contains("top-secret-key"));
    assert!(matches!(
        FhirClient::new(settings("ftp://x", None)),
        Err(Error::ApiConfig(_))
    ));
}

/// A TLS peer with a certificate from a throw-away CA, answering one bundle.
async fn tls_server(body: &'static str) -> (String, tempfile::NamedTempFile) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), ca_cert.pem()).unwrap();

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut got = Vec::new();
                let mut buf = [0u8; 2048];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(&http("200 OK", body)).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{port}/fhir"), ca_file)
}

#[tokio::test]
async fn https_trusts_the_given_ca_and_refuses_an_unknown_one() {
    let bundle = r#"{"resourceType":"Bundle","type":"searchset","entry":[{"resource":
        {"resourceType":"Practitioner","id":"p1","name":[{"family":"TLS","given":["Ok"]}],
         "identifier":[{"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810000000777"}]}}]}"#;
    let (url, ca) = tls_server(bundle).await;
    let trusted = FhirClient::new(ApiSettings {
        ca_file: Some(ca.path().to_path_buf()),
        ..settings(&url, Some("k"))
    })
    .unwrap();
    let found = trusted
        .search(&OnlineQuery::Name("tls".into()))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].idnps, "810000000777");

    // The web PKI roots do not know this CA.
    let default_roots = FhirClient::new(settings(&url, Some("k"))).unwrap();
    let err = default_roots
        .search(&OnlineQuery::Name("tls".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
}

#[tokio::test]
async fn the_handle_merges_online_results_and_survives_api_failures() {
    use cachet::directory::generate::generate;
    use cachet::directory::{DirectoryHandle, ImportOptions, Query, import_files};

    let dir = tempfile::tempdir().unwrap();
    let g = generate(1_000, 3, &dir.path().join("g")).unwrap();
    let root = dir.path().join("idx");
    import_files(
        &root,
        &[g.activity_file],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let handle = DirectoryHandle::spawn(root).unwrap();

    // The API is down: local results still come, with the reason.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = FhirClient::new(settings(&format!("http://127.0.0.1:{port}/fhir"), None)).unwrap();
    let reply = handle.search_online(Query::text("martin"), 3, &down).await;
    assert_eq!(reply.generation, 3);
    assert!(!reply.result.unwrap().is_empty());
    assert_eq!(reply.online_error.unwrap().kind(), ErrorKind::Network);

    let Some((url, key)) = live("the_handle_merges_online_results_and_survives_api_failures")
    else {
        return;
    };
    let client = FhirClient::new(settings(&url, Some(&key))).unwrap();
    let reply = handle
        .search_online(Query::text("martin alice"), 4, &client)
        .await;
    assert!(reply.online_error.is_none());
    let entries = reply.result.unwrap();
    let alice = entries
        .iter()
        .find(|e| e.idnps == "810100000017")
        .expect("online entry");
    assert_eq!(alice.origin, Origin::Online);
    let first_online = entries
        .iter()
        .position(|e| e.origin == Origin::Online)
        .unwrap();
    assert!(
        entries[first_online..]
            .iter()
            .all(|e| e.origin == Origin::Online),
        "local results come first"
    );
    // Filters apply to online results too: Alice is a doctor, not a nurse.
    let nurses = Query {
        profession: Some("60".into()),
        ..Query::text("martin alice")
    };
    let reply = handle.search_online(nurses, 5, &client).await;
    assert!(
        reply
            .result
            .unwrap()
            .iter()
            .all(|e| e.idnps != "810100000017")
    );
}
