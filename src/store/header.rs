//! The profile header (`header.json`): the only plaintext file of a profile.
//! It records the format, the card wrap (scheme, version, wrapped data key),
//! a key check value and the optional recovery wrap; nothing in it names the
//! holder or any content. It is replaced atomically (write, fsync, rename,
//! fsync the folder) so a crash leaves the old or the new header, never half.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use super::card::{KeyUnwrapper, WRAP_SCHEME, WRAP_VERSION, wrap_to};
use super::crypto::{self, Keys, Secret32};
use super::error::{Error, Result};
use super::recovery::{KdfParams, RecoveryCode};

pub const HEADER_FILE: &str = "header.json";
pub const HEADER_FORMAT: u32 = 1;
const KEY_CHECK_AAD: &[u8] = b"key-check";
const KEY_CHECK_TEXT: &[u8] = b"cachet profile key check";
const RECOVERY_AAD: &[u8] = b"recovery-wrap";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    pub card_wrap: CardWrap,
    /// Sealed constant proving an unwrapped key is the right one.
    pub key_check: String,
    pub recovery: Option<RecoveryWrap>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardWrap {
    pub scheme: String,
    pub version: u32,
    /// The data key encrypted to the card (base64).
    pub wrapped_key: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryWrap {
    pub kdf: String,
    pub version: u32,
    pub params: KdfParams,
    pub salt: String,
    /// The data key sealed under the Argon2id key (base64).
    pub sealed_key: String,
}

impl Header {
    /// A header for a new data key, wrapped to `card` (and to `recovery`).
    pub fn new(
        data: &Secret32,
        card: &dyn KeyUnwrapper,
        recovery: Option<&RecoveryCode>,
    ) -> Result<Header> {
        let keys = Keys::derive(Zeroizing::new(**data))?;
        let recovery = match recovery {
            Some(code) => Some(recovery_wrap(data, code)?),
            None => None,
        };
        Ok(Header {
            format: HEADER_FORMAT,
            card_wrap: card_wrap(data, card)?,
            key_check: B64.encode(keys.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT)?),
            recovery,
        })
    }

    /// The data key, deciphered by the card and checked.
    pub fn unwrap_with_card(&self, card: &dyn KeyUnwrapper) -> Result<Keys> {
        if self.card_wrap.scheme != WRAP_SCHEME || self.card_wrap.version != WRAP_VERSION {
            return Err(Error::Header {
                reason: format!(
                    "unknown key wrap {} v{}",
                    self.card_wrap.scheme, self.card_wrap.version
                ),
            });
        }
        let wrapped = decode(&self.card_wrap.wrapped_key)?;
        let plain = card.decipher(&wrapped)?;
        self.check(&plain).map_err(|_| Error::WrongCard)
    }

    /// The data key, recovered with the recovery code and checked.
    pub fn unwrap_with_code(&self, code: &RecoveryCode) -> Result<Keys> {
        let r = self.recovery.as_ref().ok_or(Error::NoRecovery)?;
        if r.kdf != "argon2id" || r.version != 1 {
            return Err(Error::Header {
                reason: format!("unknown recovery KDF {} v{}", r.kdf, r.version),
            });
        }
        let kek = code.derive(&decode(&r.salt)?, r.params)?;
        let plain = crypto::open(&kek, RECOVERY_AAD, &decode(&r.sealed_key)?, "recovery wrap")
            .map_err(|_| Error::BadRecoveryCode)?;
        self.check(&plain).map_err(|_| Error::BadRecoveryCode)
    }

    /// Replaces the card wrap (card renewal).
    pub fn rewrap(&mut self, keys: &Keys, card: &dyn KeyUnwrapper) -> Result<()> {
        self.card_wrap = card_wrap(&Zeroizing::new(*keys.data_key()), card)?;
        Ok(())
    }

    fn check(&self, plain: &[u8]) -> Result<Keys> {
        let data: [u8; 32] = plain.try_into().map_err(|_| Error::WrongCard)?;
        let keys = Keys::derive(Zeroizing::new(data))?;
        keys.open(KEY_CHECK_AAD, &decode(&self.key_check)?, "key check")?;
        Ok(keys)
    }

    pub fn read(dir: &Path) -> Result<Header> {
        let path = dir.join(HEADER_FILE);
        let text = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NoProfile,
            _ => Error::io(&path, e),
        })?;
        let h: Header = serde_json::from_slice(&text).map_err(|e| Error::Header {
            reason: e.to_string(),
        })?;
        if h.format != HEADER_FORMAT {
            return Err(Error::Header {
                reason: format!("unknown format {}", h.format),
            });
        }
        Ok(h)
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self)?;
        write_atomic(dir, HEADER_FILE, &text)
    }
}

fn card_wrap(data: &Secret32, card: &dyn KeyUnwrapper) -> Result<CardWrap> {
    let spki = card.public_key_spki_der()?;
    Ok(CardWrap {
        scheme: WRAP_SCHEME.into(),
        version: WRAP_VERSION,
        wrapped_key: B64.encode(wrap_to(&spki, data.as_ref())?),
    })
}

fn recovery_wrap(data: &Secret32, code: &RecoveryCode) -> Result<RecoveryWrap> {
    let salt = crypto::random_bytes::<16>()?;
    let params = KdfParams::default();
    let kek = code.derive(&salt, params)?;
    Ok(RecoveryWrap {
        kdf: "argon2id".into(),
        version: 1,
        params,
        salt: B64.encode(salt),
        sealed_key: B64.encode(crypto::seal(&kek, RECOVERY_AAD, data.as_ref())?),
    })
}

fn decode(s: &str) -> Result<Vec<u8>> {
    B64.decode(s).map_err(|_| Error::Header {
        reason: "bad base64".into(),
    })
}

/// Writes `name` in `dir` atomically and durably. Only used for non-secret,
/// non-health files (the header, the workstation secret's first write).
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp: PathBuf = dir.join(format!(".{name}.tmp"));
    let dst = dir.join(name);
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &dst).map_err(|e| Error::io(&dst, e))?;
    sync_dir(dir)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    // Makes the rename durable; opening a directory read-only is allowed.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}
