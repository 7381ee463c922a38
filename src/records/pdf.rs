//! Text of a PDF for the terminal viewer: a small, bounded reader of the
//! text-showing operators of a PDF's content streams.
//!
//! Why not a crate: `pdf-extract` 0.12.1 (over `lopdf` 0.42) was built here
//! in a scratch project: it builds on rustc 1.95 but brings 72 crates (lopdf,
//! nom 8, aes/cbc/md-5 for encrypted PDFs, ttf-parser, cff-parser,
//! type1-encoding-parser, adobe-cmap-parser, euclid, rand 0.10…), 11 minutes
//! of debug build (niced, on this 2-core machine shared with other builds), and its robustness on
//! hostile input was not established (it had to be run under catch_unwind
//! anyway). It handles far more (font encodings, CMaps). This reader covers
//! what CDA level 1 reports usually are (text laid out with `Tj`/`TJ`/`'`/`"`
//! in Flate-compressed or plain streams, WinAnsi/standard fonts), reuses
//! `flate2` already in the tree, and says so when it finds nothing.
//!
//! Limits, by design: no xref or object model (streams are found by their
//! `stream`/`endstream` keywords), only `/FlateDecode` or unfiltered
//! streams, no font encoding or ToUnicode CMap (bytes ≥ 0x80 are read as
//! Latin-1, which matches WinAnsi for French letters; CID fonts give
//! nothing readable), no layout beyond a line break per text line operator.
//! Bounds: input size, the number of streams, each stream's inflated size and
//! the total text size; every index is checked, so hostile input gives an
//! error or partial text, never a panic or unbounded work.

use std::io::Read;

use super::Error;

pub const MAX_PDF_BYTES: usize = 64 * 1024 * 1024;
const MAX_STREAMS: usize = 4096;
const MAX_INFLATED: u64 = 16 * 1024 * 1024;
const MAX_TEXT: usize = 4 * 1024 * 1024;
const MAX_DICT_BYTES: usize = 4096;

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The text of the PDF's pages, one string per text line.
pub fn extract_text(bytes: &[u8]) -> Result<Vec<String>, Error> {
    let fail = |reason: &str| Error::Pdf {
        reason: reason.to_string(),
    };
    if bytes.len() > MAX_PDF_BYTES {
        return Err(Error::TooLarge {
            limit: MAX_PDF_BYTES,
        });
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(fail("not a PDF (no %PDF- header)"));
    }
    let mut lines = Vec::new();
    let mut total = 0usize;
    let mut pos = 0;
    let mut streams = 0;
    while let Some(start) = find(bytes, b"stream", pos) {
        // `endstream` also contains `stream`: skip it.
        if start >= 3 && &bytes[start - 3..start] == b"end" {
            pos = start + 6;
            continue;
        }
        streams += 1;
        if streams > MAX_STREAMS {
            break;
        }
        // The stream's dictionary just before it; the look-back is bounded
        // so that many `stream` words without one stay linear.
        let lo = start.saturating_sub(MAX_DICT_BYTES);
        let dict_start = bytes[lo..start]
            .windows(2)
            .rposition(|w| w == b"<<")
            .map_or(start, |p| p + lo);
        let dict = &bytes[dict_start..start];
        let mut data_start = start + 6;
        if bytes.get(data_start) == Some(&b'\r') {
            data_start += 1;
        }
        if bytes.get(data_start) == Some(&b'\n') {
            data_start += 1;
        }
        let Some(end) = find(bytes, b"endstream", data_start) else {
            break;
        };
        pos = end + 9;
        let raw = &bytes[data_start..end];
        let flate = find(dict, b"/FlateDecode", 0).is_some();
        let other_filter = !flate && find(dict, b"/Filter", 0).is_some();
        if other_filter || find(dict, b"/Subtype", 0).is_some() {
            continue; // images, fonts, other encodings
        }
        let content = if flate {
            let mut out = Vec::new();
            let mut decoder = flate2::read::ZlibDecoder::new(raw).take(MAX_INFLATED);
            if decoder.read_to_end(&mut out).is_err() && out.is_empty() {
                continue;
            }
            out
        } else {
            raw.to_vec()
        };
        for line in text_operators(&content) {
            total += line.len();
            if total > MAX_TEXT {
                return Ok(lines);
            }
            lines.push(line);
        }
    }
    if streams == 0 {
        return Err(fail("no content stream"));
    }
    Ok(lines)
}

