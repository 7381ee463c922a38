//! Host-side RSA encodings (RFC 8017) for the operations the card leaves to
//! us: DigestInfo for PKCS#1 v1.5 signatures, the full EMSA-PKCS1-v1_5 and
//! EMSA-PSS blocks for cards that only do a raw RSA operation (CPS4), and
//! removal of the PKCS#1 v1.5 encryption padding after a raw decipher.

use sha2::Digest;
use zeroize::Zeroizing;

use super::error::Error;

/// Hash functions used with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// DER prefix of the DigestInfo for this hash (RFC 8017 §9.2 note 1).
    fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// Which hash a bare digest of this length is (for PSO CDS given a hash).
    pub fn from_len(len: usize) -> Option<HashAlg> {
        match len {
            32 => Some(HashAlg::Sha256),
            48 => Some(HashAlg::Sha384),
            64 => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

/// DigestInfo ::= SEQUENCE { algorithm, digest } for a digest of `hash`.
pub fn digest_info(hash: HashAlg, digest: &[u8]) -> Vec<u8> {
    [hash.digest_info_prefix(), digest].concat()
}

/// EMSA-PKCS1-v1_5 type 1 block of `k` bytes around `t` (a DigestInfo).
pub fn pkcs1_type1(t: &[u8], k: usize) -> Result<Vec<u8>, Error> {
    if t.len() + 11 > k {
        return Err(Error::Crypto {
            context: "digest too long for the key",
        });
    }
    let mut em = vec![0x00, 0x01];
    em.resize(k - t.len() - 1, 0xFF);
    em.push(0x00);
    em.extend_from_slice(t);
    Ok(em)
}

fn mgf1(hash: HashAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut counter: u32 = 0;
    while out.len() < len {
        out.extend_from_slice(&hash.digest(&[seed, &counter.to_be_bytes()].concat()));
        counter += 1;
    }
    out.truncate(len);
    out
}

/// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with MGF1 on the same hash and a salt
/// as long as the hash, as TLS 1.3 requires, for a key of `mod_bits` bits.
pub fn pss_encode(hash: HashAlg, m_hash: &[u8], mod_bits: usize) -> Result<Vec<u8>, Error> {
    let em_bits = mod_bits.saturating_sub(1);
    let em_len = em_bits.div_ceil(8);
    let h_len = hash.output_len();
    if m_hash.len() != h_len || em_len < 2 * h_len + 2 {
        return Err(Error::Crypto {
            context: "key too small for RSA-PSS",
        });
    }
    let mut salt = vec![0u8; h_len];
    getrandom::fill(&mut salt).map_err(|_| Error::Crypto {
        context: "no randomness for the PSS salt",
    })?;
    let h = hash.digest(&[&[0u8; 8][..], m_hash, &salt].concat());
    let db_len = em_len - h_len - 1;
    let mut db = vec![0u8; db_len - h_len - 1];
    db.push(0x01);
    db.extend_from_slice(&salt);
    for (d, m) in db.iter_mut().zip(mgf1(hash, &h, db_len)) {
        *d ^= m;
    }
    db[0] &= 0xFF >> (8 * em_len - em_bits);
    db.extend_from_slice(&h);
    db.push(0xBC);
    // A 2048-bit key gives em_len 256: the raw RSA input is exactly k bytes.
    let k = mod_bits.div_ceil(8);
    let mut out = vec![0u8; k - em_len];
    out.extend_from_slice(&db);
    Ok(out)
}

/// Removes EME-PKCS1-v1_5 (type 2) padding from a raw RSA decryption result.
pub fn pkcs1_type2_unpad(em: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bad = Error::Crypto {
        context: "the deciphered block is not PKCS#1 v1.5 padded",
    };
    if em.len() < 11 || em[0] != 0x00 || em[1] != 0x02 {
        return Err(bad);
    }
    let Some(sep) = em[2..].iter().position(|b| *b == 0) else {
        return Err(bad);
    };
    if sep < 8 {
        return Err(bad);
    }
    Ok(Zeroizing::new(em[2 + sep + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type1_layout() {
        let em = pkcs1_type1(&[1, 2, 3], 16).unwrap();
        assert_eq!(
            em,
            vec![
                0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 2, 3
            ]
        );
        assert!(pkcs1_type1(&[0; 10], 16).is_err());
    }

    #[test]
    fn type2_unpad_refuses_bad_blocks() {
        let mut em = vec![0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 42, 43];
        assert_eq!(&**pkcs1_type2_unpad(&em).unwrap(), &[42, 43]);
        em[1] = 1;
        assert!(pkcs1_type2_unpad(&em).is_err());
        assert!(pkcs1_type2_unpad(&[0, 2, 1, 0, 5]).is_err());
        assert!(pkcs1_type2_unpad(&[]).is_err());
    }

    #[test]
    fn digest_info_is_the_der_the_rsa_crate_verifies() {
        // sha256 prefix length: 19 bytes + 32 digest = 51 = 0x31 + 2
        let di = digest_info(HashAlg::Sha256, &[0; 32]);
        assert_eq!(di.len(), 51);
        assert_eq!(usize::from(di[1]) + 2, di.len());
    }
}
