//! Reply and forward subjects. French clients use `RE:` and `TR:`; others
//! send `Re:`, `Fwd:`, `AW:`… Prefixes are stripped before one is added, so a
//! long thread never grows `RE: RE: TR: RE:`.

const PREFIXES: [&str; 7] = ["re", "tr", "fwd", "fw", "aw", "wg", "réf"];

/// The subject without any leading reply/forward prefixes (also `RE[2]:`).
pub fn strip_prefixes(subject: &str) -> &str {
    let mut s = subject.trim_start();
    loop {
        let Some(rest) = strip_one(s) else { return s };
        s = rest.trim_start();
    }
}

fn strip_one(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let head = &s[..colon];
    // `RE[2]` and `RE(2)` counters, as some clients write them.
    let word = head
        .split_once(['[', '('])
        .map_or(head, |(w, n)| {
            if n.trim_end_matches([']', ')'])
                .chars()
                .all(|c| c.is_ascii_digit())
            {
                w
            } else {
                ""
            }
        })
        .trim();
    let lower = word.to_lowercase();
    PREFIXES.contains(&lower.as_str()).then(|| &s[colon + 1..])
}

pub fn reply_subject(original: &str) -> String {
    format!("RE: {}", strip_prefixes(original))
}

pub fn forward_subject(original: &str) -> String {
    format!("TR: {}", strip_prefixes(original))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_stack() {
        assert_eq!(reply_subject("Bilan"), "RE: Bilan");
        assert_eq!(reply_subject("RE: Bilan"), "RE: Bilan");
        assert_eq!(reply_subject("Re: TR: re[2]: Fwd: Bilan"), "RE: Bilan");
        assert_eq!(forward_subject("RE: Bilan"), "TR: Bilan");
        assert_eq!(forward_subject("tr:Bilan"), "TR: Bilan");
    }

    #[test]
    fn colons_that_are_not_prefixes_stay() {
        assert_eq!(
            reply_subject("XDM/1.0/DDM+CR: DUPONT"),
            "RE: XDM/1.0/DDM+CR: DUPONT"
        );
        assert_eq!(reply_subject("Note: à lire"), "RE: Note: à lire");
        assert_eq!(reply_subject(""), "RE: ");
    }
}
