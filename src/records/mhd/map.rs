//! Maps FHIR R4 `DocumentReference` JSON (IHE MHD, ANS PDSm) to the
//! backend's [`DocumentEntry`]. Tolerant: a missing or odd field becomes
//! `None`; only a resource without an id is rejected.

use base64::Engine;
use serde_json::Value;

use crate::records::backend::{Coding, DocumentEntry, DocumentStatus, Masking};

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn coding(v: &Value) -> Option<Coding> {
    Some(Coding {
        system: text(v, "system"),
        code: text(v, "code")?,
        display: text(v, "display"),
    })
}

/// The first coding of a CodeableConcept (display falls back to `text`).
fn concept(v: &Value) -> Option<Coding> {
    let mut c = v.get("coding")?.as_array()?.iter().find_map(coding)?;
    if c.display.is_none() {
        c.display = text(v, "text");
    }
    Some(c)
}

fn reference_label(r: &Value) -> Option<String> {
    text(r, "display").or_else(|| text(r, "reference"))
}

/// A DocumentReference as an entry; `None` when it has no id.
pub fn document_entry(resource: &Value) -> Option<DocumentEntry> {
    if resource.get("resourceType").and_then(Value::as_str) != Some("DocumentReference") {
        return None;
    }
    let id = text(resource, "id")?;
    let attachment = resource
        .get("content")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(|c| c.get("attachment"))
        .cloned()
        .unwrap_or(Value::Null);
    let confidentiality: Vec<Coding> = resource
        .get("securityLabel")
        .and_then(Value::as_array)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|l| l.get("coding").and_then(Value::as_array))
                .flatten()
                .filter_map(coding)
                .collect()
        })
        .unwrap_or_default();
    let status = text(resource, "status").map(|s| match s.as_str() {
        "current" => DocumentStatus::Current,
        "superseded" => DocumentStatus::Superseded,
        "entered-in-error" => DocumentStatus::EnteredInError,
        _ => DocumentStatus::Unknown,
    });
    let facility = resource
        .get("custodian")
        .and_then(reference_label)
        .or_else(|| {
            resource
                .pointer("/context/facilityType")
                .and_then(concept)
                .and_then(|c| c.display.or(Some(c.code)))
        });
    Some(DocumentEntry {
        id,
        unique_id: resource
            .get("masterIdentifier")
            .and_then(|m| text(m, "value")),
        title: text(resource, "description").or_else(|| text(&attachment, "title")),
        date: text(resource, "date").or_else(|| text(&attachment, "creation")),
        type_code: resource.get("type").and_then(concept),
        class_code: resource
            .get("category")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .and_then(concept),
        authors: resource
            .get("author")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(reference_label).collect())
            .unwrap_or_default(),
        facility,
        status,
        masking: Masking::from_codes(&confidentiality),
        confidentiality,
        mime_type: text(&attachment, "contentType"),
        size: attachment.get("size").and_then(Value::as_u64),
        sha1: text(&attachment, "hash")
            .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok()),
        content_url: text(&attachment, "url"),
        repository_id: None,
    })
}

/// Inline attachment data of a DocumentReference, when present.
pub fn inline_data(resource: &Value) -> Option<Vec<u8>> {
    let data = resource.pointer("/content/0/attachment/data")?.as_str()?;
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_a_pdsm_like_reference() {
        let r = json!({
            "resourceType": "DocumentReference", "id": "d1", "status": "current",
            "masterIdentifier": {"value": "urn:oid:1.2.3"},
            "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "CR de biologie"}]},
            "category": [{"coding": [{"code": "10", "display": "Compte-rendu"}]}],
            "date": "2024-03-15T10:00:00+01:00",
            "author": [{"display": "Dr Alice MARTIN"}, {"reference": "Practitioner/p1"}],
            "custodian": {"display": "Laboratoire Exemple"},
            "securityLabel": [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13", "code": "INVISIBLE_PATIENT"}]}],
            "content": [{"attachment": {"contentType": "text/xml", "url": "Binary/b1", "size": 12, "hash": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}]
        });
        let e = document_entry(&r).unwrap();
        assert_eq!(e.id, "d1");
        assert_eq!(e.type_code.unwrap().code, "11502-2");
        assert_eq!(
            e.class_code.unwrap().display.as_deref(),
            Some("Compte-rendu")
        );
        assert_eq!(e.authors, vec!["Dr Alice MARTIN", "Practitioner/p1"]);
        assert_eq!(e.facility.as_deref(), Some("Laboratoire Exemple"));
        assert_eq!(e.status, Some(DocumentStatus::Current));
        assert!(e.masking.invisible_to_patient && !e.masking.hidden_from_professionals);
        assert_eq!(e.sha1.unwrap().len(), 20);
        assert_eq!(e.content_url.as_deref(), Some("Binary/b1"));
        assert!(document_entry(&json!({"resourceType": "Patient", "id": "x"})).is_none());
        assert!(document_entry(&json!({"resourceType": "DocumentReference"})).is_none());
    }
}
