#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The DMP (XDS.b) backend against a loopback responder (see
//! `xds_support`: no DMP test server can run here, so the responder is
//! hand-written and checks each request against the specification's
//! structures). TLS client authentication and the VIHF signature are made
//! by the simulated CPS card through the card thread; one test uses the
//! real pcscd with the card in a vpcd slot.

mod common;
mod xds_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cachet::card::sim::{Simulator, pki};
use cachet::card::{CardHandle, CardInfo, CardKind, Pin};
use cachet::error::{ErrorKind, HasKind};
use cachet::records::Error;
use cachet::records::backend::{
    DocumentQuery, EmergencyKind, EmergencyReason, PatientSelector, PurposeOfUse, RecordsBackend,
};
use cachet::records::ins::{Ins, InsOid, InsPolicy};
use cachet::records::xds::XdsClient;
use cachet::records::xds::vihf::{CardAssertionSigner, Practitioner, Software, VihfContext};
use xds_support::{DOC_BAD_HASH, DOC_GOOD, DOC_MASKED, DOC_PDF, Fixtures, INS_OK, Served};
use zeroize::Zeroizing;

/// A NIR with its key.
fn nir(body: u64) -> String {
    format!("{body:013}{:02}", cachet::records::ins::nir_key(body))
}

/// Other patients: no record, and a failing registry.
fn ins_none() -> String {
    nir(1_800_175_123_456)
}
fn ins_failing() -> String {
    nir(2_690_549_588_157)
}

fn cda() -> Vec<u8> {
    r#"<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3">
<id root="1.2.250.1.999.7" extension="x-1"/><code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/>
<title>Biologie du DMP</title><effectiveTime value="20240315100000+0100"/>
<recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="279035121518989"/><patient><name><family>TEST</family><given>Dominique</given></name></patient></patientRole></recordTarget>
<component><structuredBody><component><section><title>Résultats</title><text>TSH normale.</text></section></component></structuredBody></component>
</ClinicalDocument>"#
        .as_bytes()
        .to_vec()
}

fn fixtures() -> Fixtures {
    let mut masked = Served::new(DOC_MASKED, "Masqué", "text/xml", cda(), "20240601120000");
    masked.confidentiality = vec!["N", "MASQUE_PS"];
    let mut bad = Served::new(DOC_BAD_HASH, "Altéré", "text/xml", cda(), "20240101080000");
    bad.announced_sha1 = vec![0u8; 20];
    let mut records = BTreeMap::new();
    records.insert(
        INS_OK.to_string(),
        vec![
            Served::new(DOC_GOOD, "Biologie", "text/xml", cda(), "20240315100000"),
            masked,
            bad,
            Served::new(
                DOC_PDF,
                "Compte rendu PDF",
                "application/pdf",
                b"%PDF-1.4 x".to_vec(),
                "20230101000000",
            ),
        ],
    );
    records.insert(ins_failing(), Vec::new());
    Fixtures {
        records,
        failing: Some(ins_failing()),
    }
}

struct Setup {
    rt: tokio::runtime::Runtime,
    handle: CardHandle,
    info: CardInfo,
    pki: pki::TestPki,
}

fn simulated_card(kind: CardKind) -> Setup {
    let dir = tempfile::tempdir().unwrap().keep();
    let pki = pki::ensure(&dir).unwrap();
    let handle = CardHandle::spawn_simulated("Sim 0", Simulator::new(&pki, kind, "1234")).unwrap();
    let info = handle.wait_for_card(Duration::from_secs(10)).unwrap();
    handle
        .verify(Pin::new(Zeroizing::new("1234".into())).unwrap())
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    Setup {
        rt,
        handle,
        info,
        pki,
    }
}

/// The client as the application builds it: TLS from `cachet::tls` with the
/// card's resolver, the VIHF signed by the card.
fn client(s: &Setup, url: &str) -> XdsClient {
    let tls = cachet::tls::client_config(&cachet::tls::TlsOptions {
        trust: cachet::tls::TrustPolicy::ConfiguredOnly {
            anchors: vec![cachet::tls::AnchorSource::PemFile(s.pki.dir.join("ca.crt"))],
        },
        versions: if s.info.kind.raw_rsa() {
            cachet::tls::TlsVersions::Tls12And13
        } else {
            cachet::tls::TlsVersions::Tls12Only
        },
        client_auth: Some(Arc::new(cachet::card::signer::CardClientAuth::new(
            s.handle.clone(),
            &s.info,
        ))),
    })
    .unwrap();
    let context = VihfContext {
        practitioner: Practitioner::from_certificate(&s.info.certificate).unwrap(),
        structure_id: Some("10B0012345".into()),
        sector: Some("SA07".into()),
        software: Software::default(),
    };
    XdsClient::new(
        url,
        (*tls).clone(),
        Arc::new(CardAssertionSigner::new(s.handle.clone(), &s.info)),
        context,
    )
    .unwrap()
}

