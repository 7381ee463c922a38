//! XDS metadata of an XDM subset: the ebRIM 3.0 `SubmitObjectsRequest` in
//! `METADATA.XML`, read into [`SubmitObjects`] and written back from it.
//!
//! Reading is tolerant where real archives differ (namespace prefixes,
//! classifications placed at top level with `classifiedObject`, external
//! identifiers recognised by scheme or by name) and bounded by the XML
//! reader's limits. Writing produces exactly what reading expects, so a
//! write → read round trip gives back the same [`SubmitObjects`].

use crate::records::xml::{self, Element, Limits};

use super::error::Error;

// IHE ITI TF-3 §4.2.5: classification schemes and identification schemes.
pub const DOC_ENTRY_OBJECT_TYPE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
pub const DOC_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
pub const DOC_CLASS_CODE: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
pub const DOC_CONFIDENTIALITY: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
pub const DOC_FORMAT_CODE: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
pub const DOC_FACILITY_TYPE: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
pub const DOC_PRACTICE_SETTING: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
pub const DOC_TYPE_CODE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
pub const DOC_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
pub const DOC_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
pub const SET_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
pub const SET_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
pub const SET_CONTENT_TYPE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
pub const SET_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
pub const SET_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
pub const SET_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";

/// A coded metadata value (`nodeRepresentation`, `codingScheme`, name).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodedValue {
    pub code: String,
    pub scheme: Option<String>,
    pub display: Option<String>,
}

/// An XDS author (XCN person, XON institutions, roles, specialties).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XdsAuthor {
    pub person: Option<String>,
    pub institutions: Vec<String>,
    pub roles: Vec<String>,
    pub specialties: Vec<String>,
}

/// An XDS DocumentEntry (an `ExtrinsicObject`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentEntry {
    /// The ebRIM id, local to the metadata file (`Document01`).
    pub entry_id: String,
    pub unique_id: Option<String>,
    pub patient_id: Option<String>,
    pub source_patient_id: Option<String>,
    pub title: Option<String>,
    pub mime_type: Option<String>,
    /// UTC, `YYYYMMDD[hhmmss]`.
    pub creation_time: Option<String>,
    pub language: Option<String>,
    pub authors: Vec<XdsAuthor>,
    pub class_code: Option<CodedValue>,
    pub type_code: Option<CodedValue>,
    pub format_code: Option<CodedValue>,
    pub facility_type: Option<CodedValue>,
    pub practice_setting: Option<CodedValue>,
    pub confidentiality: Vec<CodedValue>,
    /// SHA-1 of the document, lower-case hex.
    pub hash: Option<String>,
    pub size: Option<u64>,
    /// File name relative to the subset folder.
    pub uri: Option<String>,
    pub legal_authenticator: Option<String>,
}

impl DocumentEntry {
    /// The DMP masking flags of its confidentiality codes (`MASQUE_PS`,
    /// `INVISIBLE_PATIENT`…), as the records backends read them.
    pub fn masking(&self) -> crate::records::backend::Masking {
        let codes: Vec<crate::records::backend::Coding> = self
            .confidentiality
            .iter()
            .map(|c| crate::records::backend::Coding {
                system: c.scheme.clone(),
                code: c.code.clone(),
                display: c.display.clone(),
            })
            .collect();
        crate::records::backend::Masking::from_codes(&codes)
    }
}

/// The XDS SubmissionSet (a `RegistryPackage`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmissionSet {
    pub entry_id: String,
    pub unique_id: Option<String>,
    pub source_id: Option<String>,
    pub patient_id: Option<String>,
    pub submission_time: Option<String>,
    pub title: Option<String>,
    pub authors: Vec<XdsAuthor>,
    pub content_type: Option<CodedValue>,
    pub intended_recipients: Vec<String>,
}

/// What one `METADATA.XML` declares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitObjects {
    pub submission_set: Option<SubmissionSet>,
    pub documents: Vec<DocumentEntry>,
}

/// Parses a `METADATA.XML`.
pub fn parse(bytes: &[u8], path: &str) -> Result<SubmitObjects, Error> {
    let root = xml::parse(bytes, &Limits::METADATA).map_err(|source| Error::Metadata {
        path: path.to_string(),
        source,
    })?;
    let list = if root.name == "RegistryObjectList" {
        &root
    } else {
        let mut found = Vec::new();
        root.descendants_named("RegistryObjectList", &mut found);
        found
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotSubmitObjects {
                reason: format!("no RegistryObjectList under <{}>", root.name),
            })?
    };
    let out = from_registry_object_list(list);
    if out.documents.is_empty() {
        return Err(Error::NotSubmitObjects {
            reason: "no document entry (ExtrinsicObject)".to_string(),
        });
    }
    Ok(out)
}

