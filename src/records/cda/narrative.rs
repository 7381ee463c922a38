//! Reads level 3 sections and their narrative block (`section/text`) into
//! [`NarrativeBlock`]s. Only the human-readable narrative is read; coded
//! `entry` elements are machine data and are not shown. An element we do not
//! know degrades to its text content, never to markup.

use crate::domain::text::Emphasis;
use crate::records::xml::{Element, Node, collapse_whitespace};

use super::header::code;
use super::model::{Inline, NarrativeBlock, NarrativeTable, Section};

/// Upper bound on `colspan` padding, so a hostile value cannot inflate a row.
const MAX_COLSPAN: usize = 32;

/// The sections of a `structuredBody`.
pub fn read_sections(body: &Element) -> Vec<Section> {
    body.children_named("component")
        .filter_map(|c| c.child("section"))
        .map(read_section)
        .collect()
}

fn read_section(e: &Element) -> Section {
    Section {
        title: e.child("title").map(|t| t.text()).filter(|t| !t.is_empty()),
        code: e.child("code").and_then(code),
        narrative: e.child("text").map(read_narrative).unwrap_or_default(),
        sections: read_sections(e),
    }
}

/// The blocks of one narrative `text` element.
pub fn read_narrative(text: &Element) -> Vec<NarrativeBlock> {
    let mut builder = Builder::default();
    builder.children(text, Emphasis::Plain);
    builder.flush();
    builder.blocks
}

#[derive(Default)]
struct Builder {
    blocks: Vec<NarrativeBlock>,
    inline: Vec<Inline>,
}

impl Builder {
    fn flush(&mut self) {
        let has_text = self
            .inline
            .iter()
            .any(|i| matches!(i, Inline::Text { text, .. } if !text.trim().is_empty()));
        if has_text {
            self.blocks
                .push(NarrativeBlock::Paragraph(std::mem::take(&mut self.inline)));
        } else {
            self.inline.clear();
        }
    }

    fn children(&mut self, e: &Element, emphasis: Emphasis) {
        for node in &e.children {
            match node {
                Node::Text(t) => self.text(t, emphasis),
                Node::Element(child) => self.element(child, emphasis),
            }
        }
    }

    fn text(&mut self, raw: &str, emphasis: Emphasis) {
        // Keep one space where the source had whitespace at either end, so
        // runs join as words; render.rs trims the line edges.
        if raw.trim().is_empty() {
            if !raw.is_empty() {
                self.inline.push(Inline::Text {
                    text: " ".to_string(),
                    emphasis,
                });
            }
            return;
        }
        let mut text = String::new();
        if raw.starts_with(char::is_whitespace) {
            text.push(' ');
        }
        text.push_str(&collapse_whitespace(raw));
        if raw.ends_with(char::is_whitespace) {
            text.push(' ');
        }
        self.inline.push(Inline::Text { text, emphasis });
    }

