//! The recovery code: 30 characters of RFC 4648 base32 (150 bits), shown
//! once as 6 groups of 5 at profile creation. It derives, with Argon2id, a
//! key that seals a second copy of the data key, so a lost card can be
//! replaced without losing the profile. Parsing forgives case, spaces,
//! dashes and the look-alikes 0/1/8 (read as O/I/B).

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use super::crypto::{Secret32, random_bytes};
use super::error::{Error, Result};

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CODE_CHARS: usize = 30;
const GROUP: usize = 5;

/// Argon2id cost recorded in the header (memory in KiB, passes, lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes: about a second on a workstation, run only when a
    /// profile is created or recovered.
    fn default() -> Self {
        KdfParams {
            m_kib: 64 * 1024,
            t: 3,
            p: 1,
        }
    }
}

/// A recovery code; its text is a secret (no `Display`, redacted `Debug`).
pub struct RecoveryCode {
    normalized: Zeroizing<String>,
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// A fresh random code.
    pub fn generate() -> Result<Self> {
        let raw = Zeroizing::new(random_bytes::<CODE_CHARS>()?);
        // 32 divides 256, so masking keeps the distribution uniform.
        let s: String = raw
            .iter()
            .map(|b| ALPHABET[usize::from(b & 31)] as char)
            .collect();
        Ok(RecoveryCode {
            normalized: Zeroizing::new(s),
        })
    }

    /// Parses what a person typed.
    pub fn parse(typed: &str) -> Result<Self> {
        let mut s = Zeroizing::new(String::with_capacity(CODE_CHARS));
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\t' | '\n' | '\r' => continue,
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                c => c,
            };
            if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
                return Err(Error::BadRecoveryCode);
            }
            s.push(c);
        }
        if s.len() != CODE_CHARS {
            return Err(Error::BadRecoveryCode);
        }
        Ok(RecoveryCode { normalized: s })
    }

    /// The code for display, grouped: `ABCDE-FGHIJ-...`.
    pub fn grouped(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP));
        for (i, c) in self.normalized.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The Argon2id key for this code.
    pub(crate) fn derive(&self, salt: &[u8], params: KdfParams) -> Result<Secret32> {
        let p =
            Params::new(params.m_kib, params.t, params.p, Some(32)).map_err(|_| Error::Header {
                reason: "invalid recovery KDF parameters".into(),
            })?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
            .hash_password_into(self.normalized.as_bytes(), salt, out.as_mut())
            .map_err(|_| Error::Crypto { what: "argon2id" })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_code_parses_back_in_every_typed_form() {
        let c = RecoveryCode::generate().unwrap();
        let g = c.grouped();
        assert_eq!(g.len(), 35);
        assert_eq!(g.split('-').count(), 6);
        let again = RecoveryCode::parse(&g.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(*again.normalized, *c.normalized);
    }

    #[test]
    fn malformed_codes_are_refused() {
        assert!(RecoveryCode::parse("ABCDE").is_err());
        assert!(RecoveryCode::parse(&"A".repeat(31)).is_err());
        assert!(RecoveryCode::parse(&format!("{}!", "A".repeat(29))).is_err());
        assert!(RecoveryCode::parse(&"é".repeat(30)).is_err());
        let ok = RecoveryCode::parse(&format!("{}01", "A".repeat(28))).unwrap();
        assert!(ok.normalized.ends_with("OI"));
    }

    #[test]
    fn two_codes_differ() {
        let a = RecoveryCode::generate().unwrap();
        let b = RecoveryCode::generate().unwrap();
        assert_ne!(*a.normalized, *b.normalized);
    }
}
