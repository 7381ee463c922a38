//! The CDA R2 document model: what the header says about the document and
//! the patient, and the body as sections of narrative (level 3) or as an
//! embedded file (level 1). Plain data, built by `header.rs`/`narrative.rs`
//! and rendered by `render.rs`.

use base64::Engine;

use crate::domain::text::Emphasis;
use crate::records::ins::{IdentityTraits, Ins, InsError, InsOid, InsPolicy};

/// An HL7 instance identifier (`root` OID, optional `extension`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstanceId {
    pub root: String,
    pub extension: Option<String>,
}

impl InstanceId {
    /// `root^extension` as XDS writes a uniqueId, or the root alone.
    pub fn to_xds(&self) -> String {
        match &self.extension {
            Some(ext) => format!("{}^{}", self.root, ext),
            None => self.root.clone(),
        }
    }
}

/// A coded value (`code`, `codeSystem`, `displayName`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Code {
    pub code: String,
    pub system: Option<String>,
    pub display: Option<String>,
}

/// A person's name as written in the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonName {
    pub prefix: Option<String>,
    /// Birth family name (qualifier BR) or the only family name given.
    pub family: Option<String>,
    /// Used family name (qualifier SP or CL) when it differs.
    pub used_family: Option<String>,
    pub given: Vec<String>,
    /// Used first name (qualifier CL), shown in preference to the birth ones.
    pub used_given: Option<String>,
}

impl PersonName {
    /// "Prefix Given FAMILY" for display.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = &self.prefix {
            parts.push(p.clone());
        }
        if let Some(g) = self.used_given.as_ref().or(self.given.first()) {
            parts.push(g.clone());
        }
        match (&self.used_family, &self.family) {
            (Some(used), Some(birth)) if used != birth => {
                parts.push(format!(
                    "{} (nom de naissance {})",
                    used.to_uppercase(),
                    birth.to_uppercase()
                ));
            }
            (_, Some(f)) | (Some(f), None) => parts.push(f.to_uppercase()),
            (None, None) => {}
        }
        parts.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.family.is_none() && self.used_family.is_none() && self.given.is_empty()
    }
}

/// The patient of `recordTarget/patientRole`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patient {
    pub ids: Vec<InstanceId>,
    pub name: PersonName,
    pub traits: IdentityTraits,
}

impl Patient {
    /// The patient's INS, when one of the ids is qualified by an INS OID.
    /// A test OID outside a test profile is an error, not a silent `None`.
    pub fn ins(&self, policy: InsPolicy) -> Result<Option<Ins>, InsError> {
        for id in &self.ids {
            if InsOid::from_oid(&id.root).is_some() {
                let number = id.extension.as_deref().unwrap_or_default();
                return Ins::parse(number, &id.root, policy).map(Some);
            }
        }
        Ok(None)
    }
}

/// An author: a person and/or device, with the organisation they act for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Author {
    pub time: Option<String>,
    pub id: Option<InstanceId>,
    pub name: PersonName,
    pub specialty: Option<Code>,
    pub device: Option<String>,
    pub organization: Option<String>,
}

/// The CDA header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub id: Option<InstanceId>,
    pub set_id: Option<InstanceId>,
    pub version: Option<String>,
    pub title: Option<String>,
    pub code: Option<Code>,
    /// HL7 TS (`YYYYMMDDhhmmss+zzzz`, possibly shorter).
    pub effective_time: Option<String>,
    pub confidentiality: Option<Code>,
    pub language: Option<String>,
    pub patient: Patient,
    pub authors: Vec<Author>,
    pub custodian: Option<String>,
    pub legal_authenticator: Option<PersonName>,
    pub legal_authentication_time: Option<String>,
}

/// A run of narrative text with its emphasis, or a line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text { text: String, emphasis: Emphasis },
    Break,
}

/// A narrative table (cells flattened to text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NarrativeTable {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A block of the narrative `text` of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NarrativeBlock {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<NarrativeBlock>>,
    },
    Table(NarrativeTable),
    /// `renderMultiMedia`: an image or file shown in place, by reference.
    MultiMedia {
        reference: String,
    },
}

/// A section of a structured body (level 3), possibly nested.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    pub title: Option<String>,
    pub code: Option<Code>,
    pub narrative: Vec<NarrativeBlock>,
    pub sections: Vec<Section>,
}

/// A file carried in base64 (level 1 body or `observationMedia`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedFile {
    pub id: Option<String>,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The document body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Structured(Vec<Section>),
    NonXml(EmbeddedFile),
    /// A level 1 body that points to a file sent alongside (`text/reference`).
    External {
        media_type: String,
        reference: String,
    },
    Missing,
}

/// A parsed CDA document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdaDocument {
    pub header: Header,
    pub body: Body,
    /// `observationMedia` objects, by ID, for `renderMultiMedia` references.
    pub media: Vec<EmbeddedFile>,
}

impl CdaDocument {
    pub fn media_by_id(&self, id: &str) -> Option<&EmbeddedFile> {
        self.media.iter().find(|m| m.id.as_deref() == Some(id))
    }

    /// Titles of every section, depth first (tests and outlines).
    pub fn section_titles(&self) -> Vec<&str> {
        fn walk<'a>(sections: &'a [Section], out: &mut Vec<&'a str>) {
            for s in sections {
                if let Some(t) = &s.title {
                    out.push(t);
                }
                walk(&s.sections, out);
            }
        }
        let mut out = Vec::new();
        if let Body::Structured(sections) = &self.body {
            walk(sections, &mut out);
        }
        out
    }
}

/// Decodes HL7 base64 content, tolerating the line breaks and spaces that
/// producers insert. `None` when it is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}
