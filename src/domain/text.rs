//! Rich text for the terminal, without any dependency on the UI toolkit.
//!
//! Renderers (mail bodies, CDA documents, receipts) produce a [`RichText`]
//! made of blocks whose spans carry a semantic [`Emphasis`], never a colour:
//! the UI maps emphasis to theme scopes. Invariant: every string stored in a
//! [`Span`] went through [`terminal_safe`], so it holds no control character,
//! no escape sequence and no invisible bidi override; constructors enforce it.

use unicode_width::UnicodeWidthStr;

/// What a span means; the theme decides how it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Emphasis {
    Plain,
    Strong,
    Italic,
    Underline,
    /// Section title, level 1 (top) and deeper.
    Heading(u8),
    /// Quoted text, with its depth (`>`, `>>` ...).
    Quote(u8),
    Link,
    Code,
    /// Secondary information (labels, metadata).
    Muted,
    /// Something the reader must notice (neutralised characters, integrity problems).
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    text: String,
    pub emphasis: Emphasis,
}

impl Span {
    pub fn new(text: &str, emphasis: Emphasis) -> Self {
        Span {
            text: terminal_safe(text),
            emphasis,
        }
    }
    pub fn plain(text: &str) -> Self {
        Span::new(text, Emphasis::Plain)
    }
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub spans: Vec<Span>,
}

impl Line {
    pub fn new(spans: Vec<Span>) -> Self {
        Line { spans }
    }
    pub fn plain(text: &str) -> Self {
        Line {
            spans: vec![Span::plain(text)],
        }
    }
    pub fn styled(text: &str, emphasis: Emphasis) -> Self {
        Line {
            spans: vec![Span::new(text, emphasis)],
        }
    }
    pub fn width(&self) -> usize {
        self.spans.iter().map(|s| s.text.width()).sum()
    }
    pub fn to_plain_string(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A table: a header row (may be empty) and body rows of plain cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Line(Line),
    Table(Table),
}

/// A document ready to be laid out at any width.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RichText {
    pub blocks: Vec<Block>,
}

impl RichText {
    pub fn push_line(&mut self, line: Line) {
        self.blocks.push(Block::Line(line));
    }
    pub fn push_table(&mut self, mut table: Table) {
        for cell in table
            .header
            .iter_mut()
            .chain(table.rows.iter_mut().flatten())
        {
            *cell = terminal_safe(cell);
        }
        self.blocks.push(Block::Table(table));
    }
    /// Lines for a terminal `width` columns wide; tables are laid out with
    /// column widths shared fairly and cells truncated with `…`.
    pub fn layout(&self, width: usize) -> Vec<Line> {
        let mut out = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Line(line) => out.push(line.clone()),
                Block::Table(table) => layout_table(table, width.max(10), &mut out),
            }
        }
        out
    }
    /// The whole text as plain lines (tests, `--raw` output).
    pub fn to_plain_string(&self, width: usize) -> String {
        let mut s = String::new();
        for line in self.layout(width) {
            s.push_str(&line.to_plain_string());
            s.push('\n');
        }
        s
    }
}

fn layout_table(table: &Table, width: usize, out: &mut Vec<Line>) {
    let columns = table
        .rows
        .iter()
        .map(Vec::len)
        .chain([table.header.len()])
        .max()
        .unwrap_or(0);
    if columns == 0 {
        return;
    }
    let cell = |row: &[String], c: usize| row.get(c).map(String::as_str).unwrap_or("").to_string();
    let mut natural = vec![1usize; columns];
    for row in std::iter::once(&table.header).chain(table.rows.iter()) {
        for (c, w) in natural.iter_mut().enumerate() {
            *w = (*w).max(cell(row, c).width());
        }
    }
    let separators = 3 * (columns - 1);
    let budget = width.saturating_sub(separators).max(columns);
    let widths = share_widths(&natural, budget);
    let render_row = |row: &[String]| -> String {
        let cells: Vec<String> = (0..columns)
            .map(|c| fit(&cell(row, c), widths[c]))
            .collect();
        cells.join(" │ ").trim_end().to_string()
    };
    if !table.header.is_empty() {
        out.push(Line::styled(&render_row(&table.header), Emphasis::Strong));
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        out.push(Line::styled(&rule.join("─┼─"), Emphasis::Muted));
    }
    for row in &table.rows {
        out.push(Line::plain(&render_row(row)));
    }
}

/// Columns keep their natural width while the total fits; otherwise the widest
/// ones shrink first, so short columns (units, flags) stay readable.
fn share_widths(natural: &[usize], budget: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    while widths.iter().sum::<usize>() > budget {
        let Some((widest, _)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else {
            break;
        };
        if widths[widest] <= 1 {
            break;
        }
        widths[widest] -= 1;
    }
    widths
}

fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = text.width();
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        let reserve = if total > width { 1 } else { 0 };
        if used + w + reserve > width {
            out.push('…');
            used += 1;
            break;
        }
        out.push(ch);
        used += w;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// Neutralise text from untrusted sources before it can reach a terminal:
/// C0/C1 controls and DEL become U+FFFD (tab becomes spaces), and the
/// invisible bidi controls that can reorder what the reader sees
/// (U+202A..U+202E, U+2066..U+2069, U+200E/U+200F, U+061C) are shown as a
/// visible marker `⟦U+202E⟧` instead of acting. Newlines are not allowed inside
/// a span: they are replaced by a space (callers split lines themselves).
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\t' => out.push_str("    "),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}' => {
                out.push_str(&format!("⟦U+{:04X}⟧", ch as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// True when `text` could be shown as is (used by tests across modules).
pub fn is_terminal_safe(text: &str) -> bool {
    terminal_safe(text) == text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_neutralised() {
        let hostile = "Bonjour \u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m fin\u{7f}";
        let safe = terminal_safe(hostile);
        assert!(!safe.chars().any(char::is_control), "{safe:?}");
        assert!(safe.contains("Bonjour") && safe.contains("fin"));
    }

    #[test]
    fn bidi_overrides_become_visible() {
        let safe = terminal_safe("facture\u{202E}fdp.exe");
        assert_eq!(safe, "facture⟦U+202E⟧fdp.exe");
    }

    #[test]
    fn spans_are_always_safe() {
        let span = Span::plain("a\u{1b}b\nc");
        assert!(is_terminal_safe(span.text()));
        assert_eq!(span.text(), "a\u{FFFD}b c");
    }

    #[test]
    fn table_fits_the_width_and_keeps_short_columns() {
        let mut doc = RichText::default();
        doc.push_table(Table {
            header: vec!["Examen".into(), "Résultat".into(), "Unité".into()],
            rows: vec![vec![
                "Hémoglobine glyquée (HbA1c) dosage".into(),
                "6,9".into(),
                "%".into(),
            ]],
        });
        let lines = doc.layout(30);
        assert!(lines.iter().all(|l| l.width() <= 30), "{lines:?}");
        let text = doc.to_plain_string(30);
        assert!(text.contains("Hémoglobin"), "{text}");
        assert!(text.contains('…'), "{text}");
        assert!(text.contains("6,9"), "{text}");
    }
}
