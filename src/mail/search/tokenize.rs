//! Tokens for indexing and querying: accent-folded with deunicode
//! (`Hôpital` → `hopital`, `œdème` → `oedeme`), lower case, split on
//! anything not a letter or digit (so `l'hôpital` and `jean-pierre` split
//! and e-mail addresses become their words). One-letter tokens — French
//! elisions `l'`, `d'`, `j'` — are dropped unless they are digits.

/// Longer tokens are cut: nobody searches for them and they bloat the index.
const MAX_TOKEN_CHARS: usize = 48;

pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        let keep = current.chars().count() >= 2 || current.chars().all(|c| c.is_ascii_digit());
        if !current.is_empty() && keep {
            tokens.push(std::mem::take(current));
        } else {
            current.clear();
        }
    };
    for ch in text.chars() {
        if ch.is_ascii() {
            if ch.is_ascii_alphanumeric() {
                if current.len() < MAX_TOKEN_CHARS {
                    current.push(ch.to_ascii_lowercase());
                }
            } else {
                flush(&mut current, &mut tokens);
            }
            continue;
        }
        if !ch.is_alphanumeric() {
            flush(&mut current, &mut tokens);
            continue;
        }
        // deunicode may give several characters, or words with spaces (CJK).
        match deunicode::deunicode_char(ch) {
            Some(folded) => {
                for f in folded.chars() {
                    if f.is_ascii_alphanumeric() {
                        if current.len() < MAX_TOKEN_CHARS {
                            current.push(f.to_ascii_lowercase());
                        }
                    } else {
                        flush(&mut current, &mut tokens);
                    }
                }
            }
            None => {
                for lower in ch.to_lowercase() {
                    if current.len() < MAX_TOKEN_CHARS {
                        current.push(lower);
                    }
                }
            }
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_folded_and_split() {
        assert_eq!(
            tokenize("L'Hôpital de Jean-Pierre : œdème, 12 mg/j."),
            ["hopital", "de", "jean", "pierre", "oedeme", "12", "mg"]
        );
        assert_eq!(
            tokenize("dr.martin@chu-lyon.example"),
            ["dr", "martin", "chu", "lyon", "example"]
        );
        assert_eq!(tokenize("ÉCHOGRAPHIE"), tokenize("echographie"));
    }

    #[test]
    fn long_tokens_are_cut_and_controls_split() {
        let t = tokenize(&"a".repeat(1000));
        assert_eq!(t[0].len(), MAX_TOKEN_CHARS);
        assert_eq!(tokenize("ab\u{1b}[2Jcd"), ["ab", "2jcd"]);
    }
}
