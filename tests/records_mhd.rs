//! The MHD client against the real FHIR R4 server of the loopback stack
//! (`FHIR_URL`): each run creates its own Patient, Binary and
//! DocumentReference resources with generated identities, then searches and
//! retrieves through `MhdClient`.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use cachet::error::{ErrorKind, HasKind};
use cachet::records::backend::{
    DocumentQuery, EmergencyKind, EmergencyReason, PatientSelector, PurposeOfUse, RecordsBackend,
};
use cachet::records::ins::{Ins, InsOid, InsPolicy, nir_key};
use cachet::records::mhd::{MhdClient, webpki_tls_config};
use serde_json::{Value, json};

const TEST_POLICY: InsPolicy = InsPolicy { test_profile: true };

/// A fresh, valid NIR for a fake patient (sex 1, random body, computed key).
fn random_nir() -> String {
    let body: u64 = 1_000_000_000_000 + fastrand::u64(0..999_999_999_999);
    format!("{body}{:02}", nir_key(body))
}

struct Fhir {
    http: reqwest::Client,
    base: String,
}

impl Fhir {
    fn new(base: &str) -> Fhir {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(webpki_tls_config().unwrap())
            .build()
            .unwrap();
        Fhir {
            http,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    async fn create(&self, resource: Value) -> String {
        let kind = resource["resourceType"].as_str().unwrap().to_string();
        let response = self
            .http
            .post(format!("{}/{kind}", self.base))
            .header("content-type", "application/fhir+json")
            .body(resource.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "creating {kind}: {status} {body}");
        body["id"].as_str().unwrap().to_string()
    }
}

fn sha1_b64(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

fn cda(nir: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3">
<id root="1.2.250.1.999.7" extension="{nir}-1"/><code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/>
<title>Biologie de test</title><effectiveTime value="20240315100000+0100"/>
<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="{nir}"/><patient><name><family>TEST</family><given>Dominique</given></name></patient></patientRole></recordTarget>
<component><structuredBody><component><section><title>Résultats</title><text>TSH normale.</text></section></component></structuredBody></component>
</ClinicalDocument>"#
    )
    .into_bytes()
}

fn document_reference(
    patient_id: &str,
    description: &str,
    type_code: &str,
    date: &str,
    label: &str,
    attachment: Value,
) -> Value {
    json!({
        "resourceType": "DocumentReference",
        "status": "current",
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{:032x}", fastrand::u128(..))},
        "type": {"coding": [{"system": "http://loinc.org", "code": type_code}]},
        "subject": {"reference": format!("Patient/{patient_id}")},
        "date": date,
        "description": description,
        "author": [{"display": "Dr Alice MARTIN"}],
        "custodian": {"display": "Laboratoire de test"},
        "securityLabel": [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13", "code": label}]}],
        "content": [{"attachment": attachment}]
    })
}

#[tokio::test]
async fn mhd_search_retrieval_and_masking_against_the_real_server() {
    let Some(stack) = common::stack("records_mhd") else {
        return;
    };
    let base = stack.get("FHIR_URL");
    let fhir = Fhir::new(&base);

    let nir = random_nir();
    let ins = Ins::parse(&nir, InsOid::TEST_NIR, TEST_POLICY).unwrap();
    let identifier = json!([{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": nir}]);
    let patient = fhir.create(json!({"resourceType": "Patient", "identifier": identifier, "name": [{"family": "TEST"}]})).await;
    let other_nir = random_nir();
    let other_patient = fhir
        .create(json!({"resourceType": "Patient", "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": other_nir}]}))
        .await;

    let cda_bytes = cda(&nir);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&cda_bytes);
    let binary = fhir
        .create(json!({"resourceType": "Binary", "contentType": "text/xml", "data": b64}))
        .await;
    let by_url = json!({"contentType": "text/xml", "url": format!("Binary/{binary}"), "size": cda_bytes.len(), "hash": sha1_b64(&cda_bytes)});

    let normal = fhir
        .create(document_reference(
            &patient,
            "CR biologie",
            "11502-2",
            "2024-03-15T10:00:00+01:00",
            "N",
            by_url.clone(),
        ))
        .await;
    let masked = fhir
        .create(document_reference(
            &patient,
            "Masqué",
            "11502-2",
            "2024-04-01T10:00:00+01:00",
            "MASQUE_PS",
            by_url.clone(),
        ))
        .await;
    let invisible = fhir
        .create(document_reference(
            &patient,
            "Invisible patient",
            "34112-3",
            "2023-06-01T10:00:00+02:00",
            "INVISIBLE_PATIENT",
            by_url.clone(),
        ))
        .await;
    let inline_text = "Note en ligne".as_bytes();
    let inline = fhir
        .create(document_reference(
            &patient,
            "Note",
            "34133-9",
            "2022-01-10T09:00:00+01:00",
            "N",
            json!({"contentType": "text/plain", "data": base64::engine::general_purpose::STANDARD.encode(inline_text), "size": inline_text.len()}),
        ))
        .await;
    let mut tampered_attachment = by_url.clone();
    tampered_attachment["hash"] = json!(sha1_b64(b"something else"));
    let tampered = fhir
        .create(document_reference(
            &patient,
            "Altéré",
            "11502-2",
            "2021-01-01T00:00:00+01:00",
            "N",
            tampered_attachment,
        ))
        .await;
    fhir.create(document_reference(
        &other_patient,
        "Autre patient",
        "11502-2",
        "2024-03-15T10:00:00+01:00",
        "N",
        by_url,
    ))
    .await;

    let client = MhdClient::new(&base, webpki_tls_config().unwrap()).unwrap();
    let query = DocumentQuery::for_patient(PatientSelector::Ins(ins.clone()));
    let found = client.find_documents(&query).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            normal.as_str(),
            invisible.as_str(),
            inline.as_str(),
            tampered.as_str()
        ],
        "newest first, masked and other patient absent"
    );
    assert!(!ids.contains(&masked.as_str()));

    let first = &found[0];
    assert_eq!(first.title.as_deref(), Some("CR biologie"));
    assert_eq!(first.type_code.as_ref().unwrap().code, "11502-2");
    assert_eq!(first.authors, vec!["Dr Alice MARTIN"]);
    assert_eq!(first.facility.as_deref(), Some("Laboratoire de test"));
    assert!(first.shareable_with_patient());
    assert!(
        !found[1].shareable_with_patient(),
        "INVISIBLE_PATIENT is flagged"
    );

    // Retrieval through the Binary URL, checked against size and SHA-1.
    let bytes = client.fetch_document(first).await.unwrap();
    assert_eq!(bytes, cda_bytes);
    let doc = cachet::records::cda::parse(&bytes).unwrap();
    assert_eq!(doc.header.patient.ins(TEST_POLICY).unwrap().unwrap(), ins);
    // Inline attachment data.
    assert_eq!(client.fetch_document(&found[2]).await.unwrap(), inline_text);
    // A hash that does not match the content is an integrity error.
    let err = client.fetch_document(&found[3]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");

    // Filters: type, then date range.
    let mut by_type = query.clone();
    by_type.type_codes = vec!["34112-3".to_string()];
    let typed = client.find_documents(&by_type).await.unwrap();
    assert_eq!(
        typed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        vec![invisible.as_str()]
    );
    let mut by_date = query.clone();
    by_date.from = Some(time::macros::date!(2022 - 01 - 01));
    by_date.to = Some(time::macros::date!(2023 - 12 - 31));
    let dated = client.find_documents(&by_date).await.unwrap();
    assert_eq!(
        dated.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        vec![invisible.as_str(), inline.as_str()]
    );

    // By server reference, and under break-glass: masking still holds.
    let mut emergency = DocumentQuery::for_patient(PatientSelector::Reference {
        reference: format!("Patient/{patient}"),
    });
    emergency.purpose = PurposeOfUse::Emergency {
        reason: EmergencyReason::new(
            EmergencyKind::PatientUnableToConsent,
            "patient inconscient, SAU",
        )
        .unwrap(),
    };
    let urgent = client.find_documents(&emergency).await.unwrap();
    assert_eq!(urgent.len(), 4);
    assert!(urgent.iter().all(|d| d.id != masked));
}

#[tokio::test]
async fn unknown_patients_and_unreachable_servers() {
    let Some(stack) = common::stack("records_mhd") else {
        return;
    };
    let client = MhdClient::new(&stack.get("FHIR_URL"), webpki_tls_config().unwrap()).unwrap();
    let ins = Ins::parse(&random_nir(), InsOid::TEST_NIR, TEST_POLICY).unwrap();
    let none = client
        .find_documents(&DocumentQuery::for_patient(PatientSelector::Ins(
            ins.clone(),
        )))
        .await
        .unwrap();
    assert!(none.is_empty());

    // Nothing listens on port 9 of loopback (discard): a network error, exit code 4.
    let dead = MhdClient::new("http://127.0.0.1:9/fhir", webpki_tls_config().unwrap()).unwrap();
    let err = dead
        .find_documents(&DocumentQuery::for_patient(PatientSelector::Ins(
            ins.clone(),
        )))
        .await
        .unwrap_err();
    assert_eq!(err.kind().exit_code(), 4, "{err}");
    // The search URL holds the INS: it must not leak into the error chain.
    let mut chain = format!("{err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    assert!(!chain.contains(ins.number().as_str()), "{chain}");
}
