//! Text decoding for what mail-parser could not decode: a missing charset on
//! 8-bit text, a charset it does not know, or UTF-8 declared on Latin-1
//! bytes (common in older French software). Windows-1252 is the fallback
//! because it is a superset of Latin-1's printable range and what such mail
//! really uses.

/// Decode `bytes` declared as `label` (if any). Returns the text and whether
/// the Windows-1252 fallback was used instead of the declared charset.
pub(crate) fn decode_text(bytes: &[u8], label: Option<&str>) -> (String, bool) {
    let declared = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8 && *e != encoding_rs::REPLACEMENT);
    if let Some(encoding) = declared {
        let (text, _, had_errors) = encoding.decode(bytes);
        if !had_errors {
            return (text.into_owned(), false);
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), false),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_without_charset_fall_back_to_cp1252() {
        let (text, fallback) = decode_text(b"R\xe9sultat \x80 ", None);
        assert_eq!(text, "Résultat € ");
        assert!(fallback);
    }

    #[test]
    fn utf8_declared_on_latin1_bytes_is_repaired() {
        let (text, fallback) = decode_text(b"h\xf4pital", Some("utf-8"));
        assert_eq!(text, "hôpital");
        assert!(fallback);
    }

    #[test]
    fn declared_legacy_charset_is_used() {
        let (text, fallback) = decode_text(b"\xe9t\xe9", Some("ISO-8859-15"));
        assert_eq!(text, "été");
        assert!(!fallback);
    }
}
