//! `cachet records render|list` through the subcommand's `run` function.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use cachet::cli::records::{RecordsCommand, run};
use cachet::mail::xdm::{self, PackageOptions};
use cachet::records::ins::InsPolicy;
use unicode_width::UnicodeWidthStr;

fn corpus_dir() -> Option<PathBuf> {
    common::corpus_dir().or_else(|| {
        std::env::var_os("CACHET_CORPUS_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
    })
}

fn render(file: PathBuf, width: usize) -> Result<String, u8> {
    let mut out = Vec::new();
    match run(
        RecordsCommand::Render {
            file,
            width: Some(width),
        },
        &mut out,
    ) {
        Ok(code) => {
            assert_eq!(code, 0);
            Ok(String::from_utf8(out).unwrap())
        }
        Err(e) => {
            assert!(!e.message().is_empty());
            Err(e.exit_code())
        }
    }
}

const CDA: &str = r#"<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="cli-1"/>
<code code="11488-4" displayName="Note de consultation"/><title>Consultation de suivi</title>
<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="279035121518989"/></patientRole></recordTarget>
<component><structuredBody><component><section><title>Conclusion</title>
<text><paragraph>Un paragraphe assez long pour devoir être replié sur plusieurs lignes quand le terminal est étroit.</paragraph></text>
</section></component></structuredBody></component></ClinicalDocument>"#;

#[test]
fn render_a_cda_and_an_xdm_at_a_given_width() {
    let dir = tempfile::tempdir().unwrap();
    let cda_path = dir.path().join("doc.xml");
    std::fs::write(&cda_path, CDA).unwrap();
    let text = render(cda_path, 40).unwrap();
    assert!(text.contains("Consultation de suivi"));
    assert!(text.contains("Conclusion"));
    assert!(text.lines().all(|l| l.width() <= 40), "{text}");
    assert!(text.lines().count() > 8, "the paragraph wrapped: {text}");

    let options = PackageOptions {
        source_id: "1.2.250.1.999".to_string(),
        author: None,
        content_type: None,
        intended_recipients: vec![],
        title: None,
        ins_policy: InsPolicy { test_profile: true },
    };
    let packaged = xdm::package_cda(CDA.as_bytes().to_vec(), &options).unwrap();
    let zip_path = dir.path().join("IHE_XDM.ZIP");
    std::fs::write(&zip_path, &packaged.zip).unwrap();
    let text = render(zip_path, 100).unwrap();
    assert!(
        text.contains(
            "Document 1 de l'archive XDM : Consultation de suivi (empreinte SHA-1 vérifiée)"
        ),
        "{text}"
    );
    assert!(text.contains("Conclusion"));

    let junk = dir.path().join("junk.xml");
    std::fs::write(&junk, "<html/>").unwrap();
    assert_eq!(render(junk, 80), Err(1));
    assert_eq!(render(dir.path().join("missing.xml"), 80), Err(1));
}

#[test]
fn render_corpus_documents() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let text = render(
        corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/BIO-CR-BIO_2024.01_TSH_1.xml"),
        72,
    )
    .unwrap();
    assert!(text.contains("BIOCHIMIE"));
    assert!(text.contains("1.950 mUI/l"), "{text}");
    assert!(text.lines().all(|l| l.width() <= 72));
    let text = render(
        corpus.join("xdm/directproject-nhin-d/xd-common_samplexdm.zip"),
        80,
    )
    .unwrap();
    assert!(
        text.contains("Good Health Clinic Continuity of Care Document"),
        "{text}"
    );
}

#[test]
fn list_errors_have_exit_codes() {
    let list = |ins: &str, fhir: &str| RecordsCommand::List {
        ins: ins.to_string(),
        ins_oid: "1.2.250.1.213.1.4.8".to_string(),
        backend: cachet::cli::records::BackendArgs {
            fhir: Some(fhir.to_string()),
            ..Default::default()
        },
        types: vec![],
        from: None,
        to: None,
        test_profile: false,
        json: true,
        width: None,
    };
    let mut out = Vec::new();
    let bad_ins = run(list("279035121518988", "http://127.0.0.1:9/fhir"), &mut out).unwrap_err();
    assert_eq!(bad_ins.exit_code(), 1);
    assert!(bad_ins.message().contains("key"), "{}", bad_ins.message());
    let unreachable =
        run(list("279035121518989", "http://127.0.0.1:9/fhir"), &mut out).unwrap_err();
    assert_eq!(unreachable.exit_code(), 4, "{}", unreachable.message());
    let not_loopback =
        run(list("279035121518989", "http://dmp.example/fhir"), &mut out).unwrap_err();
    assert_eq!(not_loopback.exit_code(), 1);
}

async fn create(base: &str, resource: serde_json::Value) -> String {
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(cachet::records::mhd::webpki_tls_config().unwrap())
        .build()
        .unwrap();
    let kind = resource["resourceType"].as_str().unwrap().to_string();
    let response = http
        .post(format!("{}/{kind}", base.trim_end_matches('/')))
        .header("content-type", "application/fhir+json")
        .body(resource.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "creating {kind}: {}",
        response.status()
    );
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

fn list(nir: &str, fhir: &str, json: bool) -> RecordsCommand {
    RecordsCommand::List {
        ins: nir.to_string(),
        ins_oid: "1.2.250.1.213.1.4.10".to_string(),
        backend: cachet::cli::records::BackendArgs {
            fhir: Some(fhir.to_string()),
            ..Default::default()
        },
        types: vec![],
        from: None,
        to: None,
        test_profile: true,
        json,
        width: Some(100),
    }
}

#[test]
fn list_against_the_real_server() {
    let Some(stack) = common::stack("records_cli") else {
        return;
    };
    let fhir = stack.get("FHIR_URL");
    let body: u64 = 1_000_000_000_000 + fastrand::u64(0..999_999_999_999);
    let nir = format!("{body}{:02}", cachet::records::ins::nir_key(body));

    // A patient without documents: an empty JSON array, exit 0.
    let mut out = Vec::new();
    assert_eq!(run(list(&nir, &fhir, true), &mut out).unwrap(), 0);
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value, serde_json::json!([]));

    // One document: in the JSON and in the table.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let patient = create(
            &fhir,
            serde_json::json!({"resourceType": "Patient", "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": nir}]}),
        )
        .await;
        create(
            &fhir,
            serde_json::json!({
                "resourceType": "DocumentReference", "status": "current",
                "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4", "display": "Note de consultation"}]},
                "subject": {"reference": format!("Patient/{patient}")},
                "date": "2025-02-03T10:00:00+01:00", "description": "Consultation CLI",
                "author": [{"display": "Dr Alice MARTIN"}],
                "content": [{"attachment": {"contentType": "text/plain", "data": "T0s="}}]
            }),
        )
        .await;
    });
    let mut out = Vec::new();
    run(list(&nir, &fhir, true), &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value.as_array().unwrap().len(), 1);
    assert_eq!(value[0]["title"], "Consultation CLI");
    assert_eq!(value[0]["type"], "11488-4");
    assert_eq!(value[0]["invisible_to_patient"], false);
    let mut out = Vec::new();
    run(list(&nir, &fhir, false), &mut out).unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(
        table.contains("2025-02-03") && table.contains("Consultation CLI"),
        "{table}"
    );
}