/// The document entries and submission set of a `RegistryObjectList` (from
/// an XDM `METADATA.XML` or an XDS stored-query answer); may be empty.
pub fn from_registry_object_list(list: &Element) -> SubmitObjects {
    // Classifications and identifiers may sit at top level, pointing at
    // their object: gather them per object id.
    let top_classifications: Vec<&Element> = list.children_named("Classification").collect();
    let top_identifiers: Vec<&Element> = list.children_named("ExternalIdentifier").collect();
    let for_object = |id: &str, own, name: &str, link: &str| {
        let top = if name == "Classification" {
            &top_classifications
        } else {
            &top_identifiers
        };
        related(id, own, top, name, link)
    };

    let mut out = SubmitObjects::default();
    for object in list.children_named("ExtrinsicObject") {
        let id = object.attr("id").unwrap_or_default().to_string();
        let classifications = for_object(&id, object, "Classification", "classifiedObject");
        let identifiers = for_object(&id, object, "ExternalIdentifier", "registryObject");
        out.documents
            .push(document_entry(object, id, &classifications, &identifiers));
    }
    let packages: Vec<&Element> = list.children_named("RegistryPackage").collect();
    for package in &packages {
        let id = package.attr("id").unwrap_or_default().to_string();
        let classifications = for_object(&id, package, "Classification", "classifiedObject");
        let identifiers = for_object(&id, package, "ExternalIdentifier", "registryObject");
        let is_set = classifications
            .iter()
            .any(|c| c.attr("classificationNode") == Some(SET_NODE))
            || identifiers
                .iter()
                .any(|i| i.attr("identificationScheme") == Some(SET_UNIQUE_ID))
            || packages.len() == 1;
        if is_set && out.submission_set.is_none() {
            out.submission_set = Some(submission_set(package, id, &classifications, &identifiers));
        }
    }
    out
}

/// `own`'s children named `name`, plus the top-level ones whose `link`
/// attribute points at `id`.
fn related<'a>(
    id: &str,
    own: &'a Element,
    top: &[&'a Element],
    name: &str,
    link: &str,
) -> Vec<&'a Element> {
    let mut v: Vec<&Element> = own.elements().filter(|e| e.name == name).collect();
    v.extend(top.iter().copied().filter(|c| c.attr(link) == Some(id)));
    v
}

fn slot_values(e: &Element, name: &str) -> Vec<String> {
    e.children_named("Slot")
        .filter(|s| s.attr("name") == Some(name))
        .flat_map(|s| {
            s.children_named("ValueList")
                .flat_map(|l| l.children_named("Value"))
        })
        .map(|v| v.text())
        .filter(|v| !v.is_empty())
        .collect()
}

fn slot(e: &Element, name: &str) -> Option<String> {
    slot_values(e, name).into_iter().next()
}

fn localized(e: &Element, name: &str) -> Option<String> {
    e.child(name)?
        .child("LocalizedString")?
        .attr("value")
        .map(xml::collapse_whitespace)
        .filter(|v| !v.is_empty())
}

fn coded(c: &Element) -> Option<CodedValue> {
    Some(CodedValue {
        code: c
            .attr("nodeRepresentation")
            .filter(|v| !v.is_empty())?
            .to_string(),
        scheme: slot(c, "codingScheme"),
        display: localized(c, "Name"),
    })
}

fn author(c: &Element) -> XdsAuthor {
    XdsAuthor {
        person: slot(c, "authorPerson"),
        institutions: slot_values(c, "authorInstitution"),
        roles: slot_values(c, "authorRole"),
        specialties: slot_values(c, "authorSpecialty"),
    }
}

fn by_scheme<'a, 'b>(
    items: &'b [&'a Element],
    scheme: &'b str,
) -> impl Iterator<Item = &'a Element> + 'b {
    items
        .iter()
        .copied()
        .filter(move |c| c.attr("classificationScheme") == Some(scheme))
}

fn identifier(items: &[&Element], scheme: &str, name: &str) -> Option<String> {
    items
        .iter()
        .find(|i| {
            i.attr("identificationScheme") == Some(scheme)
                || localized(i, "Name").as_deref() == Some(name)
        })
        .and_then(|i| i.attr("value"))
        .map(str::to_string)
}

