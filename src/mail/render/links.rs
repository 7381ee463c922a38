//! Links written in plain text (`https://…`, `mailto:…`) are styled as links
//! and numbered into the same list as HTML anchors, so "open link n" works
//! for both. Trailing punctuation of the sentence is not part of the URL.

use crate::domain::text::{Emphasis, Span};

const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Spans of `text` with URLs as `Emphasis::Link`, each registered in `links`.
pub fn linkify(text: &str, base: Emphasis, links: &mut Vec<String>) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some((start, scheme)) = SCHEMES
        .iter()
        .filter_map(|s| find_ascii_ci(rest, s).map(|i| (i, s)))
        .min_by_key(|(i, _)| *i)
    {
        let tail = &rest[start..];
        let mut end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(tail.len());
        while end > scheme.len()
            && tail[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', ']', '\''])
        {
            end -= 1;
        }
        if end <= scheme.len() {
            // A bare scheme with no address is just text.
            let skip = start + scheme.len();
            spans.push(Span::new(&rest[..skip], base));
            rest = &rest[skip..];
            continue;
        }
        let url = &tail[..end];
        if start > 0 {
            spans.push(Span::new(&rest[..start], base));
        }
        if !links.iter().any(|l| l == url) {
            links.push(url.to_string());
        }
        spans.push(Span::new(url, Emphasis::Link));
        rest = &tail[end..];
    }
    if !rest.is_empty() || spans.is_empty() {
        spans.push(Span::new(rest, base));
    }
    spans
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    (0..h.len().checked_sub(n.len())? + 1)
        .find(|&i| haystack.is_char_boundary(i) && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(spans: &[Span]) -> Vec<(String, Emphasis)> {
        spans
            .iter()
            .map(|s| (s.text().to_string(), s.emphasis))
            .collect()
    }

    #[test]
    fn urls_are_linked_without_trailing_punctuation() {
        let mut links = Vec::new();
        let spans = linkify(
            "Voir https://portail.example.test/cr?id=4. Ou (HTTP://x.test/a), mailto:dr@x.test!",
            Emphasis::Plain,
            &mut links,
        );
        assert_eq!(
            links,
            [
                "https://portail.example.test/cr?id=4",
                "HTTP://x.test/a",
                "mailto:dr@x.test"
            ]
        );
        let p = parts(&spans);
        assert_eq!(p[0], ("Voir ".into(), Emphasis::Plain));
        assert_eq!(p[1].1, Emphasis::Link);
        assert_eq!(
            spans.iter().map(Span::text).collect::<String>(),
            "Voir https://portail.example.test/cr?id=4. Ou (HTTP://x.test/a), mailto:dr@x.test!"
        );
    }

    #[test]
    fn bare_scheme_and_plain_text_are_left_alone() {
        let mut links = Vec::new();
        let spans = linkify("le protocole https:// seul", Emphasis::Quote(1), &mut links);
        assert!(links.is_empty());
        assert_eq!(
            spans.iter().map(Span::text).collect::<String>(),
            "le protocole https:// seul"
        );
        assert!(spans.iter().all(|s| s.emphasis == Emphasis::Quote(1)));
        let spans = linkify("", Emphasis::Plain, &mut links);
        assert_eq!(spans.len(), 1);
    }
}
