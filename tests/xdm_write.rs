//! Writing an IHE_XDM.ZIP from a CDA (or a PDF) and reading it back: same
//! metadata, verified hash and size; a tampered document is detected.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use cachet::error::{ErrorKind, HasKind};
use cachet::mail::xdm::{
    self, CodedValue, DocumentEntry, Error, PackageOptions, XdmPackage, XdsAuthor,
};
use cachet::records::cda;
use cachet::records::ins::InsPolicy;
use zip::write::SimpleFileOptions;

/// A minimal CDA with a production INS whose key checks (fake patient).
fn cda_bytes() -> Vec<u8> {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="1.2.250.1.999.7" extension="CR-2026-001"/>
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="CR d'examens biologiques"/>
  <title>Compte rendu de biologie</title>
  <effectiveTime value="20260115103000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
    <patient><name><family>EXEMPLE</family><given>Camille</given></name>
    <administrativeGenderCode code="F"/><birthTime value="19790328"/></patient></patientRole></recordTarget>
  <author><time value="20260115"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810100000017"/>
    <assignedPerson><name><family>MARTIN</family><given>Alice</given></name></assignedPerson>
    <representedOrganization><name>Cabinet Exemple &amp; Associés</name></representedOrganization></assignedAuthor></author>
  <component><structuredBody><component><section><title>Résultats</title><text>Normal.</text></section></component></structuredBody></component>
</ClinicalDocument>"#
        .as_bytes()
        .to_vec()
}

fn options() -> PackageOptions {
    PackageOptions {
        source_id: "1.2.250.1.999.42".to_string(),
        author: Some(XdsAuthor {
            person: Some(
                "810100000017^MARTIN^Alice^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS".to_string(),
            ),
            institutions: vec!["Cabinet Exemple".to_string()],
            roles: vec![],
            specialties: vec![],
        }),
        content_type: Some(CodedValue {
            code: "04".to_string(),
            scheme: Some("1.2.250.1.213.2.2".to_string()),
            display: Some("Hospitalisation de jour".to_string()),
        }),
        intended_recipients: vec!["|bob@example.test".to_string()],
        title: Some("Envoi <test>".to_string()),
        ins_policy: InsPolicy {
            test_profile: false,
        },
    }
}

fn unzip(zip: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn cda_round_trip_keeps_metadata_and_verifies() {
    let original = cda_bytes();
    let packaged = xdm::package_cda(original.clone(), &options()).unwrap();
    let entry = &packaged.metadata.documents[0];
    assert_eq!(
        entry.patient_id.as_deref(),
        Some("279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH")
    );
    assert_eq!(
        entry.unique_id.as_deref(),
        Some("1.2.250.1.999.7^CR-2026-001")
    );
    assert_eq!(entry.type_code.as_ref().unwrap().code, "11502-2");
    assert_eq!(
        entry.creation_time.as_deref(),
        Some("20260115093000"),
        "creation time in UTC"
    );
    assert_eq!(entry.size, Some(original.len() as u64));
    assert_eq!(
        entry.hash.as_deref(),
        Some(xdm::sha1_hex(&original).as_str())
    );
    assert_eq!(
        entry.authors[0].institutions,
        vec!["Cabinet Exemple & Associés"]
    );

    let mut names: Vec<String> = zip::ZipArchive::new(Cursor::new(&packaged.zip[..]))
        .unwrap()
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "IHE_XDM/SUBSET01/DOC0001.XML",
            "IHE_XDM/SUBSET01/METADATA.XML",
            "INDEX.HTM",
            "README.TXT"
        ]
    );
    let index = String::from_utf8(unzip(&packaged.zip, "INDEX.HTM")).unwrap();
    assert!(index.contains("IHE_XDM/SUBSET01/DOC0001.XML"));

    let read = XdmPackage::read(packaged.zip.clone()).unwrap();
    assert_eq!(read.documents.len(), 1);
    assert_eq!(
        read.documents[0].entry, *entry,
        "document entry survives the round trip"
    );
    assert_eq!(
        read.submission_sets,
        vec![packaged.metadata.submission_set.clone().unwrap()]
    );
    assert_eq!(
        read.submission_sets[0].title.as_deref(),
        Some("Envoi <test>")
    );
    let verified = read.document_bytes(&read.documents[0]).unwrap();
    assert!(verified.hash_checked && verified.size_checked);
    assert_eq!(verified.bytes, original);
    assert_eq!(
        cda::parse(&verified.bytes).unwrap().header.title.as_deref(),
        Some("Compte rendu de biologie")
    );
}

#[test]
fn dmp_confidentiality_codes_survive_and_mask() {
    let masked = String::from_utf8(cda_bytes()).unwrap().replace(
        r#"<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>"#,
        r#"<confidentialityCode code="INVISIBLE_PATIENT" codeSystem="1.2.250.1.213.1.1.4.13"/>"#,
    );
    let packaged = xdm::package_cda(masked.into_bytes(), &options()).unwrap();
    let read = XdmPackage::read(packaged.zip).unwrap();
    let masking = read.documents[0].entry.masking();
    assert!(masking.invisible_to_patient && !masking.hidden_from_professionals);
}

