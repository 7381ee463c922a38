//! Keyed hashing of index terms. The index stores only these keys; the
//! store layer owns the secret (derived from the profile key) and hands a
//! hasher to the index.

use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroizing;

use super::Field;

/// An opaque index key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermKey(pub [u8; 32]);

impl TermKey {
    /// The first eight bytes, as a number (a key is a keyed hash: these
    /// bytes are uniformly spread).
    pub fn prefix(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        u64::from_be_bytes([a, b, c, d, e, f, g, h])
    }
}

impl std::fmt::Debug for TermKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TermKey({})", hex::encode(&self.0[..6]))
    }
}

/// A `Hasher` for maps keyed by [`TermKey`]: the keys are keyed hashes
/// already (uniform, and nobody without the secret can choose them), so
/// eight of their bytes are as good a hash as any and cost nothing. Not for
/// anything else: it would be trivial to flood with chosen inputs.
#[derive(Debug, Default, Clone, Copy)]
pub struct TermKeyHasher(u64);

impl std::hash::Hasher for TermKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(word);
    }
}

/// A map keyed by [`TermKey`] with [`TermKeyHasher`].
pub type TermKeyMap<V> =
    std::collections::HashMap<TermKey, V, std::hash::BuildHasherDefault<TermKeyHasher>>;

/// Turns `(field, term)` into a key; must be deterministic for a given
/// secret and must not be invertible without it.
pub trait TermHasher {
    fn hash(&self, field: Field, term: &str) -> [u8; 32];
}

/// HMAC-SHA-256 over `field tag || term`, with a 32-byte secret. The caller's
/// secret stays in its `Zeroizing` buffer; the pre-keyed HMAC state kept
/// here is key-equivalent and, hmac 0.13 offering no zeroize-on-drop for it,
/// lives as long as the hasher: keep one per unlocked session.
pub struct HmacTermHasher {
    keyed: Hmac<sha2::Sha256>,
}

impl HmacTermHasher {
    pub fn new(secret: &Zeroizing<[u8; 32]>) -> Self {
        // HMAC accepts keys of any length, so this cannot fail for 32 bytes;
        // the fallback keeps clippy's no-panic rule without an expect.
        let keyed = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_slice())
            .unwrap_or_else(|_| <Hmac<sha2::Sha256> as KeyInit>::new(&Default::default()));
        HmacTermHasher { keyed }
    }
}

impl std::fmt::Debug for HmacTermHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacTermHasher(<secret>)")
    }
}

impl TermHasher for HmacTermHasher {
    fn hash(&self, field: Field, term: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(&[field.tag(), 0]);
        mac.update(term.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_depends_on_secret_field_and_term() {
        let a = HmacTermHasher::new(&Zeroizing::new([1u8; 32]));
        let b = HmacTermHasher::new(&Zeroizing::new([2u8; 32]));
        assert_eq!(a.hash(Field::Body, "irm"), a.hash(Field::Body, "irm"));
        assert_ne!(a.hash(Field::Body, "irm"), b.hash(Field::Body, "irm"));
        assert_ne!(a.hash(Field::Body, "irm"), a.hash(Field::Subject, "irm"));
        assert_ne!(a.hash(Field::Body, "irm"), a.hash(Field::Body, "irn"));
        assert!(!format!("{a:?}").contains('1'));
    }
}
