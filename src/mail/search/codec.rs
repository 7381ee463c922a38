//! Compact byte encodings for a persistent [`PostingStore`](super::PostingStore):
//! posting lists as delta-encoded LEB128 varints (UIDs are sorted and
//! dense, so most take one byte), document entries as a flagged date plus
//! their 32-byte keys. Decoding checks everything (order, overflow, length)
//! and fails cleanly: stored bytes are authenticated by the store, but a
//! decoder must not trust them to be well-formed.

use super::DocEntry;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the stored posting list is corrupt")]
    Postings,
    #[error("the stored document entry is corrupt")]
    Document,
}

/// Encode a strictly increasing UID list.
pub fn encode_postings(uids: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(uids.len() + 4);
    let mut previous: u32 = 0;
    for (i, &uid) in uids.iter().enumerate() {
        // The first value is stored as is, the others as gaps.
        let value = if i == 0 {
            uid
        } else {
            uid.wrapping_sub(previous)
        };
        push_varint(&mut out, value);
        previous = uid;
    }
    out
}

pub fn decode_postings(bytes: &[u8]) -> Result<Vec<u32>, CodecError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    let mut previous: Option<u32> = None;
    while pos < bytes.len() {
        let value = read_varint(bytes, &mut pos).ok_or(CodecError::Postings)?;
        let uid = match previous {
            None => value,
            Some(p) => {
                if value == 0 {
                    return Err(CodecError::Postings);
                }
                p.checked_add(value).ok_or(CodecError::Postings)?
            }
        };
        out.push(uid);
        previous = Some(uid);
    }
    Ok(out)
}

fn push_varint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        let chunk = u32::from(byte & 0x7f);
        if shift == 28 && chunk > 0x0f {
            return None;
        }
        value |= chunk << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// `[has_date: u8][date: i64 BE if present][keys: 32 bytes each]`.
pub fn encode_document(entry: &DocEntry) -> Vec<u8> {
    match entry.date {
        Some(date) => {
            let mut out = Vec::with_capacity(9);
            out.push(1);
            out.extend_from_slice(&date.to_be_bytes());
            out
        }
        None => vec![0],
    }
}

/// Reads a document entry. Entries written before the index became additive
/// carry the 32-byte keys they were filed under after the date: they are
/// accepted and the keys ignored.
pub fn decode_document(bytes: &[u8]) -> Result<DocEntry, CodecError> {
    let (date, rest) = match bytes.split_first() {
        Some((0, rest)) => (None, rest),
        Some((1, rest)) => {
            let (date, rest) = rest.split_first_chunk::<8>().ok_or(CodecError::Document)?;
            (Some(i64::from_be_bytes(*date)), rest)
        }
        _ => return Err(CodecError::Document),
    };
    if !rest.len().is_multiple_of(32) {
        return Err(CodecError::Document);
    }
    Ok(DocEntry { date })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_round_trip_compactly() {
        let uids = vec![0, 1, 2, 130, 20_000, u32::MAX];
        let bytes = encode_postings(&uids);
        assert_eq!(decode_postings(&bytes).unwrap(), uids);
        let dense: Vec<u32> = (1000..2000).collect();
        assert!(encode_postings(&dense).len() < 1010);
        assert_eq!(decode_postings(&[]).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn corrupt_postings_are_refused() {
        assert_eq!(decode_postings(&[0x80]), Err(CodecError::Postings)); // truncated
        assert_eq!(decode_postings(&[5, 0]), Err(CodecError::Postings)); // not increasing
        assert_eq!(
            decode_postings(&[0xff, 0xff, 0xff, 0xff, 0x7f]),
            Err(CodecError::Postings)
        ); // over 32 bits
        let mut overflow = encode_postings(&[u32::MAX - 1]);
        overflow.push(5);
        assert_eq!(decode_postings(&overflow), Err(CodecError::Postings));
    }

    #[test]
    fn documents_round_trip_and_corruption_is_refused() {
        let entry = DocEntry { date: Some(-5) };
        assert_eq!(encode_document(&entry).len(), 9);
        assert_eq!(decode_document(&encode_document(&entry)).unwrap(), entry);
        let undated = DocEntry { date: None };
        assert_eq!(
            decode_document(&encode_document(&undated)).unwrap(),
            undated
        );
        // an entry of the earlier format, with two 32-byte keys after the date
        let mut old = encode_document(&entry);
        old.extend_from_slice(&[7; 64]);
        assert_eq!(decode_document(&old).unwrap(), entry);
        old.pop();
        assert_eq!(decode_document(&old), Err(CodecError::Document));
        let mut bytes = encode_document(&entry);
        bytes.pop();
        assert_eq!(decode_document(&bytes), Err(CodecError::Document));
        assert_eq!(decode_document(&[2]), Err(CodecError::Document));
        assert_eq!(decode_document(&[]), Err(CodecError::Document));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let bytes: Vec<u8> = (0..rng.usize(0..80)).map(|_| rng.u8(..)).collect();
            let _ = decode_postings(&bytes);
            let _ = decode_document(&bytes);
        }
    }
}