fn document_entry(
    o: &Element,
    entry_id: String,
    cls: &[&Element],
    ids: &[&Element],
) -> DocumentEntry {
    let first_code = |scheme| by_scheme(cls, scheme).find_map(coded);
    DocumentEntry {
        entry_id,
        unique_id: identifier(ids, DOC_UNIQUE_ID, "XDSDocumentEntry.uniqueId"),
        patient_id: identifier(ids, DOC_PATIENT_ID, "XDSDocumentEntry.patientId"),
        source_patient_id: slot(o, "sourcePatientId"),
        title: localized(o, "Name"),
        mime_type: o.attr("mimeType").map(str::to_string),
        creation_time: slot(o, "creationTime"),
        language: slot(o, "languageCode"),
        authors: by_scheme(cls, DOC_AUTHOR).map(author).collect(),
        class_code: first_code(DOC_CLASS_CODE),
        type_code: first_code(DOC_TYPE_CODE),
        format_code: first_code(DOC_FORMAT_CODE),
        facility_type: first_code(DOC_FACILITY_TYPE),
        practice_setting: first_code(DOC_PRACTICE_SETTING),
        confidentiality: by_scheme(cls, DOC_CONFIDENTIALITY)
            .filter_map(coded)
            .collect(),
        hash: slot(o, "hash").map(|h| h.to_ascii_lowercase()),
        size: slot(o, "size").and_then(|s| s.trim().parse().ok()),
        uri: slot(o, "URI"),
        legal_authenticator: slot(o, "legalAuthenticator"),
    }
}

fn submission_set(
    p: &Element,
    entry_id: String,
    cls: &[&Element],
    ids: &[&Element],
) -> SubmissionSet {
    SubmissionSet {
        entry_id,
        unique_id: identifier(ids, SET_UNIQUE_ID, "XDSSubmissionSet.uniqueId"),
        source_id: identifier(ids, SET_SOURCE_ID, "XDSSubmissionSet.sourceId"),
        patient_id: identifier(ids, SET_PATIENT_ID, "XDSSubmissionSet.patientId"),
        submission_time: slot(p, "submissionTime"),
        title: localized(p, "Name"),
        authors: by_scheme(cls, SET_AUTHOR).map(author).collect(),
        content_type: by_scheme(cls, SET_CONTENT_TYPE).find_map(coded),
        intended_recipients: slot_values(p, "intendedRecipient"),
    }
}

// ---------------------------------------------------------------- writing

/// Escapes text for an XML attribute or element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

struct Writer {
    out: String,
    next_id: usize,
}

impl Writer {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:02}", self.next_id)
    }

    fn slot(&mut self, name: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        self.out
            .push_str(&format!("<Slot name=\"{}\"><ValueList>", escape(name)));
        for v in values {
            self.out.push_str(&format!("<Value>{}</Value>", escape(v)));
        }
        self.out.push_str("</ValueList></Slot>");
    }

    fn opt_slot(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.slot(name, std::slice::from_ref(v));
        }
    }

    fn name(&mut self, element: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.out.push_str(&format!(
                "<{element}><LocalizedString value=\"{}\"/></{element}>",
                escape(v)
            ));
        }
    }

    fn coded(&mut self, scheme: &str, object: &str, value: &Option<CodedValue>) {
        if let Some(v) = value {
            let id = self.id("cl");
            self.out.push_str(&format!(
                "<Classification id=\"{id}\" classificationScheme=\"{scheme}\" classifiedObject=\"{}\" nodeRepresentation=\"{}\">",
                escape(object),
                escape(&v.code)
            ));
            self.opt_slot("codingScheme", &v.scheme);
            self.name("Name", &v.display);
            self.out.push_str("</Classification>");
        }
    }

    fn author(&mut self, scheme: &str, object: &str, a: &XdsAuthor) {
        let id = self.id("cl");
        self.out.push_str(&format!(
            "<Classification id=\"{id}\" classificationScheme=\"{scheme}\" classifiedObject=\"{}\" nodeRepresentation=\"\">",
            escape(object)
        ));
        self.opt_slot("authorPerson", &a.person);
        self.slot("authorInstitution", &a.institutions);
        self.slot("authorRole", &a.roles);
        self.slot("authorSpecialty", &a.specialties);
        self.out.push_str("</Classification>");
    }

    fn identifier(&mut self, scheme: &str, object: &str, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            let id = self.id("ei");
            self.out.push_str(&format!(
                "<ExternalIdentifier id=\"{id}\" identificationScheme=\"{scheme}\" registryObject=\"{}\" value=\"{}\"><Name><LocalizedString value=\"{name}\"/></Name></ExternalIdentifier>",
                escape(object),
                escape(v)
            ));
        }
    }
}

