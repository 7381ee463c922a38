//! Writing an `IHE_XDM.ZIP` for MSSanté: `README.TXT`, `INDEX.HTM`,
//! `IHE_XDM/SUBSET01/METADATA.XML` and the documents, all built in memory.
//!
//! The document entry of a CDA comes from its header (INS patient id, type
//! code, title, authors, confidentiality, creation time in UTC); its hash
//! (SHA-1) and size are always computed from the bytes that go in the zip,
//! so the archive verifies by construction.

use std::io::{Cursor, Write};

use time::OffsetDateTime;
use zip::write::SimpleFileOptions;

use crate::records::cda::{self, CdaDocument};
use crate::records::ins::InsPolicy;

use super::error::Error;
use super::metadata::{self, CodedValue, DocumentEntry, SubmissionSet, SubmitObjects, XdsAuthor};
use super::package::sha1_hex;

/// `formatCode` when nothing more specific is known (IHE, mime type sufficient).
pub const MIME_TYPE_SUFFICIENT: &str = "urn:ihe:iti:xds:2017:mimeTypeSufficient";
pub const IHE_FORMAT_SCHEME: &str = "1.3.6.1.4.1.19376.1.2.3";

/// What the sender says about the submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOptions {
    /// OID of the sending system (`XDSSubmissionSet.sourceId`).
    pub source_id: String,
    pub author: Option<XdsAuthor>,
    pub content_type: Option<CodedValue>,
    pub intended_recipients: Vec<String>,
    pub title: Option<String>,
    pub ins_policy: InsPolicy,
}

/// The archive and the metadata written in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedXdm {
    pub zip: Vec<u8>,
    pub metadata: SubmitObjects,
}

/// Packages one CDA document.
pub fn package_cda(cda_bytes: Vec<u8>, options: &PackageOptions) -> Result<PackagedXdm, Error> {
    let doc = cda::parse(&cda_bytes).map_err(Error::Cda)?;
    let entry = cda_entry(&doc, options.ins_policy)?;
    package(vec![(entry, cda_bytes)], options)
}

/// Packages a PDF with metadata given by the caller (patient id, type…).
pub fn package_pdf(
    pdf: Vec<u8>,
    mut entry: DocumentEntry,
    options: &PackageOptions,
) -> Result<PackagedXdm, Error> {
    if !pdf.starts_with(b"%PDF") {
        return Err(Error::Unpackable {
            reason: "the file is not a PDF".to_string(),
        });
    }
    entry.mime_type = Some("application/pdf".to_string());
    package(vec![(entry, pdf)], options)
}

/// The document entry a CDA header describes. The patient id is the INS
/// when there is one (refused if invalid under `policy`), else the first
/// patient identifier.
pub fn cda_entry(doc: &CdaDocument, policy: InsPolicy) -> Result<DocumentEntry, Error> {
    let h = &doc.header;
    let patient_id = match h.patient.ins(policy).map_err(|e| Error::Cda(e.into()))? {
        Some(ins) => ins.to_cx(),
        None => {
            let id = h.patient.ids.first().ok_or_else(|| Error::Unpackable {
                reason: "the CDA header has no patient identifier".to_string(),
            })?;
            format!(
                "{}^^^&{}&ISO",
                id.extension.as_deref().unwrap_or_default(),
                id.root
            )
        }
    };
    let unique_id =
        h.id.as_ref()
            .map(|id| id.to_xds())
            .ok_or_else(|| Error::Unpackable {
                reason: "the CDA header has no document id".to_string(),
            })?;
    let authors = h
        .authors
        .iter()
        .map(|a| XdsAuthor {
            person: a.id.as_ref().map(|id| {
                format!(
                    "{}^{}^{}^^^^^^&{}&ISO",
                    id.extension.as_deref().unwrap_or_default(),
                    a.name.family.as_deref().unwrap_or_default(),
                    a.name.given.first().map(String::as_str).unwrap_or_default(),
                    id.root
                )
            }),
            institutions: a.organization.iter().cloned().collect(),
            roles: Vec::new(),
            specialties: a.specialty.iter().map(|c| c.code.clone()).collect(),
        })
        .collect();
    Ok(DocumentEntry {
        unique_id: Some(unique_id),
        patient_id: Some(patient_id),
        title: h.title.clone(),
        mime_type: Some("text/xml".to_string()),
        creation_time: h.effective_time.as_deref().and_then(hl7_to_utc),
        language: h.language.clone(),
        authors,
        type_code: h.code.as_ref().map(|c| CodedValue {
            code: c.code.clone(),
            scheme: c.system.clone(),
            display: c.display.clone(),
        }),
        format_code: Some(CodedValue {
            code: MIME_TYPE_SUFFICIENT.to_string(),
            scheme: Some(IHE_FORMAT_SCHEME.to_string()),
            display: None,
        }),
        confidentiality: h
            .confidentiality
            .iter()
            .map(|c| CodedValue {
                code: c.code.clone(),
                scheme: c.system.clone(),
                display: c.display.clone(),
            })
            .collect(),
        ..DocumentEntry::default()
    })
}

