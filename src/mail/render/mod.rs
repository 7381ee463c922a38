//! A parsed message to [`RichText`] for the reader: header block, body
//! (plain, flowed or HTML, the `multipart/alternative` choice made by
//! [`RenderOptions`]), attached messages inline and indented, reports as
//! receipts, then the attachment list and the numbered link references.
//! Invariant: every string from the message reaches the output through
//! `Span::new`, hence `terminal_safe` — header values and file names
//! included — so no control character or bidi override survives.

mod flowed;
mod html;
mod labels;
mod links;
mod receipt;

pub use flowed::{TextLine, flowed_lines, plain_lines};
pub use html::{html_to_lines, html_to_text};
pub use labels::Labels;
pub use links::linkify;
pub use receipt::receipt_lines;

use crate::domain::envelope::Address;
use crate::domain::text::{Emphasis, Line, RichText, Span};
use crate::mail::mime::{Headers, ParsedMessage, Part, PartBody, TextFormat};

/// Which alternative to show when a message offers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preference {
    #[default]
    Plain,
    Html,
}

/// What header block opens the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderBlock {
    /// From, To, Cc, Date, Subject.
    #[default]
    Summary,
    /// Every field as received, decoded.
    Full,
    /// None at the top (the caller shows headers itself); attached
    /// messages still get their summary.
    Hidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    pub headers: HeaderBlock,
    pub prefer: Preference,
    /// Column width HTML is laid out at (plain text is left to the viewer).
    pub html_width: usize,
    pub labels: Labels,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            headers: HeaderBlock::Summary,
            prefer: Preference::Plain,
            html_width: 78,
            labels: Labels::FRENCH,
        }
    }
}

/// A rendered message and the link targets its `[n]` references point to
/// (`links[n - 1]`), for an "open link n" command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub text: RichText,
    pub links: Vec<String>,
}

/// Render a whole message for the reader.
pub fn render_message(message: &ParsedMessage, options: &RenderOptions) -> RichText {
    render_message_with_links(message, options).text
}

/// [`render_message`], also returning the numbered links.
pub fn render_message_with_links(message: &ParsedMessage, options: &RenderOptions) -> Rendered {
    let mut r = Renderer {
        options,
        out: RichText::default(),
        links: Vec::new(),
    };
    if options.headers != HeaderBlock::Hidden {
        r.header_block(&message.headers, 0);
        r.blank(0);
    }
    r.part(&message.root, &message.headers, 0);
    let labels = &options.labels;
    let attachments = message.attachments();
    if !attachments.is_empty() {
        r.blank(0);
        r.out.push_line(Line::styled(
            &format!("{} ({})", labels.attachments, attachments.len()),
            Emphasis::Heading(2),
        ));
        for (i, a) in attachments.iter().enumerate() {
            let name = a.filename.as_deref().unwrap_or("");
            r.out.push_line(Line::new(vec![
                Span::new(&format!("[{}] ", i + 1), Emphasis::Muted),
                Span::new(name, Emphasis::Strong),
                Span::new(
                    &format!(
                        "{}{} — {}",
                        if name.is_empty() { "" } else { "  " },
                        a.content_type,
                        labels.format_size(a.size)
                    ),
                    Emphasis::Muted,
                ),
            ]));
        }
    }
    let links = std::mem::take(&mut r.links);
    if !links.is_empty() {
        r.blank(0);
        r.out
            .push_line(Line::styled(labels.links, Emphasis::Heading(2)));
        for (i, url) in links.iter().enumerate() {
            r.out.push_line(Line::new(vec![
                Span::new(&format!("[{}] ", i + 1), Emphasis::Muted),
                Span::new(url, Emphasis::Link),
            ]));
        }
    }
    Rendered { text: r.out, links }
}

struct Renderer<'o> {
    options: &'o RenderOptions,
    out: RichText,
    links: Vec<String>,
}

