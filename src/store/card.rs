//! What the store needs from a card, and a software stand-in.
//!
//! The data key is wrapped to the card's authentication key with RSA
//! PKCS#1 v1.5 encryption (scheme `rsa-pkcs1v15`, version 1 in the profile
//! header). PKCS#1 v1.5 rather than OAEP because the CPS card's PSO DECIPHER
//! removes v1.5 padding and no OAEP support is documented for it; the padding
//! oracle risk (Bleichenbacher/Marvin) lies with the card's implementation,
//! which returns only the key to this process. The software unwrapper exists
//! for tests and the demo: its private key lives in memory only.

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use super::error::{Error, Result};

type StdResult<T, E> = std::result::Result<T, E>;

/// Name of the wrapping scheme recorded in the profile header.
pub const WRAP_SCHEME: &str = "rsa-pkcs1v15";
/// Version of the wrapping scheme.
pub const WRAP_VERSION: u32 = 1;

/// The card operations the store depends on. The card module implements it
/// over PC/SC (after PIN verification); [`SoftwareUnwrapper`] implements it in
/// memory.
pub trait KeyUnwrapper {
    /// The card holder's identifier (IDNPS); names the profile.
    fn holder_id(&self) -> String;
    /// DER SubjectPublicKeyInfo of the key used for wrapping.
    fn public_key_spki_der(&self) -> Result<Vec<u8>>;
    /// RSA decryption with PKCS#1 v1.5 padding removed (PSO DECIPHER).
    fn decipher(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

/// Encrypts `key` to the RSA public key in `spki_der` (PKCS#1 v1.5).
pub fn wrap_to(spki_der: &[u8], key: &[u8]) -> Result<Vec<u8>> {
    let public = rsa::PublicKey::from_public_key_der(spki_der).map_err(|_| Error::Card {
        reason: "the card's public key is not an RSA key".into(),
    })?;
    public
        .pkcs1v15_encrypt(key)
        .map_err(|_| Error::Crypto { what: "rsa wrap" })
}

/// An in-memory RSA-2048 key standing in for a card.
pub struct SoftwareUnwrapper {
    holder: String,
    key: rsa::PrivateKey,
}

impl std::fmt::Debug for SoftwareUnwrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareUnwrapper")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl SoftwareUnwrapper {
    /// Generates a fresh RSA-2048 key for `holder`.
    pub fn generate(holder: &str) -> Result<Self> {
        let mut rng = OsRng;
        let key = rsa::PrivateKey::new(&mut rng, 2048)
            .map_err(|_| Error::Crypto { what: "rsa keygen" })?;
        Ok(SoftwareUnwrapper {
            holder: holder.to_string(),
            key,
        })
    }
}

impl SoftwareUnwrapper {
    /// Loads a key saved with [`to_pkcs8_der`](Self::to_pkcs8_der) (tests
    /// that span processes, the demo).
    pub fn from_pkcs8_der(holder: &str, der: &[u8]) -> Result<Self> {
        let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(|_| Error::Invalid {
            reason: "not a PKCS#8 RSA private key".into(),
        })?;
        Ok(SoftwareUnwrapper {
            holder: holder.to_string(),
            key,
        })
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.key
            .to_pkcs8_der()
            .map(|d| Zeroizing::new(d.as_bytes().to_vec()))
            .map_err(|_| Error::Crypto {
                what: "pkcs8 encode",
            })
    }
}

impl KeyUnwrapper for SoftwareUnwrapper {
    fn holder_id(&self) -> String {
        self.holder.clone()
    }

    fn public_key_spki_der(&self) -> Result<Vec<u8>> {
        self.key
            .to_public_key()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| Error::Crypto {
                what: "spki encode",
            })
    }

    fn decipher(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.key
            .pkcs1v15_decrypt(wrapped)
            .map(Zeroizing::new)
            .map_err(|_| Error::WrongCard)
    }
}

/// The OS RNG (getrandom) behind the `rand_core` traits `rsa` expects.
struct OsRng;

impl rsa::rand_core::TryRng for OsRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> StdResult<u32, Self::Error> {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|_| RngFailure)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> StdResult<u64, Self::Error> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|_| RngFailure)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> StdResult<(), Self::Error> {
        getrandom::fill(dst).map_err(|_| RngFailure)
    }
}

impl rsa::rand_core::TryCryptoRng for OsRng {}

/// The OS RNG failed.
#[derive(Debug)]
struct RngFailure;

impl std::fmt::Display for RngFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the OS random generator failed")
    }
}

impl std::error::Error for RngFailure {}

/// Shared cards (a provider handing out the same card twice).
impl<T: KeyUnwrapper + ?Sized> KeyUnwrapper for std::sync::Arc<T> {
    fn holder_id(&self) -> String {
        (**self).holder_id()
    }

    fn public_key_spki_der(&self) -> Result<Vec<u8>> {
        (**self).public_key_spki_der()
    }

    fn decipher(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        (**self).decipher(wrapped)
    }
}
