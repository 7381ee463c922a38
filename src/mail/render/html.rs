//! HTML bodies to rich lines with html2text. Links are numbered in order of
//! first appearance (`[1]` after the anchor text) and returned so the reader
//! can list them at the end; nothing is fetched (no remote images). HTML
//! nested deeper than [`MAX_NESTING`] is reduced to its text without a DOM,
//! so hostile markup cannot exhaust the stack of a tree walker.

use html2text::render::RichAnnotation;

use crate::domain::text::{Emphasis, Line, Span};

const MAX_NESTING: usize = 400;

pub fn html_to_lines(html: &str, width: usize, links: &mut Vec<String>) -> Vec<Line> {
    let width = width.max(20);
    if nesting_exceeds(html, MAX_NESTING) {
        return strip_tags(html).lines().map(Line::plain).collect();
    }
    let rendered = html2text::config::rich()
        .lines_from_read(html.as_bytes(), width)
        .ok();
    let Some(tagged) = rendered else {
        return strip_tags(html).lines().map(Line::plain).collect();
    };
    let mut out = Vec::with_capacity(tagged.len());
    for tagged_line in tagged {
        let mut spans = Vec::new();
        let mut open_link: Option<usize> = None;
        for piece in tagged_line.tagged_strings() {
            let link = piece.tag.iter().find_map(|a| match a {
                RichAnnotation::Link(url) => Some(url.as_str()),
                _ => None,
            });
            let number = link.map(|url| link_number(links, url));
            if let Some(n) = open_link
                && number != Some(n)
            {
                spans.push(Span::new(&format!("[{}]", n + 1), Emphasis::Muted));
            }
            open_link = number;
            spans.push(Span::new(&piece.s, emphasis(&piece.tag)));
        }
        if let Some(n) = open_link {
            spans.push(Span::new(&format!("[{}]", n + 1), Emphasis::Muted));
        }
        out.push(Line::new(spans));
    }
    out
}

/// HTML as plain text for indexing (no link numbers, no styling).
pub fn html_to_text(html: &str) -> String {
    if nesting_exceeds(html, MAX_NESTING) {
        return strip_tags(html);
    }
    html2text::config::plain_no_decorate()
        .string_from_read(html.as_bytes(), 200)
        .unwrap_or_else(|_| strip_tags(html))
}

fn link_number(links: &mut Vec<String>, url: &str) -> usize {
    match links.iter().position(|l| l == url) {
        Some(i) => i,
        None => {
            links.push(url.to_string());
            links.len() - 1
        }
    }
}

fn emphasis(tags: &[RichAnnotation]) -> Emphasis {
    let mut result = Emphasis::Plain;
    for tag in tags {
        result = match tag {
            RichAnnotation::Link(_) => Emphasis::Link,
            RichAnnotation::Strong => Emphasis::Strong,
            RichAnnotation::Emphasis => Emphasis::Italic,
            RichAnnotation::Code | RichAnnotation::Preformat(_) => Emphasis::Code,
            _ => continue,
        };
    }
    result
}

/// A conservative upper bound of element nesting: every opening tag that is
/// not void or self-closed counts, every closing tag uncounts.
fn nesting_exceeds(html: &str, max: usize) -> bool {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "!",
    ];
    let bytes = html.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &html[i + 1..];
            if rest.starts_with('/') {
                depth = depth.saturating_sub(1);
            } else if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let end = rest.find('>').unwrap_or(rest.len());
                let self_closed = rest[..end].ends_with('/');
                if !VOID.contains(&name.as_str()) && !self_closed {
                    depth += 1;
                    if depth > max {
                        return true;
                    }
                }
            }
        }
        i += 1;
    }
    false
}

/// Text of HTML without a parser: tags dropped, the common entities decoded.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_numbered_and_collected() {
        let mut links = Vec::new();
        let lines = html_to_lines(
            "<p>Voir <a href=\"https://example.test/a\">le compte rendu</a> et \
             <a href=\"https://example.test/b\">la lettre</a>, puis \
             <a href=\"https://example.test/a\">encore</a>.</p>",
            80,
            &mut links,
        );
        let text: String = lines.iter().map(Line::to_plain_string).collect();
        assert_eq!(links, ["https://example.test/a", "https://example.test/b"]);
        assert!(text.contains("le compte rendu[1]"), "{text}");
        assert!(text.contains("la lettre[2]"), "{text}");
        assert!(text.contains("encore[1]"), "{text}");
        assert!(
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .any(|s| s.emphasis == Emphasis::Link)
        );
    }

    #[test]
    fn deep_nesting_falls_back_to_plain_text() {
        let html = format!("{}fond{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
        let mut links = Vec::new();
        let lines = html_to_lines(&html, 80, &mut links);
        let text: String = lines.iter().map(Line::to_plain_string).collect();
        assert!(text.contains("fond"));
    }
}