/// Reads a literal string starting after `(`; returns it and the index after `)`.
fn literal(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 1;
    while i < s.len() {
        let c = s[i];
        i += 1;
        match c {
            b'\\' => {
                let Some(&e) = s.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' | b'f' => {}
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match s.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((v & 0xff) as u8);
                    }
                    b'\r' | b'\n' => {}
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    (out, i)
}

fn hex_string(s: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut digits = Vec::new();
    while i < s.len() && s[i] != b'>' {
        if let Some(d) = (s[i] as char).to_digit(16) {
            digits.push(d as u8);
        }
        i += 1;
    }
    if digits.len() % 2 == 1 {
        digits.push(0);
    }
    let out = digits.chunks(2).map(|p| p[0] * 16 + p[1]).collect();
    (out, i + 1)
}

fn latin1(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(b))
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

/// The strings shown between BT and ET, with a line break at each line
/// operator (`Td`, `TD`, `T*`, `'`, `"`, `ET`).
fn text_operators(content: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    let flush = |current: &mut String, lines: &mut Vec<String>| {
        let t = current.trim();
        if !t.is_empty() {
            lines.push(t.to_string());
        }
        current.clear();
    };
    while i < content.len() {
        let c = content[i];
        match c {
            b'(' => {
                let (s, next) = literal(content, i + 1);
                pending.push(s);
                i = next;
            }
            b'<' if content.get(i + 1) != Some(&b'<') => {
                let (s, next) = hex_string(content, i + 1);
                pending.push(s);
                i = next;
            }
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'[' | b']' => i += 1,
            c if c.is_ascii_alphabetic() || c == b'\'' || c == b'"' || c == b'*' => {
                let start = i;
                while i < content.len()
                    && (content[i].is_ascii_alphanumeric() || b"'\"*".contains(&content[i]))
                {
                    i += 1;
                }
                let op = &content[start..i];
                match op {
                    b"Tj" | b"TJ" => {
                        for s in pending.drain(..) {
                            current.push_str(&latin1(&s));
                        }
                    }
                    b"'" | b"\"" => {
                        flush(&mut current, &mut lines);
                        for s in pending.drain(..) {
                            current.push_str(&latin1(&s));
                        }
                    }
                    b"Td" | b"TD" | b"T*" | b"ET" => {
                        pending.clear();
                        flush(&mut current, &mut lines);
                    }
                    _ => pending.clear(),
                }
            }
            _ => i += 1,
        }
    }
    flush(&mut current, &mut lines);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_give_lines() {
        let lines = text_operators(
            b"BT /F1 12 Tf 72 700 Td (Bonjour \\(docteur\\)) Tj T* [(R) -20 (\\351sultat)] TJ ET",
        );
        assert_eq!(lines, vec!["Bonjour (docteur)", "Résultat"]);
        assert_eq!(text_operators(b"BT <48656c6c6f> Tj ET"), vec!["Hello"]);
    }

    #[test]
    fn garbage_is_an_error_or_nothing() {
        assert!(extract_text(b"hello").is_err());
        assert!(extract_text(b"%PDF-1.4 nothing here").is_err());
        for cut in [
            b"%PDF-1.4 stream".as_slice(),
            b"%PDF-1.4 << /Filter /FlateDecode >> stream\n\x78\x9c garbage endstream",
            b"%PDF-(\\",
        ] {
            let _ = extract_text(cut);
        }
        assert!(text_operators(b"(unterminated \\").is_empty());
    }
}
