//! A minimal BER-TLV reader for card answers (FCP templates, GET DATA). It
//! accepts multi-byte tags and lengths up to two bytes and reports truncation
//! as `None` rather than reading past the end.

/// One TLV: tag bytes, value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: &'a [u8],
    pub value: &'a [u8],
}

impl Tlv<'_> {
    /// Constructed encoding (bit 6 of the first tag byte).
    pub fn constructed(&self) -> bool {
        self.tag.first().is_some_and(|b| b & 0x20 != 0)
    }
}

/// Parses a sequence of TLVs; `None` when the bytes are truncated or malformed.
pub fn parse(mut data: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        // Padding bytes between objects are allowed by ISO 7816-4.
        if data[0] == 0x00 || data[0] == 0xFF {
            data = &data[1..];
            continue;
        }
        let mut tag_len = 1;
        if data[0] & 0x1F == 0x1F {
            loop {
                let b = *data.get(tag_len)?;
                tag_len += 1;
                if b & 0x80 == 0 || tag_len > 4 {
                    break;
                }
            }
        }
        let (len, len_len) = match *data.get(tag_len)? {
            n if n < 0x80 => (usize::from(n), 1),
            0x81 => (usize::from(*data.get(tag_len + 1)?), 2),
            0x82 => (
                usize::from(u16::from_be_bytes([
                    *data.get(tag_len + 1)?,
                    *data.get(tag_len + 2)?,
                ])),
                3,
            ),
            _ => return None,
        };
        let start = tag_len + len_len;
        let end = start.checked_add(len)?;
        let value = data.get(start..end)?;
        out.push(Tlv {
            tag: &data[..tag_len],
            value,
        });
        data = &data[end..];
    }
    Some(out)
}

/// Depth-first search for the first object with `tag`, descending into
/// constructed objects; `None` when absent or malformed.
pub fn find<'a>(data: &'a [u8], tag: &[u8]) -> Option<&'a [u8]> {
    find_depth(data, tag, 0)
}

fn find_depth<'a>(data: &'a [u8], tag: &[u8], depth: usize) -> Option<&'a [u8]> {
    if depth > 8 {
        return None;
    }
    for tlv in parse(data)? {
        if tlv.tag == tag {
            return Some(tlv.value);
        }
        if tlv.constructed()
            && let Some(v) = find_depth(tlv.value, tag, depth + 1)
        {
            return Some(v);
        }
    }
    None
}

/// Encodes one TLV (lengths up to 65535).
pub fn encode(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            let n = u16::try_from(n).unwrap_or(u16::MAX);
            out.push(0x82);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_multibyte_tags() {
        let inner = [encode(&[0x9A], &[3]), encode(&[0x9B], &[2])].concat();
        let data = encode(
            &[0x70],
            &encode(&[0xBF, 0x81, 0x01], &encode(&[0xA0], &inner)),
        );
        assert_eq!(find(&data, &[0x9B]), Some(&[2u8][..]));
        assert_eq!(find(&data, &[0x9C]), None);
    }

    #[test]
    fn truncation_is_none() {
        assert_eq!(parse(&[0x80, 0x05, 1, 2]), None);
        assert_eq!(parse(&[0x9F]), None);
        assert_eq!(parse(&[0x80, 0x83, 0, 0, 0]), None);
        assert_eq!(find(&[0x62, 0x04, 0x80, 0x09], &[0x80]), None);
    }

    #[test]
    fn long_lengths_round_trip() {
        let v = vec![5u8; 300];
        let e = encode(&[0x53], &v);
        assert_eq!(parse(&e).unwrap()[0].value, &v[..]);
    }
}
