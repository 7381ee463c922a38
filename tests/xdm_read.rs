//! Reading real-world XDM archives (corpus) and refusing hostile ones.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Cursor, Write};
use std::path::PathBuf;

use cachet::error::{ErrorKind, HasKind};
use cachet::mail::xdm::{self, Error, XdmPackage, ZipLimits};
use zip::write::SimpleFileOptions;

fn corpus_dir() -> Option<PathBuf> {
    common::corpus_dir().or_else(|| {
        std::env::var_os("CACHET_CORPUS_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
    })
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn files_under(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Samples named as attacks must be refused; every other one must read.
fn is_hostile_sample(path: &std::path::Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    ["hostile", "bomb", "evil", "traversal", "malicious"]
        .iter()
        .any(|w| name.contains(w))
}

#[test]
fn corpus_archives_read_and_verify() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let mut files = Vec::new();
    files_under(&corpus.join("xdm"), &mut files);
    files.sort();
    let mut zips = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")))
    {
        zips += 1;
        let name = path.display().to_string();
        let result = XdmPackage::read(std::fs::read(path).unwrap());
        if is_hostile_sample(path) {
            let err = result.expect_err(&name);
            assert!(!err.to_string().is_empty(), "{name}: refused with a reason");
            continue;
        }
        let package = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!package.documents.is_empty(), "{name}");
        for doc in &package.documents {
            assert!(doc.entry.unique_id.is_some(), "{name}");
            assert!(doc.entry.patient_id.is_some(), "{name}");
            assert!(doc.archive_path.is_some(), "{name}: document file located");
            let verified = package
                .document_bytes(doc)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(verified.hash_checked, doc.entry.hash.is_some(), "{name}");
            if doc.entry.mime_type.as_deref() == Some("text/xml") {
                assert!(
                    cachet::records::cda::parse(&verified.bytes).is_ok(),
                    "{name}: the CDA parses"
                );
            }
        }
        let set = package.submission_sets.first().expect("a submission set");
        assert!(set.unique_id.is_some(), "{name}");
    }
    assert!(zips >= 3, "the Direct Project samples");
    // Loose METADATA.XML files (extracted subsets) parse too.
    for path in files.iter().filter(|p| {
        p.file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("METADATA.XML"))
    }) {
        let objects = xdm::metadata::parse(&std::fs::read(path).unwrap(), "METADATA.XML")
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!objects.documents.is_empty());
    }

    let dir = corpus.join("xdm/directproject-nhin-d");
    // The sample with an extra top folder and lower-case names.
    let sample =
        XdmPackage::read(std::fs::read(dir.join("xd-common_samplexdm.zip")).unwrap()).unwrap();
    let doc = &sample.documents[0];
    assert_eq!(doc.subset, "samplexdm/IHE_XDM/SUBSET01");
    assert_eq!(
        doc.entry.hash.as_deref(),
        Some("2f016bdeba83855ec76bd1102d9da6a79590f1a9")
    );
    assert_eq!(doc.entry.type_code.as_ref().unwrap().code, "34133-9");
    assert_eq!(
        doc.entry.authors[0].institutions,
        vec!["Cleveland Clinic", "Parma Community"]
    );
    let verified = sample.document_bytes(doc).unwrap();
    assert!(verified.hash_checked);
    assert_eq!(
        xdm::sha1_hex(&verified.bytes),
        "2f016bdeba83855ec76bd1102d9da6a79590f1a9"
    );
}

#[test]
fn corpus_drim_metadata_parses() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let path = corpus.join("xdm/ans-drim-m/KA202401/IHE_XDM/SS000001/METADATA.XML");
    let objects = xdm::metadata::parse(&std::fs::read(path).unwrap(), "METADATA.XML").unwrap();
    let set = objects.submission_set.expect("submission set");
    assert_eq!(
        set.patient_id.as_deref(),
        Some("162018885045327^^^&1.2.250.1.213.1.4.10&ISO^NH")
    );
    assert_eq!(set.content_type.as_ref().unwrap().code, "04");
    assert!(!objects.documents.is_empty());
    assert_eq!(
        objects.documents[0].mime_type.as_deref(),
        Some("application/dicom")
    );
}

