//! Symmetric primitives of the store: the sub-keys derived from the data key,
//! value sealing (XChaCha20-Poly1305 with a random 192-bit nonce, see
//! [`super::xchacha`] for the fast implementation) and keyed hashes for index
//! keys. Invariant: every key byte lives in a `Zeroizing`
//! buffer, so dropping [`Keys`] (on lock) wipes it; the associated data of a
//! sealed value binds the format version, the logical tree and the full sled
//! key, so a value moved to another key or tree fails authentication.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::{Error, Result};
use super::xchacha::{self, NONCE_LEN, TAG_LEN};

/// Version byte in front of every sealed value.
pub const VALUE_FORMAT: u8 = 1;

/// A 256-bit secret.
pub type Secret32 = Zeroizing<[u8; 32]>;

/// Fills a fresh 256-bit secret from the OS RNG.
pub fn random_secret() -> Result<Secret32> {
    let mut k = Zeroizing::new([0u8; 32]);
    getrandom::fill(k.as_mut()).map_err(|_| Error::Crypto { what: "os rng" })?;
    Ok(k)
}

/// Random bytes from the OS RNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| Error::Crypto { what: "os rng" })?;
    Ok(b)
}

/// The keys of an unlocked profile, all derived from the data key.
pub struct Keys {
    /// The data key itself, kept to re-wrap it (card renewal, recovery).
    data: Secret32,
    /// Seals values.
    value: Secret32,
    /// Keys the HMAC that turns identifiers into index keys.
    index: Secret32,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Derives the sub-keys with HKDF-SHA256 (distinct `info` labels).
    pub fn derive(data: Secret32) -> Result<Keys> {
        let hk = Hkdf::<Sha256>::new(Some(b"cachet/store/v1"), data.as_ref());
        let mut value = Zeroizing::new([0u8; 32]);
        let mut index = Zeroizing::new([0u8; 32]);
        hk.expand(b"value-seal", value.as_mut())
            .map_err(|_| Error::Crypto { what: "hkdf" })?;
        hk.expand(b"index-hmac", index.as_mut())
            .map_err(|_| Error::Crypto { what: "hkdf" })?;
        Ok(Keys { data, value, index })
    }

    pub fn data_key(&self) -> &[u8; 32] {
        &self.data
    }

    /// HMAC-SHA256 of `label || 0x00 || input` under the index key. The label
    /// separates domains (a message id and an INS never collide).
    pub fn keyed_hash(&self, label: &str, input: &[u8]) -> Result<[u8; 32]> {
        keyed_hash(self.index.as_ref(), label, input)
    }

    /// Seals `plain` for the given associated data.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        seal(&self.value, aad, plain)
    }

    /// Opens a sealed value; a wrong key, aad or any flipped byte is an
    /// integrity error, never garbage.
    pub fn open(&self, aad: &[u8], sealed: &[u8], what: &str) -> Result<Zeroizing<Vec<u8>>> {
        open(&self.value, aad, sealed, what)
    }
}

/// HMAC-SHA256 with a domain label.
pub fn keyed_hash(key: &[u8], label: &str, input: &[u8]) -> Result<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::Crypto { what: "hmac key" })?;
    mac.update(label.as_bytes());
    mac.update(&[0]);
    mac.update(input);
    let out = mac.finalize().into_bytes();
    let mut h = [0u8; 32];
    h.copy_from_slice(&out);
    Ok(h)
}

/// `VALUE_FORMAT || nonce || ciphertext || tag`.
pub fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
    let nonce = random_bytes::<NONCE_LEN>()?;
    // Encrypt in place inside the output buffer: one copy of the plaintext.
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plain.len() + TAG_LEN);
    out.push(VALUE_FORMAT);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let tag = xchacha::seal_in_place(key, &nonce, &full_aad(aad), &mut out[1 + NONCE_LEN..])
        .map_err(|_| Error::Crypto { what: "aead seal" })?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens what [`seal`] produced.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8], what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let (format, rest) = sealed.split_first().ok_or_else(|| Error::integrity(what))?;
    if *format != VALUE_FORMAT || rest.len() < NONCE_LEN + TAG_LEN {
        return Err(Error::integrity(what));
    }
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::integrity(what))?;
    let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| Error::integrity(what))?;
    // Decrypted in a zeroizing buffer; on failure it is dropped (wiped)
    // without ever leaving this function.
    let mut plain = Zeroizing::new(body.to_vec());
    xchacha::open_in_place(key, nonce, &full_aad(aad), plain.as_mut_slice(), tag)
        .map_err(|_| Error::integrity(what))?;
    Ok(plain)
}

