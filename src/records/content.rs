//! A retrieved document as viewer text, by type: a CDA (level 3 rendered;
//! level 1 with its PDF's text extracted under the rendered header), a bare
//! PDF, plain text; anything else is named for an external viewer.

use super::Error;
use super::cda::{self, Body};
use crate::domain::text::{Emphasis, Line, RichText};

fn is_xml(mime: Option<&str>, bytes: &[u8]) -> bool {
    match mime {
        Some(m) => m.contains("xml"),
        None => bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<'),
    }
}

/// PDF text lines, or why there are none; never panics.
fn pdf_lines(bytes: &[u8]) -> Result<Vec<String>, Error> {
    std::panic::catch_unwind(|| super::pdf::extract_text(bytes)).unwrap_or_else(|_| {
        Err(Error::Pdf {
            reason: "the PDF reader failed".to_string(),
        })
    })
}

fn push_pdf(bytes: &[u8], out: &mut RichText) -> Result<(), Error> {
    let lines = pdf_lines(bytes)?;
    if lines.is_empty() {
        out.push_line(Line::styled(
            "Aucun texte lisible dans ce PDF (images ou polices non prises en charge) : \
             à ouvrir avec une visionneuse externe.",
            Emphasis::Warning,
        ));
    }
    for line in lines {
        out.push_line(Line::plain(&crate::domain::text::terminal_safe(&line)));
    }
    Ok(())
}

/// The viewer text of a document of type `mime` (from the metadata).
pub fn render(mime: Option<&str>, bytes: &[u8]) -> Result<RichText, Error> {
    let mime = mime.map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase());
    if is_xml(mime.as_deref(), bytes) {
        let document = cda::parse(bytes)?;
        let mut out = cda::render(&document);
        if let Body::NonXml(file) = &document.body
            && file.media_type == "application/pdf"
        {
            out.push_line(Line::default());
            out.push_line(Line::styled("Texte extrait du PDF :", Emphasis::Muted));
            if let Err(e) = push_pdf(&file.bytes, &mut out) {
                out.push_line(Line::styled(&e.to_string(), Emphasis::Warning));
            }
        }
        return Ok(out);
    }
    let mut out = RichText::default();
    match mime.as_deref() {
        Some("application/pdf") => push_pdf(bytes, &mut out)?,
        Some("text/plain") => {
            for line in String::from_utf8_lossy(bytes).lines() {
                out.push_line(Line::plain(&crate::domain::text::terminal_safe(
                    line.trim_end(),
                )));
            }
        }
        other => out.push_line(Line::styled(
            &format!(
                "{} ({} octets) : à ouvrir avec une visionneuse externe.",
                crate::domain::text::terminal_safe(other.unwrap_or("fichier")),
                bytes.len()
            ),
            Emphasis::Warning,
        )),
    }
    Ok(out)
}