/// Packages documents with their entries; ids, file names, hash, size and
/// the submission set are filled in here.
pub fn package(
    documents: Vec<(DocumentEntry, Vec<u8>)>,
    options: &PackageOptions,
) -> Result<PackagedXdm, Error> {
    if documents.is_empty() {
        return Err(Error::Unpackable {
            reason: "no document to package".to_string(),
        });
    }
    let now = OffsetDateTime::now_utc();
    let mut metadata = SubmitObjects::default();
    let mut files = Vec::new();
    for (n, (mut entry, bytes)) in documents.into_iter().enumerate() {
        let extension = match entry.mime_type.as_deref() {
            Some("application/pdf") => "PDF",
            Some("text/plain") => "TXT",
            _ => "XML",
        };
        let file_name = format!("DOC{:04}.{extension}", n + 1);
        entry.entry_id = format!("Document{:02}", n + 1);
        entry.hash = Some(sha1_hex(&bytes));
        entry.size = Some(bytes.len() as u64);
        entry.uri = Some(file_name.clone());
        if entry.unique_id.is_none() {
            entry.unique_id = Some(random_oid()?);
        }
        metadata.documents.push(entry);
        files.push((file_name, bytes));
    }
    let first = &metadata.documents[0];
    metadata.submission_set = Some(SubmissionSet {
        entry_id: "SubmissionSet01".to_string(),
        unique_id: Some(random_oid()?),
        source_id: Some(options.source_id.clone()),
        patient_id: first.patient_id.clone(),
        submission_time: Some(utc_ts(now)),
        title: options.title.clone(),
        authors: options.author.iter().cloned().collect(),
        content_type: options.content_type.clone(),
        intended_recipients: options.intended_recipients.clone(),
    });

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflate = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, data: &[u8]| -> Result<(), Error> {
        zip.start_file(name, deflate).map_err(Error::Write)?;
        zip.write_all(data).map_err(|e| Error::Write(e.into()))
    };
    add("README.TXT", readme(&metadata, options).as_bytes())?;
    add("INDEX.HTM", index(&metadata).as_bytes())?;
    add(
        "IHE_XDM/SUBSET01/METADATA.XML",
        metadata::to_xml(&metadata).as_bytes(),
    )?;
    for (name, bytes) in &files {
        add(&format!("IHE_XDM/SUBSET01/{name}"), bytes)?;
    }
    let zip = zip.finish().map_err(Error::Write)?.into_inner();
    Ok(PackagedXdm { zip, metadata })
}

fn readme(m: &SubmitObjects, options: &PackageOptions) -> String {
    let mut s = String::from("IHE XDM archive (IHE ITI TF-1 XDM, MSSanté)\r\n\r\n");
    s.push_str(&format!("Sending system: {}\r\n", options.source_id));
    s.push_str(&format!(
        "Application: Cachet {}\r\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str(&format!("Documents: {}\r\n", m.documents.len()));
    s.push_str("Metadata: IHE_XDM/SUBSET01/METADATA.XML\r\n");
    s
}

fn index(m: &SubmitObjects) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>IHE XDM</title></head><body>\r\n<h1>IHE XDM</h1><ul>\r\n",
    );
    for d in &m.documents {
        let uri = d.uri.as_deref().unwrap_or_default();
        let title = d.title.as_deref().unwrap_or(uri);
        s.push_str(&format!(
            "<li><a href=\"IHE_XDM/SUBSET01/{}\">{}</a></li>\r\n",
            metadata::escape(uri),
            metadata::escape(title)
        ));
    }
    s.push_str("</ul></body></html>\r\n");
    s
}

/// A fresh OID under `2.25` (ITU-T X.667: a UUID as an integer).
fn random_oid() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Unpackable {
        reason: format!("no randomness: {e}"),
    })?;
    Ok(format!("2.25.{}", u128::from_be_bytes(bytes)))
}

fn utc_ts(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Converts an HL7 TS with an offset to the UTC form XDS wants;
/// a TS without offset (or just a date) is kept as written.
pub fn hl7_to_utc(ts: &str) -> Option<String> {
    let digits: String = ts.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 {
        return None;
    }
    let digits = digits.get(..digits.len().min(14))?.to_string();
    let rest = &ts[ts
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count()..];
    if digits.len() < 12 || rest.len() != 5 {
        return Some(digits);
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u32>().ok());
    let sign: i32 = if rest.starts_with('-') { -1 } else { 1 };
    let off_h: i32 = rest.get(1..3)?.parse().ok()?;
    let off_m: i32 = rest.get(3..5)?.parse().ok()?;
    let offset = time::UtcOffset::from_hms(
        i8::try_from(sign * off_h).ok()?,
        i8::try_from(sign * off_m).ok()?,
        0,
    )
    .ok()?;
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        month,
        u8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(10..12)?).ok()?,
        u8::try_from(num(12..14).unwrap_or(0)).ok()?,
    )
    .ok()?;
    Some(utc_ts(
        time::PrimitiveDateTime::new(date, clock)
            .assume_offset(offset)
            .to_offset(time::UtcOffset::UTC),
    ))
}
