//! Search-key normalisation and the bounded edit distance used for typos.
//!
//! A key is ASCII lowercase letters and digits, words separated by one space:
//! accents are folded (deunicode), case is folded, every other character is a
//! word break. Index keys and queries go through the same function, which is
//! what makes search accent- and case-insensitive.

/// Separator between the two name parts inside an index key. It sorts below
/// every normalised character, so an exact family name sorts before longer
/// names that merely start with it ("martin" before "martineau").
pub const PART_SEP: u8 = 0x01;

/// Normalises `text` into `out` (cleared first).
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    let push = |c: char, out: &mut String, pending_space: &mut bool| {
        if c.is_ascii_alphanumeric() {
            if *pending_space && !out.is_empty() {
                out.push(' ');
            }
            *pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            *pending_space = true;
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            push(c, out, &mut pending_space);
        } else {
            // Ligatures such as "œ" fold to several letters.
            for d in deunicode::deunicode_char(c).unwrap_or(" ").chars() {
                push(d, out, &mut pending_space);
            }
        }
    }
}

pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Optimal-string-alignment distance between `a` and `b`, or `None` when it
/// exceeds `max`. Transpositions count as one edit (the most common typo).
pub fn bounded_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rolling rows are enough for OSA; names are short.
    let n = b.len();
    let mut prev2: Vec<usize> = vec![0; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur: Vec<usize> = vec![0; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[n];
    (d <= max).then_some(d)
}

/// How many typos a query word of this length may carry.
pub fn typo_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(normalize("  LÉGER-Dupré d'Œuf "), "leger dupre d oeuf");
        assert_eq!(normalize("Hélène"), "helene");
        assert_eq!(normalize("--"), "");
    }

    #[test]
    fn distance_counts_transpositions_once_and_respects_bound() {
        assert_eq!(bounded_distance(b"martin", b"martin", 1), Some(0));
        assert_eq!(bounded_distance(b"martin", b"matrin", 1), Some(1));
        assert_eq!(bounded_distance(b"martin", b"marti", 1), Some(1));
        assert_eq!(bounded_distance(b"martin", b"morton", 1), None);
        assert_eq!(bounded_distance(b"martin", b"morton", 2), Some(2));
    }
}
