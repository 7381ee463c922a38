//! The records backend contract: find a patient's documents with filters,
//! fetch a document's bytes. Implemented over IHE MHD (FHIR R4) in
//! [`super::mhd`]; an XDS.b backend would implement the same trait.
//!
//! Invariants: every list returned to a caller has gone through
//! [`visible_to_professional`]: documents masked to professionals
//! (`MASQUE_PS`) never appear, whatever the purpose of use, and documents
//! invisible to the patient (`INVISIBLE_PATIENT`) carry a flag so that they
//! are never handed to the patient. An emergency (break-glass) access is a
//! typed, deliberate value in the query, never a default.

use std::future::Future;

use super::Error;
use super::ins::Ins;

/// DMP confidentiality codes (coding scheme `1.2.250.1.213.1.1.4.13`).
pub const MASQUE_PS: &str = "MASQUE_PS";
pub const INVISIBLE_PATIENT: &str = "INVISIBLE_PATIENT";
pub const INVISIBLE_REP_LEGAUX: &str = "INVISIBLE_REP_LEGAUX";
pub const DMP_CONFIDENTIALITY_OID: &str = "1.2.250.1.213.1.1.4.13";

/// A code with its system.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Coding {
    pub system: Option<String>,
    pub code: String,
    pub display: Option<String>,
}

/// Whose patient: by INS (searched through `patient.identifier`) or by a
/// server reference (`Patient/123`) already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientSelector {
    Ins(Ins),
    Reference { reference: String },
}

/// Why an emergency access is needed; logged by the caller's audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyKind {
    /// The patient's life or health is at immediate risk.
    VitalRisk,
    /// The patient cannot express consent (unconscious, confused).
    PatientUnableToConsent,
    /// Emergency medical regulation (SAMU centre 15).
    MedicalRegulation,
}

/// A break-glass justification: a kind and a non-empty free text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyReason {
    kind: EmergencyKind,
    justification: String,
}

impl EmergencyReason {
    pub fn new(kind: EmergencyKind, justification: &str) -> Result<EmergencyReason, Error> {
        let justification = justification.trim();
        if justification.chars().count() < 10 {
            return Err(Error::Invalid {
                reason:
                    "an emergency access needs a written justification of at least 10 characters"
                        .to_string(),
            });
        }
        Ok(EmergencyReason {
            kind,
            justification: justification.to_string(),
        })
    }

    pub fn kind(&self) -> EmergencyKind {
        self.kind
    }

    pub fn justification(&self) -> &str {
        &self.justification
    }
}

/// The purpose of use declared with a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PurposeOfUse {
    #[default]
    Normal,
    /// Break-glass. Sent to the server by the transport that supports it (the
    /// VIHF `PurposeOfUse` for XDS.b, the IUA token for MHD); it never
    /// unmasks documents the patient hid from professionals.
    Emergency { reason: EmergencyReason },
}

/// A document search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentQuery {
    pub patient: PatientSelector,
    /// Type codes (LOINC); empty means any type.
    pub type_codes: Vec<String>,
    /// Inclusive date range on the document date.
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    /// Also list replaced (superseded) versions.
    pub include_superseded: bool,
    pub purpose: PurposeOfUse,
}

impl DocumentQuery {
    pub fn for_patient(patient: PatientSelector) -> DocumentQuery {
        DocumentQuery {
            patient,
            type_codes: Vec::new(),
            from: None,
            to: None,
            include_superseded: false,
            purpose: PurposeOfUse::Normal,
        }
    }
}

/// Availability of a document entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocumentStatus {
    Current,
    Superseded,
    EnteredInError,
    Unknown,
}

/// The masking flags derived from the confidentiality codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Masking {
    pub hidden_from_professionals: bool,
    pub invisible_to_patient: bool,
    pub invisible_to_legal_representatives: bool,
}

impl Masking {
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a Coding>) -> Masking {
        let mut m = Masking::default();
        for c in codes {
            match c.code.as_str() {
                MASQUE_PS => m.hidden_from_professionals = true,
                INVISIBLE_PATIENT => m.invisible_to_patient = true,
                INVISIBLE_REP_LEGAUX => m.invisible_to_legal_representatives = true,
                _ => {}
            }
        }
        m
    }
}

/// A document as listed by a backend.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DocumentEntry {
    /// The backend's handle for the document (FHIR id, XDS entryUUID).
    pub id: String,
    pub unique_id: Option<String>,
    pub title: Option<String>,
    /// ISO 8601 date-time of the document.
    pub date: Option<String>,
    pub type_code: Option<Coding>,
    pub class_code: Option<Coding>,
    pub authors: Vec<String>,
    pub facility: Option<String>,
    pub status: Option<DocumentStatus>,
    pub confidentiality: Vec<Coding>,
    pub masking: Masking,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    /// SHA-1 of the content, raw bytes.
    pub sha1: Option<Vec<u8>>,
    /// Where the content is (FHIR attachment URL); `None` when inline.
    pub content_url: Option<String>,
    /// The XDS repository holding the document (`repositoryUniqueId`), for TD3.2.
    #[serde(default)]
    pub repository_id: Option<String>,
}