fn ins(n: &str) -> Ins {
    Ins::parse(n, InsOid::NIR, InsPolicy::default()).unwrap()
}

fn no_problems(log: &std::sync::Mutex<Vec<xds_support::Exchange>>) -> Vec<xds_support::Exchange> {
    let log = log.lock().unwrap().clone();
    for e in &log {
        assert!(
            e.problems.is_empty(),
            "{} {}: {:?}",
            e.service,
            e.action,
            e.problems
        );
    }
    log
}

#[test]
fn list_open_mask_and_integrity_with_the_simulated_card() {
    let s = simulated_card(CardKind::Cps3Contact);
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let client = client(&s, &responder.url);
    let query = DocumentQuery::for_patient(PatientSelector::Ins(ins(INS_OK)));
    let list = s.rt.block_on(client.find_documents(&query)).unwrap();

    // The masked entry is gone; newest first; metadata read from ebRIM.
    let ids: Vec<_> = list.iter().filter_map(|e| e.unique_id.clone()).collect();
    assert_eq!(ids, vec![DOC_GOOD, DOC_BAD_HASH, DOC_PDF]);
    let good = &list[0];
    assert_eq!(good.date.as_deref(), Some("2024-03-15T10:00:00Z"));
    assert_eq!(good.authors, vec!["DURAND Paul"]);
    assert_eq!(good.facility.as_deref(), Some("Laboratoire Central"));
    assert_eq!(good.type_code.as_ref().unwrap().code, "11502-2");
    assert_eq!(
        good.repository_id.as_deref(),
        Some(xds_support::FIND_REPOSITORY)
    );
    // ...but the registry did send it: the filter is ours.
    let raw =
        s.rt.block_on(client.find_raw(&ins(INS_OK), &query))
            .unwrap();
    assert!(
        raw.iter()
            .any(|e| e.unique_id.as_deref() == Some(DOC_MASKED)
                && e.masking.hidden_from_professionals)
    );

    // TD3.2 over MTOM, hash and size checked.
    let bytes = s.rt.block_on(client.fetch_document(good)).unwrap();
    assert_eq!(bytes, cda());
    let document = cachet::records::cda::parse(&bytes).unwrap();
    let text = cachet::records::cda::render(&document)
        .layout(80)
        .iter()
        .map(|l| l.to_plain_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("Résultats"), "{text}");

    // Inline answer whose bytes do not match the announced hash.
    let bad = list
        .iter()
        .find(|e| e.unique_id.as_deref() == Some(DOC_BAD_HASH))
        .unwrap();
    let err = s.rt.block_on(client.fetch_document(bad)).unwrap_err();
    assert!(
        matches!(err, Error::Integrity { what: "SHA-1 hash" }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Integrity);

    // Every request passed the responder's checks; the VIHF named the card holder.
    let log = no_problems(&responder.log);
    let services: Vec<_> = log.iter().map(|e| e.service.as_str()).collect();
    assert_eq!(
        services,
        [
            "patients",
            "registry",
            "registry",
            "repository",
            "repository"
        ]
    );
    for e in &log {
        let v = e.vihf.as_ref().unwrap();
        assert_eq!(v.name_id, "810100000017");
        assert_eq!(v.purpose, "normal");
        assert_eq!(v.certificate, s.info.certificate);
        assert_eq!(e.tls_client_certificate, s.info.certificate);
        assert!(
            v.roles.contains(&"10@1.2.250.1.71.1.2.7".to_string()),
            "{:?}",
            v.roles
        );
        assert!(v.issuer.contains("CN=810100000017"), "{}", v.issuer);
    }
}

#[test]
fn a_tampered_assertion_does_not_verify() {
    let s = simulated_card(CardKind::Cps4);
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let client = client(&s, &responder.url);
    let reason =
        EmergencyReason::new(EmergencyKind::VitalRisk, "patient inconscient aux urgences").unwrap();
    let mut query = DocumentQuery::for_patient(PatientSelector::Ins(ins(INS_OK)));
    query.purpose = PurposeOfUse::Emergency { reason };
    let list = s.rt.block_on(client.find_documents(&query)).unwrap();
    // Break-glass never unmasks.
    assert!(
        list.iter()
            .all(|e| e.unique_id.as_deref() != Some(DOC_MASKED))
    );
    let log = no_problems(&responder.log);
    assert!(
        log.iter()
            .all(|e| e.vihf.as_ref().unwrap().purpose == "acces_urgence")
    );

    let sent = &log[1].envelope;
    assert!(xds_support::verify_vihf(sent).is_ok());
    // Changing what the assertion says breaks the digest...
    let altered = sent.replace("acces_urgence", "normal");
    assert_ne!(&altered, sent);
    let err = xds_support::verify_vihf(&altered).unwrap_err();
    assert!(err.contains("digest"), "{err}");
    // ...another patient too...
    let other = sent.replace(INS_OK, &ins_none());
    assert!(xds_support::verify_vihf(&other).is_err());
    // ...and a changed signature value fails the RSA check.
    let start = sent.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let mut forged = sent.clone();
    let flipped = if &sent[start..start + 1] == "A" {
        "B"
    } else {
        "A"
    };
    forged.replace_range(start..start + 1, flipped);
    let err = xds_support::verify_vihf(&forged).unwrap_err();
    assert!(err.contains("signature"), "{err}");
}

#[test]
fn registry_errors_and_missing_records_are_typed() {
    let s = simulated_card(CardKind::Cps3Contact);
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let client = client(&s, &responder.url);
    let none = DocumentQuery::for_patient(PatientSelector::Ins(ins(&ins_none())));
    let err = s.rt.block_on(client.find_documents(&none)).unwrap_err();
    assert!(matches!(err, Error::NoRecord), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let failing = DocumentQuery::for_patient(PatientSelector::Ins(ins(&ins_failing())));
    match s.rt.block_on(client.find_documents(&failing)) {
        Err(Error::Registry { code, context }) => {
            assert_eq!(code, "XDSRegistryBusy");
            assert_eq!(context, "Registre indisponible");
        }
        other => panic!("{other:?}"),
    }
    // An entry never listed cannot be opened (no patient or purpose for its VIHF).
    let stray = cachet::records::backend::DocumentEntry {
        id: "urn:uuid:stray".into(),
        ..Default::default()
    };
    assert!(matches!(
        s.rt.block_on(client.fetch_document(&stray)),
        Err(Error::NotListed)
    ));
    no_problems(&responder.log);
}

#[test]
fn a_server_refusing_the_certificate_is_a_network_error_not_a_hang() {
    // A client whose card certificate is from another CA: the responder's
    // TLS refuses it, the client reports an error (bounded by its timeouts).
    let s = simulated_card(CardKind::Cps3Contact);
    let other = pki::ensure(&tempfile::tempdir().unwrap().keep()).unwrap();
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &other.ca_cert_der,
        fixtures(),
    ));
    let client = client(&s, &responder.url);
    let query = DocumentQuery::for_patient(PatientSelector::Ins(ins(INS_OK)));
    let err = s.rt.block_on(client.find_documents(&query)).unwrap_err();
    assert!(matches!(err, Error::Network(_)), "{err:?}");
    assert!(responder.log.lock().unwrap().is_empty());
}