/// Serialises metadata as an ebRIM 3.0 `SubmitObjectsRequest`.
pub fn to_xml(objects: &SubmitObjects) -> String {
    let mut w = Writer {
        out: String::new(),
        next_id: 0,
    };
    w.out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" ",
        "xmlns=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\"><RegistryObjectList>"
    ));
    for d in &objects.documents {
        let obj = d.entry_id.clone();
        w.out.push_str(&format!(
            "<ExtrinsicObject id=\"{}\" mimeType=\"{}\" objectType=\"{DOC_ENTRY_OBJECT_TYPE}\">",
            escape(&obj),
            escape(d.mime_type.as_deref().unwrap_or("application/octet-stream"))
        ));
        w.opt_slot("creationTime", &d.creation_time);
        w.opt_slot("languageCode", &d.language);
        w.opt_slot("sourcePatientId", &d.source_patient_id);
        w.opt_slot("legalAuthenticator", &d.legal_authenticator);
        w.opt_slot("hash", &d.hash);
        w.opt_slot("size", &d.size.map(|s| s.to_string()));
        w.opt_slot("URI", &d.uri);
        w.name("Name", &d.title);
        for a in &d.authors {
            w.author(DOC_AUTHOR, &obj, a);
        }
        w.coded(DOC_CLASS_CODE, &obj, &d.class_code);
        for c in &d.confidentiality {
            w.coded(DOC_CONFIDENTIALITY, &obj, &Some(c.clone()));
        }
        w.coded(DOC_FORMAT_CODE, &obj, &d.format_code);
        w.coded(DOC_FACILITY_TYPE, &obj, &d.facility_type);
        w.coded(DOC_PRACTICE_SETTING, &obj, &d.practice_setting);
        w.coded(DOC_TYPE_CODE, &obj, &d.type_code);
        w.identifier(
            DOC_PATIENT_ID,
            &obj,
            "XDSDocumentEntry.patientId",
            &d.patient_id,
        );
        w.identifier(
            DOC_UNIQUE_ID,
            &obj,
            "XDSDocumentEntry.uniqueId",
            &d.unique_id,
        );
        w.out.push_str("</ExtrinsicObject>");
    }
    if let Some(s) = &objects.submission_set {
        let obj = s.entry_id.clone();
        w.out
            .push_str(&format!("<RegistryPackage id=\"{}\">", escape(&obj)));
        w.opt_slot("submissionTime", &s.submission_time);
        w.slot("intendedRecipient", &s.intended_recipients);
        w.name("Name", &s.title);
        for a in &s.authors {
            w.author(SET_AUTHOR, &obj, a);
        }
        w.coded(SET_CONTENT_TYPE, &obj, &s.content_type);
        w.identifier(
            SET_UNIQUE_ID,
            &obj,
            "XDSSubmissionSet.uniqueId",
            &s.unique_id,
        );
        w.identifier(
            SET_SOURCE_ID,
            &obj,
            "XDSSubmissionSet.sourceId",
            &s.source_id,
        );
        w.identifier(
            SET_PATIENT_ID,
            &obj,
            "XDSSubmissionSet.patientId",
            &s.patient_id,
        );
        w.out.push_str("</RegistryPackage>");
        let id = w.id("cl");
        w.out.push_str(&format!(
            "<Classification id=\"{id}\" classifiedObject=\"{}\" classificationNode=\"{SET_NODE}\"/>",
            escape(&obj)
        ));
        for d in &objects.documents {
            let id = w.id("as");
            w.out.push_str(&format!(
                "<Association id=\"{id}\" associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" sourceObject=\"{}\" targetObject=\"{}\">",
                escape(&obj),
                escape(&d.entry_id)
            ));
            w.slot("SubmissionSetStatus", &["Original".to_string()]);
            w.out.push_str("</Association>");
        }
    }
    w.out
        .push_str("</RegistryObjectList></lcm:SubmitObjectsRequest>\n");
    w.out
}
