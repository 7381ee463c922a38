//! Opened documents kept for offline review: the entry and its bytes as
//! one value of the encrypted store's records tree (keyed there by hashed
//! INS and document id), and how a cached list or document is read back.
//!
//! Invariants: only documents a professional was shown are cached (masked
//! ones never reach here); a cached list goes through
//! [`visible_to_professional`] again; cached bytes are checked against the
//! entry's size and SHA-1 before use, like fresh ones.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::Error;
use super::backend::{DocumentEntry, PurposeOfUse, verify_content, visible_to_professional};

/// One cached document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedRecord {
    pub entry: DocumentEntry,
    /// The document bytes, base64 (the store value is JSON).
    pub content: String,
    /// Unix time of the retrieval.
    pub cached_at: i64,
}

impl CachedRecord {
    pub fn new(entry: &DocumentEntry, bytes: &[u8], now: i64) -> CachedRecord {
        CachedRecord {
            entry: entry.clone(),
            content: B64.encode(bytes),
            cached_at: now,
        }
    }

    /// The bytes, verified against the entry.
    pub fn bytes(&self) -> Result<Vec<u8>, Error> {
        let bytes = B64.decode(&self.content).map_err(|_| Error::Integrity {
            what: "cached copy",
        })?;
        verify_content(&self.entry, &bytes)?;
        Ok(bytes)
    }
}

/// The cached entries of a patient as a list for a professional.
pub fn list(cached: Vec<CachedRecord>) -> Vec<DocumentEntry> {
    visible_to_professional(
        cached.into_iter().map(|c| c.entry).collect(),
        &PurposeOfUse::Normal,
    )
}

/// The cached copy of `entry`, if any.
pub fn find<'a>(cached: &'a [CachedRecord], entry: &DocumentEntry) -> Option<&'a CachedRecord> {
    cached.iter().find(|c| c.entry.id == entry.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::backend::{Coding, Masking};

    #[test]
    fn cached_copies_are_checked_and_masked_ones_stay_out() {
        let bytes = b"<ClinicalDocument/>";
        let entry = DocumentEntry {
            id: "a".into(),
            size: Some(bytes.len() as u64),
            sha1: Some(
                ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
                    .as_ref()
                    .to_vec(),
            ),
            ..DocumentEntry::default()
        };
        let good = CachedRecord::new(&entry, bytes, 1);
        assert_eq!(good.bytes().unwrap(), bytes);
        let json = serde_json::to_vec(&good).unwrap();
        let back: CachedRecord = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, good);
        let mut altered = good.clone();
        altered.content = B64.encode(b"<ClinicalDocument/ >");
        assert!(altered.bytes().is_err());

        let codes = [Coding {
            system: None,
            code: crate::records::backend::MASQUE_PS.into(),
            display: None,
        }];
        let mut masked = good.clone();
        masked.entry.id = "m".into();
        masked.entry.masking = Masking::from_codes(&codes);
        let listed = list(vec![good.clone(), masked]);
        assert_eq!(listed.len(), 1);
        assert!(find(&[good], &entry).is_some());
    }
}