#[test]
fn list_and_open_through_pcscd_and_vpcd() {
    let Some(stack) = common::stack("list_and_open_through_pcscd_and_vpcd") else {
        return;
    };
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT_2"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).unwrap();
    let handle = CardHandle::spawn_pcsc(Some("Virtual PCD 00 01".into())).unwrap();
    let card = cachet::card::sim::vpcd::VpcdCard::insert(
        &vpcd,
        Simulator::new(&pki, CardKind::Cps3Contact, "1234"),
    )
    .unwrap();
    let info = handle.wait_for_card(Duration::from_secs(15)).unwrap();
    handle
        .verify(Pin::new(Zeroizing::new("1234".into())).unwrap())
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let s = Setup {
        rt,
        handle: handle.clone(),
        info,
        pki,
    };
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let client = client(&s, &responder.url);
    let before = handle.private_key_operations();
    let query = DocumentQuery::for_patient(PatientSelector::Ins(ins(INS_OK)));
    let list = s.rt.block_on(client.find_documents(&query)).unwrap();
    let bytes = s.rt.block_on(client.fetch_document(&list[0])).unwrap();
    assert_eq!(bytes, cda());
    let log = no_problems(&responder.log);
    assert_eq!(log.len(), 3);
    // One VIHF signature per request, plus the TLS handshakes: all on the card.
    assert!(handle.private_key_operations() - before >= 3);
    card.remove().unwrap();
}