#[test]
fn test_ins_is_refused_outside_a_test_profile() {
    let test_ins = String::from_utf8(cda_bytes())
        .unwrap()
        .replace("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10");
    let err = xdm::package_cda(test_ins.clone().into_bytes(), &options()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    let mut test_options = options();
    test_options.ins_policy = InsPolicy { test_profile: true };
    let packaged = xdm::package_cda(test_ins.into_bytes(), &test_options).unwrap();
    assert!(
        packaged.metadata.documents[0]
            .patient_id
            .as_deref()
            .unwrap()
            .contains("1.2.250.1.213.1.4.10")
    );
}

#[test]
fn pdf_round_trip() {
    let pdf = b"%PDF-1.4\n% fake but typed\n%%EOF\n".to_vec();
    let entry = DocumentEntry {
        patient_id: Some("279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH".to_string()),
        title: Some("Courrier".to_string()),
        creation_time: Some("20260115093000".to_string()),
        ..DocumentEntry::default()
    };
    let packaged = xdm::package_pdf(pdf.clone(), entry, &options()).unwrap();
    let read = XdmPackage::read(packaged.zip).unwrap();
    let doc = &read.documents[0];
    assert_eq!(
        doc.archive_path.as_deref(),
        Some("IHE_XDM/SUBSET01/DOC0001.PDF")
    );
    assert_eq!(doc.entry.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(read.document_bytes(doc).unwrap().bytes, pdf);
    assert!(xdm::package_pdf(b"not a pdf".to_vec(), DocumentEntry::default(), &options()).is_err());
}

/// Rebuilds an archive with one file replaced.
fn replace(zip: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let file_name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        out.start_file(file_name.as_str(), SimpleFileOptions::default())
            .unwrap();
        out.write_all(if file_name == name { data } else { &bytes })
            .unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn tampered_documents_are_integrity_errors() {
    let original = cda_bytes();
    let packaged = xdm::package_cda(original.clone(), &options()).unwrap();

    // Same size, one byte changed: the hash catches it.
    let mut tampered = original.clone();
    let at = tampered.windows(6).position(|w| w == b"Normal").unwrap();
    tampered[at] = b'F';
    let zip = replace(&packaged.zip, "IHE_XDM/SUBSET01/DOC0001.XML", &tampered);
    let read = XdmPackage::read(zip).unwrap();
    let err = read.document_bytes(&read.documents[0]).unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Integrity);

    // A different size: the size check catches it first.
    let mut longer = original;
    longer.extend_from_slice(b"<!-- appended -->");
    let zip = replace(&packaged.zip, "IHE_XDM/SUBSET01/DOC0001.XML", &longer);
    let read = XdmPackage::read(zip).unwrap();
    let err = read.document_bytes(&read.documents[0]).unwrap_err();
    assert!(matches!(err, Error::SizeMismatch { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Integrity);
}

#[test]
fn mss_headers_follow_the_cda() {
    let doc = cda::parse(&cda_bytes()).unwrap();
    let headers = xdm::mss_headers(
        &[&doc, &doc],
        InsPolicy {
            test_profile: false,
        },
    );
    assert_eq!(
        headers.codecda.as_deref(),
        Some("11502-2"),
        "one code, deduplicated"
    );
    assert_eq!(headers.ins.as_deref(), Some("O"));
    let none = xdm::mss_headers(&[], InsPolicy::default());
    assert!(none.pairs().is_empty(), "no CDA: no header");

    let without_ins = String::from_utf8(cda_bytes())
        .unwrap()
        .replace("1.2.250.1.213.1.4.8", "1.2.3.4");
    let doc2 = cda::parse(without_ins.as_bytes()).unwrap();
    let mut other = doc2.clone();
    other.header.code.as_mut().unwrap().code = "34112-3".to_string();
    let headers = xdm::mss_headers(&[&doc2, &other], InsPolicy::default());
    assert_eq!(headers.ins, None);
    assert_eq!(
        headers.pairs(),
        vec![("X-MSS-CODECDA", "11502-2, 34112-3".to_string())]
    );
}

#[test]
fn corpus_cda_packages_and_reads_back() {
    let Some(corpus) =
        common::corpus_dir().or_else(|| std::env::var_os("CACHET_CORPUS_DIR").map(PathBuf::from))
    else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let path = corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/BIO-CR-BIO_2024.01_TSH_1.xml");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let mut test_options = options();
    test_options.ins_policy = InsPolicy { test_profile: true };
    let packaged = xdm::package_cda(bytes.clone(), &test_options).unwrap();
    let read = XdmPackage::read(packaged.zip).unwrap();
    assert_eq!(read.documents[0].entry, packaged.metadata.documents[0]);
    assert_eq!(
        read.document_bytes(&read.documents[0]).unwrap().bytes,
        bytes
    );
}
