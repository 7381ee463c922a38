//! Word wrapping of rendered lines to the reader's width, keeping each
//! span's emphasis. Words longer than the width are cut; leading spaces of
//! a continuation line are dropped. The reader scrolls over the wrapped
//! lines, so the scroll position and the screen agree.

use crate::domain::text::{Emphasis, Line};
use unicode_width::UnicodeWidthStr;

/// Pieces of one output line: text and emphasis.
pub type Pieces = Vec<(String, Emphasis)>;

fn push_piece(line: &mut Pieces, text: &str, emphasis: Emphasis) {
    match line.last_mut() {
        Some((last, e)) if *e == emphasis => last.push_str(text),
        _ => line.push((text.to_string(), emphasis)),
    }
}

/// Splits `text` into words with their trailing spaces (`"a  b"` → `"a  "`, `"b"`).
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c == ' ' {
            in_space = true;
        } else if in_space {
            out.push(&text[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// `line` wrapped to `width` columns (at least one output line).
pub fn wrap(line: &Line, width: usize) -> Vec<Pieces> {
    let width = width.max(1);
    let mut out: Vec<Pieces> = Vec::new();
    let mut current: Pieces = Vec::new();
    let mut used = 0usize;
    for span in &line.spans {
        for word in words(span.text()) {
            let word_width = word.trim_end_matches(' ').width();
            if used > 0 && used + word_width > width {
                out.push(std::mem::take(&mut current));
                used = 0;
            }
            let word = if used == 0 && !out.is_empty() {
                word.trim_start_matches(' ')
            } else {
                word
            };
            if word_width <= width.saturating_sub(used) {
                push_piece(&mut current, word, span.emphasis);
                used += word.width();
                continue;
            }
            // A word longer than a whole line: cut it by characters.
            for c in word.chars() {
                let w = c.to_string().width();
                if used + w > width && used > 0 {
                    out.push(std::mem::take(&mut current));
                    used = 0;
                }
                push_piece(&mut current, &c.to_string(), span.emphasis);
                used += w;
            }
        }
    }
    out.push(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Span;

    fn text(lines: &[Pieces]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|(t, _)| t.as_str()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_word_boundaries_and_keeps_emphasis() {
        let line = Line::new(vec![
            Span::new("Bonjour chère ", Emphasis::Plain),
            Span::new("consœur", Emphasis::Strong),
            Span::new(", voici le compte rendu.", Emphasis::Plain),
        ]);
        let wrapped = wrap(&line, 16);
        assert_eq!(
            text(&wrapped),
            vec!["Bonjour chère ", "consœur, voici ", "le compte rendu."]
        );
        assert!(
            wrapped[1]
                .iter()
                .any(|(t, e)| t == "consœur" && *e == Emphasis::Strong)
        );
        assert!(
            wrapped
                .iter()
                .all(|l| l.iter().map(|(t, _)| t.trim_end().width()).sum::<usize>() <= 16)
        );
    }

    #[test]
    fn long_words_are_cut_and_empty_lines_kept() {
        let line = Line::plain("https://example.test/a/very/long/path");
        let wrapped = wrap(&line, 10);
        assert!(wrapped.len() >= 4);
        assert!(text(&wrapped).iter().all(|l| l.width() <= 10));
        assert_eq!(wrap(&Line::default(), 10).len(), 1);
    }
}
