//! Renders a [`CdaDocument`] to width-independent [`RichText`]: a header
//! block (title, patient, authors, custodian, dates), then the sections with
//! headings, paragraphs, lists and tables. Every string goes through the
//! `Span`/`Table` constructors, which make it terminal-safe.

use crate::domain::text::{Emphasis, Line, RichText, Span, Table};
use crate::records::ins::{Ins, InsError, InsOid, InsPolicy};

use super::model::{Body, CdaDocument, EmbeddedFile, Inline, NarrativeBlock, PersonName, Section};

pub fn render(doc: &CdaDocument) -> RichText {
    let mut out = RichText::default();
    render_header(doc, &mut out);
    match &doc.body {
        Body::Structured(sections) => {
            for section in sections {
                render_section(doc, section, 0, &mut out);
            }
        }
        Body::NonXml(file) => render_embedded(file, &mut out),
        Body::External { media_type, reference } => out.push_line(Line::styled(
            &format!("Document {media_type} « {reference} » transmis à part (par exemple dans la même archive XDM)."),
            Emphasis::Warning,
        )),
        Body::Missing => out.push_line(Line::styled(
            "Ce document n'a pas de corps lisible.",
            Emphasis::Warning,
        )),
    }
    out
}

fn labelled(label: &str, value: &str) -> Line {
    Line::new(vec![
        Span::new(&format!("{label} : "), Emphasis::Muted),
        Span::plain(value),
    ])
}

fn render_header(doc: &CdaDocument, out: &mut RichText) {
    let h = &doc.header;
    let title = h.title.as_deref().unwrap_or("Document CDA sans titre");
    out.push_line(Line::styled(title, Emphasis::Heading(1)));

    let mut patient = display_name(&h.patient.name, "patient sans nom");
    if let Some(birth) = &h.patient.traits.birth_date {
        patient.push_str(&format!(", né(e) le {}", format_hl7_time(birth)));
    }
    if let Some(sex) = h.patient.traits.sex {
        patient.push_str(&format!(", sexe {}", sex.hl7_code()));
    }
    out.push_line(labelled("Patient", &patient));
    for id in &h.patient.ids {
        if let (Some(oid), Some(number)) = (InsOid::from_oid(&id.root), &id.extension) {
            let kind = match oid {
                InsOid::Nir => "INS-NIR",
                InsOid::Nia => "INS-NIA",
                InsOid::TestNir => "INS-NIR de test",
                InsOid::TestNia => "INS-NIA de test",
            };
            out.push_line(labelled(kind, number));
            // Display only: the label above already says whether it is a test
            // INS; the policy applies where the INS is used, not shown.
            let checked = Ins::parse(number, &id.root, InsPolicy { test_profile: true });
            match checked {
                Err(e) => out.push_line(Line::styled(&format!("INS invalide : {}", ins_problem(&e)), Emphasis::Warning)),
                Ok(ins) if !ins.check_traits(&h.patient.traits).is_empty() => out.push_line(Line::styled(
                    "INS incohérent avec le sexe ou la date de naissance du patient : vérifier l'identité.",
                    Emphasis::Warning,
                )),
                Ok(_) => {}
            }
        }
    }
    if let Some(code) = &h.code {
        let label = code.display.as_deref().unwrap_or(&code.code);
        out.push_line(labelled("Type", &format!("{label} ({})", code.code)));
    }
    if let Some(t) = &h.effective_time {
        out.push_line(labelled("Date", &format_hl7_time(t)));
    }
    for author in &h.authors {
        let mut who = display_name(&author.name, "");
        if let Some(device) = &author.device {
            who = if who.is_empty() {
                device.clone()
            } else {
                format!("{who} ({device})")
            };
        }
        if let Some(org) = &author.organization {
            who = if who.is_empty() {
                org.clone()
            } else {
                format!("{who}, {org}")
            };
        }
        if let Some(t) = &author.time {
            who.push_str(&format!(", le {}", format_hl7_time(t)));
        }
        if !who.is_empty() {
            out.push_line(labelled("Auteur", &who));
        }
    }
    if let Some(custodian) = &h.custodian {
        out.push_line(labelled("Structure", custodian));
    }
    if let Some(name) = &h.legal_authenticator {
        let mut who = display_name(name, "signataire sans nom");
        if let Some(t) = &h.legal_authentication_time {
            who.push_str(&format!(", le {}", format_hl7_time(t)));
        }
        out.push_line(labelled("Validé par", &who));
    }
    if let Some(conf) = h.confidentiality.as_ref().filter(|c| c.code != "N") {
        out.push_line(Line::styled(
            &format!("Confidentialité : {}", conf.code),
            Emphasis::Warning,
        ));
    }
    if let Some(id) = &h.id {
        let mut text = id.to_xds();
        if let Some(v) = &h.version {
            text.push_str(&format!(" (version {v})"));
        }
        out.push_line(Line::styled(
            &format!("Identifiant : {text}"),
            Emphasis::Muted,
        ));
    }
    out.push_line(Line::default());
}