fn full_aad(aad: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(aad.len() + 16);
    a.extend_from_slice(b"cachet/v");
    a.push(VALUE_FORMAT);
    a.push(0);
    a.extend_from_slice(aad);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_roundtrip_and_binding() {
        let keys = Keys::derive(random_secret().unwrap()).unwrap();
        let sealed = keys.seal(b"tree1/key", b"hello").unwrap();
        assert_eq!(
            &keys.open(b"tree1/key", &sealed, "t").unwrap()[..],
            b"hello"
        );
        // another key or tree: refused
        assert!(matches!(
            keys.open(b"tree2/key", &sealed, "t"),
            Err(Error::Integrity { .. })
        ));
        // any flipped byte: refused
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(keys.open(b"tree1/key", &bad, "t").is_err(), "byte {i}");
        }
        // truncated
        assert!(keys.open(b"tree1/key", &sealed[..10], "t").is_err());
    }

    #[test]
    fn values_sealed_before_the_ring_path_still_open() {
        // The previous implementation sealed with RustCrypto's
        // XChaCha20Poly1305; the stored format is unchanged, so a value it
        // wrote opens here, and what we write opens with it.
        use chacha20poly1305::aead::{AeadInOut, KeyInit};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        let key = *random_secret().unwrap();
        let nonce = random_bytes::<NONCE_LEN>().unwrap();
        let plain = b"{\"subject\":\"compte rendu\"}";
        let old = XChaCha20Poly1305::new_from_slice(&key).unwrap();
        let mut body = plain.to_vec();
        let tag = old
            .encrypt_inout_detached(
                &XNonce::from(nonce),
                &full_aad(b"\x01key"),
                body.as_mut_slice().into(),
            )
            .unwrap();
        let stored = [&[VALUE_FORMAT][..], &nonce, &body, &tag].concat();
        assert_eq!(&open(&key, b"\x01key", &stored, "t").unwrap()[..], plain);

        let ours = seal(&key, b"\x01key", plain).unwrap();
        let (n, rest) = ours[1..].split_at(NONCE_LEN);
        let (ct, t) = rest.split_at(rest.len() - TAG_LEN);
        let mut back = ct.to_vec();
        old.decrypt_inout_detached(
            &XNonce::try_from(n).unwrap(),
            &full_aad(b"\x01key"),
            back.as_mut_slice().into(),
            &chacha20poly1305::Tag::try_from(t).unwrap(),
        )
        .unwrap();
        assert_eq!(back, plain);
    }

    #[test]
    fn key_material_is_wiped_on_drop() {
        // Compile-time guarantees: every key field is a zeroize-on-drop buffer,
        // so dropping `Keys` (Store::lock) wipes it.
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<Secret32>();
        wiped_on_drop::<Zeroizing<Vec<u8>>>();
        let keys = Keys::derive(random_secret().unwrap()).unwrap();
        assert_eq!(format!("{keys:?}"), "Keys(..)");
    }

    #[test]
    fn keyed_hash_separates_labels_and_keys() {
        let a = Keys::derive(random_secret().unwrap()).unwrap();
        let b = Keys::derive(random_secret().unwrap()).unwrap();
        assert_ne!(
            a.keyed_hash("x", b"v").unwrap(),
            a.keyed_hash("y", b"v").unwrap()
        );
        assert_ne!(
            a.keyed_hash("x", b"v").unwrap(),
            b.keyed_hash("x", b"v").unwrap()
        );
        assert_eq!(
            a.keyed_hash("x", b"v").unwrap(),
            a.keyed_hash("x", b"v").unwrap()
        );
    }
}
