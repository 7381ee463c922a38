//! TD3.1: the ITI-18 Registry Stored Query FindDocuments for a patient's
//! INS, and its answer read into [`DocumentEntry`]s (masking from the
//! confidentiality codes, repository id kept for TD3.2).

use super::c14n::XmlNode;
use crate::mail::xdm::metadata::{self, CodedValue};
use crate::records::Error;
use crate::records::backend::{Coding, DocumentEntry, DocumentQuery, DocumentStatus, Masking};
use crate::records::ins::Ins;
use crate::records::xml::Element;

pub const ACTION: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
pub const RESPONSE_ACTION: &str = "urn:ihe:iti:2007:RegistryStoredQueryResponse";
pub const FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
pub const QUERY_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
pub const RIM_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
pub const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
pub const DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
const LOINC: &str = "2.16.840.1.113883.6.1";

/// The XDS patient id of an INS: `<INS>^^^&<OID>&ISO^NH`.
pub fn patient_id(ins: &Ins) -> String {
    format!("{}^^^&{}&ISO^NH", ins.number().as_str(), ins.oid().as_str())
}

fn slot(name: &str, value: &str) -> XmlNode {
    XmlNode::new("rim:Slot")
        .attr("name", name)
        .child(XmlNode::new("rim:ValueList").child(XmlNode::new("rim:Value").text(value)))
}

/// `YYYYMMDD` for the creation time bounds.
fn day(date: time::Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The AdhocQueryRequest body (FindDocuments, LeafClass).
pub fn request(ins: &Ins, query: &DocumentQuery) -> XmlNode {
    let mut statuses = vec![format!("'{APPROVED}'")];
    if query.include_superseded {
        statuses.push(format!("'{DEPRECATED}'"));
    }
    let mut slots = vec![
        slot(
            "$XDSDocumentEntryPatientId",
            &format!("'{}'", patient_id(ins)),
        ),
        slot(
            "$XDSDocumentEntryStatus",
            &format!("({})", statuses.join(",")),
        ),
    ];
    if !query.type_codes.is_empty() {
        let codes: Vec<String> = query
            .type_codes
            .iter()
            .map(|c| format!("'{c}^^{LOINC}'"))
            .collect();
        slots.push(slot(
            "$XDSDocumentEntryTypeCode",
            &format!("({})", codes.join(",")),
        ));
    }
    if let Some(from) = query.from {
        slots.push(slot("$XDSDocumentEntryCreationTimeFrom", &day(from)));
    }
    if let Some(to) = query.to.and_then(|d| d.next_day()) {
        // The bound is exclusive in XDS; the query's is inclusive.
        slots.push(slot("$XDSDocumentEntryCreationTimeTo", &day(to)));
    }
    XmlNode::new("query:AdhocQueryRequest")
        .ns("query", QUERY_NS)
        .ns("rim", RIM_NS)
        .child(
            XmlNode::new("query:ResponseOption")
                .attr("returnComposedObjects", "true")
                .attr("returnType", "LeafClass"),
        )
        .child(
            XmlNode::new("rim:AdhocQuery")
                .attr("id", FIND_DOCUMENTS)
                .children(slots),
        )
}

/// The document entries of an AdhocQueryResponse (already status-checked).
pub fn entries(response: &Element) -> Result<Vec<DocumentEntry>, Error> {
    if response.name != "AdhocQueryResponse" {
        return Err(Error::Protocol {
            reason: format!("expected an AdhocQueryResponse, got <{}>", response.name),
        });
    }
    let Some(list) = response.child("RegistryObjectList") else {
        return Ok(Vec::new());
    };
    let objects = metadata::from_registry_object_list(list);
    let extrinsic: Vec<&Element> = list.children_named("ExtrinsicObject").collect();
    Ok(objects
        .documents
        .into_iter()
        .map(|d| {
            let object = extrinsic
                .iter()
                .find(|o| o.attr("id") == Some(d.entry_id.as_str()));
            let status = object.and_then(|o| o.attr("status")).map(|s| {
                if s.ends_with(":Approved") {
                    DocumentStatus::Current
                } else if s.ends_with(":Deprecated") {
                    DocumentStatus::Superseded
                } else {
                    DocumentStatus::Unknown
                }
            });
            let repository_id = object.and_then(|o| slot_value(o, "repositoryUniqueId"));
            entry(d, status, repository_id)
        })
        .collect())
}

fn slot_value(e: &Element, name: &str) -> Option<String> {
    e.children_named("Slot")
        .find(|s| s.attr("name") == Some(name))?
        .path(&["ValueList", "Value"])
        .map(Element::text)
        .filter(|v| !v.is_empty())
}

fn coding(c: CodedValue) -> Coding {
    Coding {
        system: c.scheme,
        code: c.code,
        display: c.display,
    }
}

/// `YYYYMMDD[hhmm[ss]]` (UTC) as ISO 8601, so lists sort like MHD's.
pub fn iso_time(dtm: &str) -> String {
    let d = dtm.trim();
    if d.len() < 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return d.to_string();
    }
    let mut out = format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]);
    if d.len() >= 12 {
        let seconds = if d.len() >= 14 { &d[12..14] } else { "00" };
        out.push_str(&format!("T{}:{}:{seconds}Z", &d[8..10], &d[10..12]));
    }
    out
}

