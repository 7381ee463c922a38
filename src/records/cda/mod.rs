//! CDA R2 documents: bounded parsing into a model ([`model`]) and rendering
//! to terminal rich text ([`render`]).
//!
//! Invariants: input goes through the bounded XML reader (no DOCTYPE, depth,
//! size and node limits), so a hostile document is refused with a typed
//! error and never panics; the rendered output contains text only, never
//! markup, and every span is terminal-safe.

pub mod header;
pub mod model;
pub mod narrative;
pub mod render;

pub use model::{Body, CdaDocument, EmbeddedFile, Header, NarrativeBlock, Section};
pub use render::{format_hl7_time, render};

use crate::records::Error;
use crate::records::xml::{self, Element, Limits};

/// Parses a CDA R2 document (level 1 or level 3).
pub fn parse(bytes: &[u8]) -> Result<CdaDocument, Error> {
    let root = xml::parse(bytes, &Limits::CDA)?;
    from_tree(&root)
}

/// Builds the model from an already parsed tree.
pub fn from_tree(root: &Element) -> Result<CdaDocument, Error> {
    if root.name != "ClinicalDocument" {
        return Err(Error::NotCda {
            reason: format!("the root element is <{}>", root.name),
        });
    }
    let header = header::read_header(root);
    let body = match root.child("component") {
        Some(c) => match (c.child("structuredBody"), c.child("nonXMLBody")) {
            (Some(structured), _) => Body::Structured(narrative::read_sections(structured)),
            (None, Some(non_xml)) => match non_xml.child("text") {
                Some(text) => match text.child("reference").and_then(|r| r.attr("value")) {
                    Some(reference) => Body::External {
                        media_type: text
                            .attr("mediaType")
                            .unwrap_or("application/octet-stream")
                            .trim()
                            .to_ascii_lowercase(),
                        reference: reference.trim().to_string(),
                    },
                    None => Body::NonXml(embedded(text, None)?),
                },
                None => Body::Missing,
            },
            (None, None) => Body::Missing,
        },
        None => Body::Missing,
    };
    let mut media_elements = Vec::new();
    root.descendants_named("observationMedia", &mut media_elements);
    let media = media_elements
        .into_iter()
        .filter_map(|m| {
            let value = m.child("value")?;
            embedded(value, m.attr("ID").map(str::to_string)).ok()
        })
        .collect();
    Ok(CdaDocument {
        header,
        body,
        media,
    })
}

/// A base64 or plain-text payload (`nonXMLBody/text`, `observationMedia/value`).
fn embedded(e: &Element, id: Option<String>) -> Result<EmbeddedFile, Error> {
    let media_type = e
        .attr("mediaType")
        .unwrap_or("text/plain")
        .trim()
        .to_ascii_lowercase();
    let raw: String = e
        .children
        .iter()
        .filter_map(|n| match n {
            xml::Node::Text(t) => Some(t.as_str()),
            xml::Node::Element(_) => None,
        })
        .collect();
    let bytes = if e.attr("representation") == Some("B64") {
        model::decode_base64(&raw).ok_or_else(|| Error::NotCda {
            reason: "an embedded file is not valid base64".to_string(),
        })?
    } else {
        raw.into_bytes()
    };
    Ok(EmbeddedFile {
        id,
        media_type,
        bytes,
    })
}

#[cfg(test)]
mod tests;