impl Renderer<'_> {
    /// Attached messages are indented with a rule per level.
    fn push(&mut self, indent: usize, mut line: Line) {
        if indent > 0 {
            line.spans
                .insert(0, Span::new(&"│ ".repeat(indent), Emphasis::Muted));
        }
        self.out.push_line(line);
    }

    fn blank(&mut self, indent: usize) {
        self.push(indent, Line::default());
    }

    fn header_block(&mut self, headers: &Headers, indent: usize) {
        let labels = self.options.labels;
        if self.options.headers == HeaderBlock::Full {
            for field in &headers.fields {
                self.push(
                    indent,
                    Line::new(vec![
                        Span::new(&format!("{}:", field.name), Emphasis::Muted),
                        Span::plain(" "),
                        Span::plain(&field.value),
                    ]),
                );
            }
            return;
        }
        let addresses = |list: &[Address]| {
            list.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut rows: Vec<(&str, String, Emphasis)> = Vec::new();
        if !headers.from.is_empty() || indent == 0 {
            rows.push((labels.from, addresses(&headers.from), Emphasis::Plain));
        }
        if !headers.to.is_empty() {
            rows.push((labels.to, addresses(&headers.to), Emphasis::Plain));
        }
        if !headers.cc.is_empty() {
            rows.push((labels.cc, addresses(&headers.cc), Emphasis::Plain));
        }
        if let Some(date) = headers.date {
            rows.push((labels.date, labels.format_date(date), Emphasis::Plain));
        }
        let subject = headers
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| labels.no_subject.to_string());
        rows.push((labels.subject, subject, Emphasis::Strong));
        for (label, value, emphasis) in rows {
            self.push(
                indent,
                Line::new(vec![
                    Span::new(
                        &format!("{label}{}", labels.colon.trim_end()),
                        Emphasis::Muted,
                    ),
                    Span::plain(" "),
                    Span::new(&value, emphasis),
                ]),
            );
        }
    }

    /// `headers` are those of the message owning `part` (a report's date).
    fn part(&mut self, part: &Part, headers: &Headers, indent: usize) {
        match &part.body {
            PartBody::Text {
                text,
                format,
                charset_fallback,
            } => {
                if *charset_fallback {
                    self.push(
                        indent,
                        Line::styled(self.options.labels.charset_fallback, Emphasis::Warning),
                    );
                }
                self.text(text, *format, indent);
            }
            PartBody::Binary { .. } => {}
            PartBody::Message { headers, root } => {
                self.blank(indent);
                self.push(
                    indent,
                    Line::styled(
                        &format!("── {} ──", self.options.labels.attached_message),
                        Emphasis::Heading(3),
                    ),
                );
                self.header_block(headers, indent + 1);
                self.blank(indent + 1);
                self.part(root, headers, indent + 1);
            }
            PartBody::Multipart { children, report } => {
                if let Some(report) = report {
                    self.report(children, report, headers, indent);
                } else if part.content_type.is("multipart/alternative") {
                    if let Some(choice) = self.choose_alternative(children) {
                        self.part(choice, headers, indent);
                    }
                } else {
                    for child in children {
                        self.part(child, headers, indent);
                    }
                }
            }
        }
    }

    fn report(
        &mut self,
        children: &[Part],
        report: &crate::mail::mime::Report,
        headers: &Headers,
        indent: usize,
    ) {
        for line in receipt_lines(report, headers.date, &self.options.labels) {
            self.push(indent, line);
        }
        self.blank(indent);
        // The human-readable part, then the returned original (message or
        // headers); the machine-readable fields were summarised above.
        for child in children {
            let ct = &child.content_type.mime_type;
            if ct.starts_with("message/disposition")
                || ct.starts_with("message/delivery")
                || ct.starts_with("message/global-d")
            {
                continue;
            }
            if ct == "text/rfc822-headers" || ct == "message/global-headers" {
                self.push(
                    indent,
                    Line::styled(
                        &format!("── {} ──", self.options.labels.original_message),
                        Emphasis::Heading(3),
                    ),
                );
                if let PartBody::Text { text, .. } = &child.body {
                    for line in text.lines() {
                        self.push(indent + 1, Line::styled(line, Emphasis::Muted));
                    }
                }
                continue;
            }
            self.part(child, headers, indent);
        }
    }

    fn choose_alternative<'p>(&self, children: &'p [Part]) -> Option<&'p Part> {
        let is_html = |p: &Part| {
            p.content_type.is("text/html")
                || matches!(
                    &p.body,
                    PartBody::Multipart { children, .. }
                        if children.iter().any(|c| c.content_type.is("text/html"))
                )
        };
        let readable = |p: &&Part| !matches!(p.body, PartBody::Binary { .. });
        let plain = children
            .iter()
            .filter(readable)
            .find(|p| p.content_type.is("text/plain"));
        let html = children.iter().filter(readable).find(|p| is_html(p));
        let first = children.iter().find(readable);
        match self.options.prefer {
            Preference::Plain => plain.or(html).or(first),
            Preference::Html => html.or(plain).or(first),
        }
    }

    fn text(&mut self, text: &str, format: TextFormat, indent: usize) {
        match format {
            TextFormat::Html => {
                let lines = html_to_lines(text, self.options.html_width, &mut self.links);
                for line in lines {
                    self.push(indent, line);
                }
            }
            TextFormat::Plain | TextFormat::Flowed { .. } => {
                let lines = match format {
                    TextFormat::Flowed { delete_space } => flowed_lines(text, delete_space),
                    _ => plain_lines(text),
                };
                // A final newline is not an empty last line.
                let count = lines.len()
                    - usize::from(
                        lines
                            .last()
                            .is_some_and(|l| l.text.is_empty() && l.quote_depth == 0),
                    );
                // After the "-- " separator comes the signature, shown muted.
                let mut in_signature = false;
                for line in lines.into_iter().take(count) {
                    if line.quote_depth == 0 && line.text == "-- " {
                        in_signature = true;
                    }
                    let (text, emphasis) = if in_signature && line.quote_depth == 0 {
                        (line.text, Emphasis::Muted)
                    } else if line.quote_depth > 0 {
                        let marks = "> ".repeat(usize::from(line.quote_depth));
                        (
                            format!("{marks}{}", line.text),
                            Emphasis::Quote(line.quote_depth),
                        )
                    } else {
                        (line.text, Emphasis::Plain)
                    };
                    let rendered = Line::new(linkify(&text, emphasis, &mut self.links));
                    self.push(indent, rendered);
                }
            }
        }
    }
}