impl DocumentEntry {
    /// False for a document the patient must not see yet (e.g. before the
    /// announcement consultation): never forward it to the patient.
    pub fn shareable_with_patient(&self) -> bool {
        !self.masking.invisible_to_patient
    }
}

/// A source of patient documents.
pub trait RecordsBackend {
    /// Documents of a patient, filtered for a professional and newest first.
    fn find_documents(
        &self,
        query: &DocumentQuery,
    ) -> impl Future<Output = Result<Vec<DocumentEntry>, Error>> + Send;

    /// The document's bytes, checked against the entry's size and hash.
    fn fetch_document(
        &self,
        entry: &DocumentEntry,
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;
}

/// What a professional may see of a list: masked documents go, whatever the
/// purpose; entries entered in error go; the rest is sorted newest first.
pub fn visible_to_professional(
    entries: Vec<DocumentEntry>,
    _purpose: &PurposeOfUse,
) -> Vec<DocumentEntry> {
    // The purpose is deliberately not consulted: the patient's masking holds
    // even under break-glass (the CNIL criticised the opposite in the DMP
    // experiment); the server alone decides what an emergency access opens.
    let mut out: Vec<DocumentEntry> = entries
        .into_iter()
        .filter(|e| !e.masking.hidden_from_professionals)
        .filter(|e| e.status != Some(DocumentStatus::EnteredInError))
        .collect();
    out.sort_by(|a, b| b.date.cmp(&a.date));
    out
}

/// Checks fetched bytes against the entry's size and SHA-1.
pub fn verify_content(entry: &DocumentEntry, bytes: &[u8]) -> Result<(), Error> {
    if entry.size.is_some_and(|size| size != bytes.len() as u64) {
        return Err(Error::Integrity { what: "size" });
    }
    if let Some(expected) = &entry.sha1 {
        let actual = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
        if actual.as_ref() != expected.as_slice() {
            return Err(Error::Integrity { what: "SHA-1 hash" });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, date: &str, codes: &[&str]) -> DocumentEntry {
        let confidentiality: Vec<Coding> = codes
            .iter()
            .map(|c| Coding {
                system: Some(DMP_CONFIDENTIALITY_OID.to_string()),
                code: c.to_string(),
                display: None,
            })
            .collect();
        DocumentEntry {
            id: id.to_string(),
            date: Some(date.to_string()),
            masking: Masking::from_codes(&confidentiality),
            confidentiality,
            ..DocumentEntry::default()
        }
    }

    #[test]
    fn masked_documents_stay_hidden_even_in_an_emergency() {
        let entries = vec![
            entry("a", "2024-01-01", &["N"]),
            entry("masked", "2024-06-01", &[MASQUE_PS]),
            entry("b", "2024-03-01", &[INVISIBLE_PATIENT]),
        ];
        let normal = visible_to_professional(entries.clone(), &PurposeOfUse::Normal);
        assert_eq!(
            normal.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            vec!["b", "a"]
        );
        assert!(!normal[0].shareable_with_patient());
        assert!(normal[1].shareable_with_patient());

        let reason = EmergencyReason::new(
            EmergencyKind::PatientUnableToConsent,
            "patient inconscient aux urgences",
        )
        .unwrap();
        let emergency = visible_to_professional(entries, &PurposeOfUse::Emergency { reason });
        assert!(emergency.iter().all(|e| e.id != "masked"));
    }

    #[test]
    fn an_emergency_needs_a_justification() {
        assert!(EmergencyReason::new(EmergencyKind::VitalRisk, "  urgent ").is_err());
        let r =
            EmergencyReason::new(EmergencyKind::VitalRisk, "arrêt cardio-respiratoire").unwrap();
        assert_eq!(r.kind(), EmergencyKind::VitalRisk);
    }

    #[test]
    fn content_is_verified() {
        let bytes = b"hello";
        let mut e = DocumentEntry {
            size: Some(5),
            ..DocumentEntry::default()
        };
        e.sha1 = Some(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
                .as_ref()
                .to_vec(),
        );
        assert!(verify_content(&e, bytes).is_ok());
        assert!(matches!(
            verify_content(&e, b"hellO"),
            Err(Error::Integrity { what: "SHA-1 hash" })
        ));
        assert!(matches!(
            verify_content(&e, b"hello!"),
            Err(Error::Integrity { what: "size" })
        ));
    }
}
