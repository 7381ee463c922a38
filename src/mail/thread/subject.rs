//! Subject normalisation for the subject fallback and for sorting: reply and
//! forward prefixes in English and French ("Re:", "RE :", "Fwd:", "TR:",
//! "Réf :") are removed, repeatedly, and case is folded.

const PREFIXES: [&str; 7] = ["re", "fw", "fwd", "tr", "ref", "réf", "aw"];

/// Strip one prefix like `Re:`, `RE :`, `Re[2]:`; `None` if there is none.
fn strip_one(subject: &str) -> Option<&str> {
    let s = subject.trim_start();
    let word_end = s.find(|c: char| !c.is_alphabetic()).unwrap_or(s.len());
    let word = s[..word_end].to_lowercase();
    if !PREFIXES.contains(&word.as_str()) {
        return None;
    }
    let mut rest = &s[word_end..];
    if let Some(after) = rest.strip_prefix('[') {
        let close = after.find(']')?;
        if !after[..close].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = &after[close + 1..];
    }
    rest.trim_start_matches(' ').strip_prefix(':')
}

/// True when the subject starts with a reply or forward prefix.
pub fn is_reply(subject: &str) -> bool {
    strip_one(subject).is_some()
}

/// The subject without reply/forward prefixes, whitespace collapsed, lower case.
pub fn normalize_subject(subject: &str) -> String {
    let mut s = subject;
    // Bounded: each round removes at least the prefix word.
    while let Some(rest) = strip_one(s) {
        s = rest;
    }
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_prefixes_are_removed() {
        assert_eq!(
            normalize_subject("RE : TR: Re[2]: Bilan  sanguin"),
            "bilan sanguin"
        );
        assert_eq!(normalize_subject("Réf : Courrier"), "courrier");
        assert_eq!(normalize_subject("Relance dossier"), "relance dossier");
        assert!(is_reply("Re: x"));
        assert!(!is_reply("Relance"));
    }
}
