//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) built from HChaCha20 and
//! ring's ChaCha20-Poly1305 (RFC 8439), which has SIMD assembly and is several
//! times faster than the portable implementation on small and large values.
//! The construction: subkey = HChaCha20(key, nonce[0..16]); then
//! ChaCha20-Poly1305 under the subkey with the 12-byte nonce
//! `0x00000000 || nonce[16..24]`. The output is byte for byte the XChaCha20
//! format the store always wrote, so no stored value changes.
//!
//! Key hygiene, and why ring is acceptable here: ring's `LessSafeKey` does
//! not wipe its key on drop. It only ever receives the per-value subkey,
//! never the long-lived value key: the subkey is derived from a random
//! 128-bit nonce prefix, opens exactly one value, and lives for one call. The
//! long-lived key and the HChaCha20 state stay in zeroizing buffers here, so
//! the residue ring may leave on the stack cannot decrypt anything but the
//! value that call just returned (which the caller holds in the clear anyway).

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::Zeroizing;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;

/// The AEAD refused: wrong key, nonce, associated data, tag or ciphertext.
/// Carries nothing, on purpose (no oracle detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// "expand 32-byte k", little-endian words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// HChaCha20 (draft section 2.2): the ChaCha20 block function on
/// `constants || key || input`, without the final addition, keeping words
/// 0-3 and 12-15. A pseudo-random function of the key: the result reveals
/// nothing about `key`.
pub fn hchacha20(key: &[u8; KEY_LEN], input: &[u8; 16]) -> Zeroizing<[u8; 32]> {
    let mut s = Zeroizing::new([0u32; 16]);
    s[..4].copy_from_slice(&SIGMA);
    for (w, b) in s[4..12].iter_mut().zip(key.chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    for (w, b) in s[12..16].iter_mut().zip(input.chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    for _ in 0..10 {
        // A column round, then a diagonal round.
        quarter_round(&mut s, 0, 4, 8, 12);
        quarter_round(&mut s, 1, 5, 9, 13);
        quarter_round(&mut s, 2, 6, 10, 14);
        quarter_round(&mut s, 3, 7, 11, 15);
        quarter_round(&mut s, 0, 5, 10, 15);
        quarter_round(&mut s, 1, 6, 11, 12);
        quarter_round(&mut s, 2, 7, 8, 13);
        quarter_round(&mut s, 3, 4, 9, 14);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    let words = s[..4].iter().chain(&s[12..16]);
    for (o, w) in out.chunks_exact_mut(4).zip(words) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// ring's key and nonce for one value: the HChaCha20 subkey and the nonce tail.
fn value_cipher(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<(LessSafeKey, Nonce), Rejected> {
    let (prefix, tail) = nonce.split_at(16);
    let mut head = [0u8; 16];
    head.copy_from_slice(prefix);
    let subkey = hchacha20(key, &head);
    // ring accepts every 32-byte key for this algorithm; the error arm is kept
    // so that no path can panic.
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, subkey.as_ref()).map_err(|_| Rejected)?;
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(tail);
    Ok((LessSafeKey::new(unbound), Nonce::assume_unique_for_key(n)))
}

/// Encrypts `in_out` in place and returns the tag.
pub fn seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; TAG_LEN], Rejected> {
    let (cipher, n) = value_cipher(key, nonce)?;
    let tag = cipher
        .seal_in_place_separate_tag(n, Aad::from(aad), in_out)
        .map_err(|_| Rejected)?;
    let mut t = [0u8; TAG_LEN];
    t.copy_from_slice(tag.as_ref());
    Ok(t)
}

/// Checks `tag` and decrypts `in_out` in place. On `Rejected` the buffer
/// content is unspecified and must be discarded.
pub fn open_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    in_out: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), Rejected> {
    let (cipher, n) = value_cipher(key, nonce)?;
    cipher
        .open_in_place_separate_tag(n, Aad::from(aad), Tag::from(*tag), in_out, 0..)
        .map_err(|_| Rejected)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    fn arr<const N: usize>(h: &str) -> [u8; N] {
        hex::decode(h).unwrap().try_into().unwrap()
    }

    #[test]
    fn hchacha20_matches_the_draft_vector() {
        // draft-irtf-cfrg-xchacha-03, section 2.2.1.
        let key = arr::<32>("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let input = arr::<16>("000000090000004a0000000031415927");
        assert_eq!(
            hex::encode(hchacha20(&key, &input).as_ref()),
            "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
        );
    }

    #[test]
    fn aead_matches_the_draft_vector() {
        // draft-irtf-cfrg-xchacha-03, appendix A.3.1.
        let key = arr::<32>("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        let nonce = arr::<24>("404142434445464748494a4b4c4d4e4f5051525354555657");
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let plain: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
            only one tip for the future, sunscreen would be it.";
        let cipher = "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb\
                      731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452\
                      2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9\
                      21f9664c97637da9768812f615c68b13b52e";
        let mut buf = plain.to_vec();
        let tag = seal_in_place(&key, &nonce, &aad, &mut buf).unwrap();
        assert_eq!(hex::encode(&buf), cipher);
        assert_eq!(hex::encode(tag), "c0875924c1c7987947deafd8780acf49");
        open_in_place(&key, &nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, plain);
    }

    #[test]
    fn interoperates_with_the_portable_implementation() {
        // What the store wrote before (RustCrypto) opens here and the other
        // way round, across lengths that straddle ChaCha and Poly1305 blocks.
        fastrand::seed(11);
        for len in [
            0usize, 1, 15, 16, 17, 63, 64, 65, 255, 256, 414, 4096, 50_001,
        ] {
            let key: [u8; 32] = std::array::from_fn(|_| fastrand::u8(..));
            let nonce: [u8; 24] = std::array::from_fn(|_| fastrand::u8(..));
            let aad: Vec<u8> = (0..fastrand::usize(0..40))
                .map(|_| fastrand::u8(..))
                .collect();
            let plain: Vec<u8> = (0..len).map(|_| fastrand::u8(..)).collect();
            let other = XChaCha20Poly1305::new_from_slice(&key).unwrap();
            let xn = XNonce::from(nonce);

            let mut ours = plain.clone();
            let tag = seal_in_place(&key, &nonce, &aad, &mut ours).unwrap();
            let mut theirs = plain.clone();
            let their_tag = other
                .encrypt_inout_detached(&xn, &aad, theirs.as_mut_slice().into())
                .unwrap();
            assert_eq!(ours, theirs, "ciphertext, len {len}");
            assert_eq!(&tag[..], &their_tag[..], "tag, len {len}");

            open_in_place(&key, &nonce, &aad, &mut theirs, &tag).unwrap();
            assert_eq!(theirs, plain, "len {len}");
        }
    }

    #[test]
    fn any_change_is_rejected() {
        let key = [7u8; 32];
        let nonce = [9u8; 24];
        let mut sealed = b"compte rendu".to_vec();
        let tag = seal_in_place(&key, &nonce, b"k", &mut sealed).unwrap();
        let open = |k: &[u8; 32], n: &[u8; 24], aad: &[u8], body: &[u8], t: &[u8; 16]| {
            open_in_place(k, n, aad, &mut body.to_vec(), t)
        };
        assert_eq!(open(&key, &nonce, b"k", &sealed, &tag), Ok(()));
        assert_eq!(open(&[8u8; 32], &nonce, b"k", &sealed, &tag), Err(Rejected));
        assert_eq!(open(&key, &nonce, b"K", &sealed, &tag), Err(Rejected));
        for i in 0..NONCE_LEN {
            let mut n = nonce;
            n[i] ^= 1;
            assert_eq!(
                open(&key, &n, b"k", &sealed, &tag),
                Err(Rejected),
                "nonce {i}"
            );
        }
        for i in 0..sealed.len() {
            let mut b = sealed.clone();
            b[i] ^= 0x80;
            assert_eq!(
                open(&key, &nonce, b"k", &b, &tag),
                Err(Rejected),
                "byte {i}"
            );
        }
        let mut t = tag;
        t[15] ^= 1;
        assert_eq!(open(&key, &nonce, b"k", &sealed, &t), Err(Rejected));
    }
}