#[test]
fn traversal_and_absolute_paths_are_refused() {
    for name in [
        "../evil.txt",
        "IHE_XDM/SUBSET01/../../../evil",
        "IHE_XDM\\..\\..\\evil",
        "/etc/passwd",
        "C:/x.txt",
    ] {
        let zip = zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", b"<x/>"), (name, b"boom")]);
        let err = XdmPackage::read(zip).unwrap_err();
        assert!(
            matches!(
                err,
                Error::PathTraversal { .. } | Error::AbsolutePath { .. }
            ),
            "{name}: {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }
}

#[test]
fn zip_bomb_ratio_is_refused() {
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let zip = zip_of(&[("IHE_XDM/SUBSET01/DOC0001.XML", &zeros)]);
    assert!(zip.len() < 64 * 1024, "deflate squeezes zeros");
    let err = XdmPackage::read(zip).unwrap_err();
    assert!(
        matches!(err, Error::CompressionRatio { ratio, .. } if ratio > 100),
        "{err:?}"
    );
}

#[test]
fn too_many_entries_and_oversized_totals_are_refused() {
    let names: Vec<String> = (0..1001)
        .map(|i| format!("IHE_XDM/SUBSET01/F{i}.TXT"))
        .collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let err = XdmPackage::read(zip_of(&files)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyEntries {
                count: 1001,
                limit: 1000
            }
        ),
        "{err:?}"
    );

    let limits = ZipLimits {
        max_total_bytes: 10,
        ..ZipLimits::default()
    };
    let zip = zip_of(&[("a", b"123456"), ("b", b"123456")]);
    assert!(matches!(
        XdmPackage::read_with_limits(zip, limits),
        Err(Error::TotalTooLarge { limit: 10 })
    ));
}

/// Sets a field of the `nth` central directory header (signature PK\1\2).
fn patch_central(zip: &mut [u8], nth: usize, offset: usize, value: &[u8]) {
    let at = (0..zip.len() - 4)
        .filter(|&i| &zip[i..i + 4] == b"PK\x01\x02")
        .nth(nth)
        .expect("central header");
    zip[at + offset..at + offset + value.len()].copy_from_slice(value);
}

#[test]
fn encrypted_entries_are_refused() {
    let mut zip = zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", b"<x/>")]);
    // General purpose flag, bit 0 = encrypted.
    patch_central(&mut zip, 0, 8, &[0x01, 0x00]);
    let err = XdmPackage::read(zip).unwrap_err();
    assert!(matches!(err, Error::Encrypted { .. }), "{err:?}");
}

#[test]
fn a_header_that_lies_about_the_size_is_caught_on_read() {
    let metadata = br#"<SubmitObjectsRequest><RegistryObjectList><ExtrinsicObject id="Document01" mimeType="text/plain"/></RegistryObjectList></SubmitObjectsRequest>"#;
    let body = vec![b'a'; 5000];
    let mut zip = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", metadata),
        ("IHE_XDM/SUBSET01/DOCUMENT01.TXT", &body),
    ]);
    // The document's central header declares 10 bytes uncompressed (offset 24).
    patch_central(&mut zip, 1, 24, &10u32.to_le_bytes());
    let package = XdmPackage::read(zip).unwrap();
    assert_eq!(
        package.documents[0].archive_path.as_deref(),
        Some("IHE_XDM/SUBSET01/DOCUMENT01.TXT")
    );
    let err = package.document_bytes(&package.documents[0]).unwrap_err();
    // The zip crate notices first; our own bound is the second line of defence.
    assert!(
        matches!(err, Error::LyingSize { .. } | Error::Zip(_)),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[test]
fn archives_without_metadata_or_with_junk_are_refused() {
    assert!(matches!(
        XdmPackage::read(zip_of(&[("README.TXT", b"hi")])),
        Err(Error::NoMetadata)
    ));
    assert!(matches!(
        XdmPackage::read(b"not a zip".to_vec()),
        Err(Error::Zip(_))
    ));
    let laughs = br#"<!DOCTYPE x [<!ENTITY a "a">]><SubmitObjectsRequest/>"#;
    let err = XdmPackage::read(zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", laughs)])).unwrap_err();
    assert!(matches!(err, Error::Metadata { .. }), "{err:?}");
}
