//! Plain text bodies to logical lines: RFC 3676 `format=flowed` paragraphs
//! are joined back (the viewer re-wraps them at its own width), and quote
//! depth is measured so it can be shown as `Emphasis::Quote(n)`.

/// One logical line of a text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    /// Number of `>` quote markers (0 = not quoted).
    pub quote_depth: u8,
    /// The text without its quote markers.
    pub text: String,
}

/// Count leading `>` markers; plain text quotes often put spaces between
/// them (`> > text`), flowed text never does, so spaces are only skipped
/// when `allow_spaces`.
fn split_quote(line: &str, allow_spaces: bool) -> (u8, &str) {
    let mut depth: u8 = 0;
    let mut rest = line;
    loop {
        let trimmed = if allow_spaces {
            rest.trim_start_matches(' ')
        } else {
            rest
        };
        match trimmed.strip_prefix('>') {
            Some(after) => {
                depth = depth.saturating_add(1);
                rest = after;
            }
            None => break,
        }
    }
    if depth > 0 && allow_spaces {
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    (depth, rest)
}

/// Lines of a non-flowed text body, with their quote depth.
pub fn plain_lines(text: &str) -> Vec<TextLine> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .map(|l| {
            let (quote_depth, rest) = split_quote(l, true);
            TextLine {
                quote_depth,
                text: rest.to_string(),
            }
        })
        .collect()
}

/// Paragraphs of a `format=flowed` body (RFC 3676 §4.1–4.5).
pub fn flowed_lines(text: &str, delete_space: bool) -> Vec<TextLine> {
    let mut out: Vec<TextLine> = Vec::new();
    let mut open = false;
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (depth, content) = split_quote(raw, false);
        // Space-stuffing (§4.4): one leading space added by the sender.
        let content = content.strip_prefix(' ').unwrap_or(content);
        let is_signature_separator = content == "-- ";
        let is_flowed = content.ends_with(' ') && !is_signature_separator;
        let piece = if is_flowed && delete_space {
            &content[..content.len() - 1]
        } else {
            content
        };
        match out.last_mut() {
            Some(last) if open && last.quote_depth == depth && !is_signature_separator => {
                last.text.push_str(piece);
            }
            _ => out.push(TextLine {
                quote_depth: depth,
                text: piece.to_string(),
            }),
        }
        open = is_flowed;
    }
    // Trailing spaces that only marked the flow are not content.
    for line in &mut out {
        if !delete_space && line.text.ends_with(' ') && line.text != "-- " {
            let trimmed = line.text.trim_end_matches(' ').len();
            line.text.truncate(trimmed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flowed_paragraphs_are_joined_and_quotes_kept() {
        let body = "Bonjour, voici les \r\nrésultats du \r\nbilan.\r\n>> ancien \r\n>> texte\r\n> cité\r\n-- \r\nDr X\r\n";
        let lines = flowed_lines(body, false);
        assert_eq!(lines[0].text, "Bonjour, voici les résultats du bilan.");
        assert_eq!(lines[0].quote_depth, 0);
        assert_eq!(lines[1].text, "ancien texte");
        assert_eq!(lines[1].quote_depth, 2);
        assert_eq!(lines[2].text, "cité");
        assert_eq!(lines[2].quote_depth, 1);
        assert_eq!(lines[3].text, "-- ");
        assert_eq!(lines[4].text, "Dr X");
    }

    #[test]
    fn delsp_removes_the_soft_break_space() {
        let lines = flowed_lines("inter \r\nnational\r\n", true);
        assert_eq!(lines[0].text, "international");
    }

    #[test]
    fn space_stuffed_lines_are_unstuffed() {
        let lines = flowed_lines(" >not a quote\r\n", false);
        assert_eq!(lines[0].quote_depth, 0);
        assert_eq!(lines[0].text, ">not a quote");
    }

    #[test]
    fn plain_quotes_with_spaces() {
        let lines = plain_lines("> > deux\n> un\nzéro");
        assert_eq!(
            lines.iter().map(|l| l.quote_depth).collect::<Vec<_>>(),
            [2, 1, 0]
        );
        assert_eq!(lines[0].text, "deux");
    }
}