/// A readable name from an XCN (`id^FAMILY^Given^…`) or XON (`Name^…`).
fn person(xcn: &str) -> String {
    let parts: Vec<&str> = xcn.split('^').collect();
    let family = parts.get(1).copied().unwrap_or("");
    let given = parts.get(2).copied().unwrap_or("");
    let name = format!("{family} {given}");
    let name = name.trim();
    let text = if name.is_empty() {
        parts.first().copied().unwrap_or("")
    } else {
        name
    };
    crate::domain::text::terminal_safe(text)
}

fn entry(
    d: metadata::DocumentEntry,
    status: Option<DocumentStatus>,
    repository_id: Option<String>,
) -> DocumentEntry {
    let confidentiality: Vec<Coding> = d.confidentiality.into_iter().map(coding).collect();
    let facility = d
        .authors
        .iter()
        .flat_map(|a| a.institutions.iter())
        .map(|i| crate::domain::text::terminal_safe(i.split('^').next().unwrap_or("")))
        .find(|i| !i.is_empty());
    DocumentEntry {
        id: d.entry_id,
        unique_id: d.unique_id,
        title: d.title.map(|t| crate::domain::text::terminal_safe(&t)),
        date: d.creation_time.as_deref().map(iso_time),
        type_code: d.type_code.map(coding),
        class_code: d.class_code.map(coding),
        authors: d
            .authors
            .iter()
            .filter_map(|a| a.person.as_deref().map(person))
            .filter(|p| !p.is_empty())
            .collect(),
        facility,
        status,
        masking: Masking::from_codes(&confidentiality),
        confidentiality,
        mime_type: d.mime_type,
        size: d.size,
        sha1: d.hash.and_then(|h| hex::decode(h).ok()),
        content_url: None,
        repository_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::backend::PatientSelector;
    use crate::records::ins::{InsOid, InsPolicy};
    use crate::records::xds::c14n::canonical;

    #[test]
    fn the_request_names_the_patient_and_the_statuses() {
        let ins = Ins::parse("279035121518989", InsOid::NIR, InsPolicy::default()).unwrap();
        let mut q = DocumentQuery::for_patient(PatientSelector::Ins(ins.clone()));
        q.type_codes = vec!["11502-2".into()];
        q.from = Some(time::macros::date!(2024 - 01 - 01));
        q.to = Some(time::macros::date!(2024 - 12 - 31));
        let xml = canonical(&request(&ins, &q));
        for needle in [
            "id=\"urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d\"",
            "<rim:Value>'279035121518989^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH'</rim:Value>",
            "<rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value>",
            "<rim:Value>('11502-2^^2.16.840.1.113883.6.1')</rim:Value>",
            "name=\"$XDSDocumentEntryCreationTimeFrom\"><rim:ValueList><rim:Value>20240101<",
            "name=\"$XDSDocumentEntryCreationTimeTo\"><rim:ValueList><rim:Value>20250101<",
            "returnType=\"LeafClass\"",
        ] {
            assert!(xml.contains(needle), "{needle} missing in {xml}");
        }
    }

    #[test]
    fn times_and_names_read_well() {
        assert_eq!(iso_time("20240315"), "2024-03-15");
        assert_eq!(iso_time("202403151230"), "2024-03-15T12:30:00Z");
        assert_eq!(iso_time("20240315123045"), "2024-03-15T12:30:45Z");
        assert_eq!(iso_time("garbage"), "garbage");
        assert_eq!(
            person("810100000017^MARTIN^Alice^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"),
            "MARTIN Alice"
        );
        assert_eq!(person("810100000017"), "810100000017");
    }
}