    fn element(&mut self, e: &Element, emphasis: Emphasis) {
        // Text marked as deleted by a revision is history, not content.
        if e.attr("revised") == Some("delete") {
            return;
        }
        match e.name.as_str() {
            "paragraph" | "caption" => {
                self.flush();
                let inner = if e.name == "caption" {
                    Emphasis::Strong
                } else {
                    style(e).unwrap_or(emphasis)
                };
                self.children(e, inner);
                self.flush();
            }
            "list" => {
                self.flush();
                if let Some(caption) = e.child("caption") {
                    self.element(caption, emphasis);
                }
                let items = e
                    .children_named("item")
                    .map(|item| {
                        let mut sub = Builder::default();
                        sub.children(item, emphasis);
                        sub.flush();
                        sub.blocks
                    })
                    .collect();
                let ordered = e.attr("listType") == Some("ordered");
                self.blocks.push(NarrativeBlock::List { ordered, items });
            }
            "table" => {
                self.flush();
                let table = read_table(e);
                let empty = table
                    .header
                    .iter()
                    .chain(table.rows.iter().flatten())
                    .all(|c| c.is_empty());
                if !empty {
                    self.blocks.push(NarrativeBlock::Table(table));
                } else {
                    // A layout table that only frames media (a PDF copy of
                    // the report, an image): show the media, not empty cells.
                    let mut media = Vec::new();
                    e.descendants_named("renderMultiMedia", &mut media);
                    for m in media {
                        let reference = m.attr("referencedObject").unwrap_or_default().to_string();
                        self.blocks.push(NarrativeBlock::MultiMedia { reference });
                    }
                }
            }
            "br" => self.inline.push(Inline::Break),
            "renderMultiMedia" => {
                self.flush();
                let reference = e.attr("referencedObject").unwrap_or_default().to_string();
                self.blocks.push(NarrativeBlock::MultiMedia { reference });
            }
            "linkHtml" => {
                self.children(e, Emphasis::Link);
                let label = e.text();
                if let Some(href) = e
                    .attr("href")
                    .filter(|h| !h.starts_with('#') && *h != label)
                {
                    self.inline.push(Inline::Text {
                        text: format!(" ({href})"),
                        emphasis: Emphasis::Muted,
                    });
                }
            }
            // Comments on the narrative: not for display.
            "footnoteRef" => {}
            // content, sub, sup, footnote and anything unknown: text content.
            _ => self.children(e, style(e).unwrap_or(emphasis)),
        }
    }
}

/// The emphasis named by a `styleCode` (space-separated list; first known wins).
fn style(e: &Element) -> Option<Emphasis> {
    e.attr("styleCode")?
        .split_whitespace()
        .find_map(|s| match s {
            "Bold" => Some(Emphasis::Strong),
            "Italics" | "Emphasis" => Some(Emphasis::Italic),
            "Underline" => Some(Emphasis::Underline),
            _ => None,
        })
}

fn read_table(table: &Element) -> NarrativeTable {
    let mut out = NarrativeTable {
        caption: table
            .child("caption")
            .map(|c| c.text())
            .filter(|c| !c.is_empty()),
        ..NarrativeTable::default()
    };
    for part in table.elements() {
        match part.name.as_str() {
            "thead" => {
                for tr in part.children_named("tr") {
                    let row = read_row(tr);
                    if out.header.is_empty() {
                        out.header = row;
                    } else {
                        // A second header row becomes a body row rather than vanishing.
                        out.rows.push(row);
                    }
                }
            }
            "tbody" | "tfoot" => out.rows.extend(part.children_named("tr").map(read_row)),
            "tr" => out.rows.push(read_row(part)),
            _ => {}
        }
    }
    // A header row written as the first body row of `th` cells.
    let first_row = table.path(&["tbody", "tr"]).or_else(|| table.child("tr"));
    if out.header.is_empty()
        && !out.rows.is_empty()
        && first_row.is_some_and(|row| {
            let mut cells = row
                .elements()
                .filter(|c| c.name == "th" || c.name == "td")
                .peekable();
            cells.peek().is_some() && cells.all(|c| c.name == "th")
        })
    {
        out.header = out.rows.remove(0);
    }
    out
}

fn read_row(tr: &Element) -> Vec<String> {
    let mut row = Vec::new();
    for cell in tr.elements().filter(|c| c.name == "th" || c.name == "td") {
        row.push(cell_text(cell));
        let span = cell
            .attr("colspan")
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(1);
        row.extend(std::iter::repeat_n(
            String::new(),
            span.clamp(1, MAX_COLSPAN) - 1,
        ));
    }
    row
}

fn cell_text(cell: &Element) -> String {
    fn walk(e: &Element, out: &mut String) {
        for node in &e.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(c) if c.name == "br" => out.push(' '),
                Node::Element(c) if c.name == "footnoteRef" => {}
                Node::Element(c) => {
                    walk(c, out);
                    // Inline markup (content, sup) joins its neighbours as
                    // written; block markup inside a cell separates words.
                    if matches!(
                        c.name.as_str(),
                        "paragraph" | "item" | "list" | "table" | "tr"
                    ) {
                        out.push(' ');
                    }
                }
            }
        }
    }
    let mut out = String::new();
    walk(cell, &mut out);
    collapse_whitespace(&out)
}