/// The reader's language for an INS problem shown inside a document.
fn ins_problem(e: &InsError) -> String {
    match e {
        InsError::WrongKey { expected, found } => {
            format!("clé {found:02}, le numéro donne {expected:02}")
        }
        InsError::Length { found } => format!("{found} caractères au lieu de 15"),
        InsError::NotDigit { position } => format!("caractère {position} non numérique"),
        InsError::Category { digit } => format!("premier chiffre {digit} impossible"),
        _ => "identifiant non reconnu".to_string(),
    }
}

fn display_name(name: &PersonName, fallback: &str) -> String {
    if name.is_empty() {
        fallback.to_string()
    } else {
        name.display()
    }
}

fn render_section(doc: &CdaDocument, section: &Section, depth: u8, out: &mut RichText) {
    if let Some(title) = &section.title {
        out.push_line(Line::styled(
            title,
            Emphasis::Heading(depth.saturating_add(2)),
        ));
    }
    render_blocks(doc, &section.narrative, "", out);
    if section.title.is_some() || !section.narrative.is_empty() {
        out.push_line(Line::default());
    }
    for sub in &section.sections {
        render_section(doc, sub, depth.saturating_add(1), out);
    }
}

fn render_blocks(doc: &CdaDocument, blocks: &[NarrativeBlock], indent: &str, out: &mut RichText) {
    for block in blocks {
        match block {
            NarrativeBlock::Paragraph(inlines) => {
                for line in paragraph_lines(inlines) {
                    out.push_line(prefixed(indent, line));
                }
            }
            NarrativeBlock::List { ordered, items } => {
                for (index, item) in items.iter().enumerate() {
                    let bullet = if *ordered {
                        format!("{}. ", index + 1)
                    } else {
                        "• ".to_string()
                    };
                    let mut item_text = RichText::default();
                    render_blocks(doc, item, "", &mut item_text);
                    let continuation = " ".repeat(bullet.chars().count());
                    for (n, block) in item_text.blocks.into_iter().enumerate() {
                        match block {
                            crate::domain::text::Block::Line(line) => {
                                let mark = if n == 0 {
                                    bullet.as_str()
                                } else {
                                    continuation.as_str()
                                };
                                out.push_line(prefixed(&format!("{indent}{mark}"), line));
                            }
                            crate::domain::text::Block::Table(table) => out.push_table(table),
                        }
                    }
                }
            }
            NarrativeBlock::Table(table) => {
                if let Some(caption) = &table.caption {
                    out.push_line(prefixed(indent, Line::styled(caption, Emphasis::Strong)));
                }
                out.push_table(Table {
                    header: table.header.clone(),
                    rows: table.rows.clone(),
                });
            }
            NarrativeBlock::MultiMedia { reference } => {
                let text = match doc.media_by_id(reference) {
                    Some(file) => format!(
                        "[Pièce jointe {} : {}]",
                        file.media_type,
                        size_label(file.bytes.len())
                    ),
                    None => format!("[Contenu multimédia « {reference} » non disponible]"),
                };
                out.push_line(prefixed(indent, Line::styled(&text, Emphasis::Muted)));
            }
        }
    }
}

