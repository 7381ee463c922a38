//! SMTP replies as text lines: the multi-line reply parser used before TLS
//! (greeting, EHLO, STARTTLS), and the SIZE value of an EHLO reply.

/// One complete reply: its code and text lines (without the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

/// Result of feeding one line to a reply being read.
pub enum Line {
    /// More lines follow (`250-…`).
    More,
    /// The last line (`250 …`).
    Last,
}

/// Parses one reply line; `None` when it is not `ddd[ -]text`.
pub fn parse_line(line: &str) -> Option<(u16, Line, &str)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let code = line.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = code.parse().ok()?;
    if !(200..600).contains(&code) {
        return None;
    }
    match line.as_bytes().get(3) {
        None => Some((code, Line::Last, "")),
        Some(b' ') => Some((code, Line::Last, line.get(4..).unwrap_or(""))),
        Some(b'-') => Some((code, Line::More, line.get(4..).unwrap_or(""))),
        Some(_) => None,
    }
}

/// The SIZE limit (RFC 1870) announced in EHLO reply lines: `Some(0)` means
/// "no fixed limit", `None` that the extension is absent.
pub fn ehlo_size_limit<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    lines.into_iter().find_map(|l| {
        let mut words = l.split_ascii_whitespace();
        let kw = words.next()?;
        if !kw.eq_ignore_ascii_case("SIZE") {
            return None;
        }
        // A missing or unparsable number is treated as "no limit declared".
        Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0))
    })
}

/// Whether an EHLO reply lists a keyword (`STARTTLS`, `8BITMIME`, `AUTH` mechanisms…).
pub fn ehlo_has(lines: &[String], keyword: &str) -> bool {
    lines.iter().any(|l| {
        l.split_ascii_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    })
}

/// Whether the EHLO `AUTH` line lists the mechanism.
pub fn ehlo_auth_has(lines: &[String], mechanism: &str) -> bool {
    lines.iter().any(|l| {
        let mut words = l.split_ascii_whitespace();
        words.next().is_some_and(|k| k.eq_ignore_ascii_case("AUTH"))
            && words.any(|m| m.eq_ignore_ascii_case(mechanism))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_read_from_ehlo() {
        assert_eq!(
            ehlo_size_limit([
                "smtp.example.test",
                "PIPELINING",
                "SIZE 10240000",
                "8BITMIME"
            ]),
            Some(10_240_000)
        );
        assert_eq!(ehlo_size_limit(["size"]), Some(0));
        assert_eq!(ehlo_size_limit(["SIZE junk"]), Some(0));
        assert_eq!(ehlo_size_limit(["PIPELINING", "SIZEX 12"]), None);
    }

    #[test]
    fn reply_lines_parse_and_junk_is_refused() {
        assert!(matches!(
            parse_line("250-STARTTLS\r\n"),
            Some((250, Line::More, "STARTTLS"))
        ));
        assert!(matches!(
            parse_line("220 ready"),
            Some((220, Line::Last, "ready"))
        ));
        assert!(matches!(parse_line("354"), Some((354, Line::Last, ""))));
        for bad in ["", "25", "abc ok", "250xok", "999 no", "é50 x"] {
            assert!(parse_line(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn keywords_and_auth_mechanisms() {
        let lines: Vec<String> = ["mx", "AUTH PLAIN LOGIN", "starttls"]
            .map(String::from)
            .into();
        assert!(ehlo_has(&lines, "STARTTLS"));
        assert!(!ehlo_has(&lines, "8BITMIME"));
        assert!(ehlo_auth_has(&lines, "login"));
        assert!(!ehlo_auth_has(&lines, "EXTERNAL"));
    }
}