#[test]
fn opened_documents_are_cached_and_read_back_offline() {
    use cachet::app::records_service::{DmpService, RecordsService};
    use cachet::records::xds::DmpSettings;

    let s = simulated_card(CardKind::Cps3Contact);
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let (_profile, store) = common::new_store("810100000017");
    let settings = |url: &str| DmpSettings {
        base_url: url.to_string(),
        anchors: vec![s.pki.dir.join("ca.crt")],
        structure_id: None,
        sector: None,
        homologation: None,
    };
    let online = RecordsService::Dmp(Box::new(DmpService::new(
        settings(&responder.url),
        s.handle.clone(),
    )));
    let patient = ins(INS_OK);
    let query = DocumentQuery::for_patient(PatientSelector::Ins(patient.clone()));

    let listed =
        s.rt.block_on(online.find_or_cached(&query, Some(store.clone())))
            .unwrap();
    assert!(!listed.offline);
    let good = listed.value[0].clone();
    let opened =
        s.rt.block_on(online.open_cached(&good, Some(patient.clone()), Some(store.clone()), 1))
            .unwrap();
    assert!(!opened.offline);
    assert_eq!(opened.value.0, "Biologie");
    // A PDF entry is listed too (opened later, not cached).
    assert!(
        listed
            .value
            .iter()
            .any(|e| e.mime_type.as_deref() == Some("application/pdf"))
    );

    // The server is now out of reach: the list and the document come from the cache.
    let offline = RecordsService::Dmp(Box::new(DmpService::new(
        settings("https://127.0.0.1:9/si-dmp-server/v2/services"),
        s.handle.clone(),
    )));
    let cached =
        s.rt.block_on(offline.find_or_cached(&query, Some(store.clone())))
            .unwrap();
    assert!(cached.offline);
    assert_eq!(cached.value.len(), 1, "only the opened document was kept");
    assert_eq!(cached.value[0].id, good.id);
    let reopened =
        s.rt.block_on(offline.open_cached(
            &cached.value[0],
            Some(patient.clone()),
            Some(store.clone()),
            2,
        ))
        .unwrap();
    assert!(reopened.offline);
    assert_eq!(reopened.value, opened.value);
    // Without a cached copy, the network error is reported.
    let other = DocumentQuery::for_patient(PatientSelector::Ins(ins(&ins_failing())));
    let err =
        s.rt.block_on(offline.find_or_cached(&other, Some(store.clone())))
            .unwrap_err();
    assert!(err.contains("Network"), "{err}");
    no_problems(&responder.log);
}

#[test]
fn the_cli_lists_and_shows_with_the_dmp() {
    use cachet::cli::records::{BackendArgs, CliBackend, RecordsCommand, run_with};
    let s = simulated_card(CardKind::Cps3Contact);
    let responder = s.rt.block_on(xds_support::start(
        &s.pki.dir,
        &s.pki.ca_cert_der,
        fixtures(),
    ));
    let mut out = Vec::new();
    let list = RecordsCommand::List {
        ins: INS_OK.into(),
        ins_oid: InsOid::NIR.into(),
        backend: BackendArgs::default(),
        types: vec![],
        from: None,
        to: None,
        test_profile: false,
        json: true,
        width: None,
    };
    let code = run_with(
        list,
        None,
        Some(CliBackend::Dmp(client(&s, &responder.url))),
        &mut out,
    )
    .unwrap();
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["unique_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![DOC_GOOD, DOC_BAD_HASH, DOC_PDF]);

    let show = |id: &str| RecordsCommand::Show {
        id: id.into(),
        ins: INS_OK.into(),
        ins_oid: InsOid::NIR.into(),
        backend: BackendArgs::default(),
        test_profile: false,
        width: Some(80),
    };
    let mut out = Vec::new();
    run_with(
        show(DOC_GOOD),
        None,
        Some(CliBackend::Dmp(client(&s, &responder.url))),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("Résultats") && text.contains("TSH normale"),
        "{text}"
    );
    assert!(!text.contains("<section"), "{text}");

    let err = run_with(
        show(DOC_BAD_HASH),
        None,
        Some(CliBackend::Dmp(client(&s, &responder.url))),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{}", err.message());
    let err = run_with(
        show(DOC_MASKED),
        None,
        Some(CliBackend::Dmp(client(&s, &responder.url))),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::NotFound,
        "a masked document cannot be shown"
    );
    no_problems(&responder.log);
}