fn prefixed(prefix: &str, mut line: Line) -> Line {
    if !prefix.is_empty() {
        line.spans.insert(0, Span::plain(prefix));
    }
    line
}

/// Splits runs at line breaks and trims the spaces that source indentation
/// left at line edges and between runs.
fn paragraph_lines(inlines: &[Inline]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut spans: Vec<(String, Emphasis)> = Vec::new();
    let finish = |spans: &mut Vec<(String, Emphasis)>, lines: &mut Vec<Line>| {
        let line = tidy(std::mem::take(spans));
        if !line.spans.is_empty() {
            lines.push(line);
        }
    };
    for inline in inlines {
        match inline {
            Inline::Text { text, emphasis } => spans.push((text.clone(), *emphasis)),
            Inline::Break => finish(&mut spans, &mut lines),
        }
    }
    finish(&mut spans, &mut lines);
    lines
}

fn tidy(runs: Vec<(String, Emphasis)>) -> Line {
    let mut spans: Vec<Span> = Vec::new();
    let mut ends_with_space = true; // so leading spaces of the line go
    for (text, emphasis) in runs {
        let text = if ends_with_space {
            text.trim_start().to_string()
        } else {
            text
        };
        if text.is_empty() {
            continue;
        }
        ends_with_space = text.ends_with(' ');
        match spans.last_mut() {
            Some(last) if last.emphasis == emphasis => {
                let merged = format!("{}{}", last.text(), text);
                *last = Span::new(&merged, emphasis);
            }
            _ => spans.push(Span::new(&text, emphasis)),
        }
    }
    if let Some(last) = spans.last_mut() {
        let trimmed = last.text().trim_end().to_string();
        *last = Span::new(&trimmed, last.emphasis);
        if trimmed.is_empty() {
            spans.pop();
        }
    }
    Line::new(spans)
}

fn render_embedded(file: &EmbeddedFile, out: &mut RichText) {
    match file.media_type.as_str() {
        "text/plain" => {
            let text = String::from_utf8_lossy(&file.bytes);
            for line in text.lines() {
                out.push_line(Line::plain(line.trim_end()));
            }
        }
        media_type => {
            let kind = if media_type == "application/pdf" {
                "PDF".to_string()
            } else {
                media_type.to_string()
            };
            out.push_line(Line::styled(
                &format!(
                    "{kind} ({}) : à ouvrir avec une visionneuse externe ; le fichier peut être enregistré.",
                    size_label(file.bytes.len())
                ),
                Emphasis::Warning,
            ));
        }
    }
}

fn size_label(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} octets")
    } else {
        format!("{} Ko", bytes.div_ceil(1024))
    }
}

/// Formats an HL7 TS for a French reader: `20240116151112+0100` becomes
/// `16/01/2024 15:11`, `19790328` becomes `28/03/1979`. Anything that does
/// not look like a TS is shown as written.
pub fn format_hl7_time(ts: &str) -> String {
    let digits: String = ts.chars().take_while(|c| c.is_ascii_digit()).collect();
    let part = |range: std::ops::Range<usize>| digits.get(range).unwrap_or_default();
    match digits.len() {
        4 => digits.clone(),
        6 => format!("{}/{}", part(4..6), part(0..4)),
        8 => format!("{}/{}/{}", part(6..8), part(4..6), part(0..4)),
        n if n >= 12 => format!(
            "{}/{}/{} {}:{}",
            part(6..8),
            part(4..6),
            part(0..4),
            part(8..10),
            part(10..12)
        ),
        _ => ts.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl7_times() {
        assert_eq!(format_hl7_time("20240116151112+0100"), "16/01/2024 15:11");
        assert_eq!(format_hl7_time("19790328"), "28/03/1979");
        assert_eq!(format_hl7_time("202401"), "01/2024");
        assert_eq!(format_hl7_time("n/a"), "n/a");
    }
}
