//! The profiles root: one folder per card holder, named by a keyed hash of
//! the holder identifier. The key is a random per-workstation secret kept in
//! the root (`workstation.secret`, mode 0600), so folder names reveal nothing
//! to someone without access to this workstation, and several practitioners
//! share a workstation without sharing data (each profile has its own data
//! key, wrapped to its own card).

use std::path::{Path, PathBuf};

use super::card::KeyUnwrapper;
use super::crypto::{self, Keys};
use super::db::Store;
use super::error::{Error, Result};
use super::header::{Header, write_atomic};
use super::recovery::RecoveryCode;

const SECRET_FILE: &str = "workstation.secret";

/// What to create with a new profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreateOptions {
    /// Also produce a recovery code (shown once).
    pub with_recovery_code: bool,
}

/// The folder holding every profile of this workstation.
#[derive(Debug, Clone)]
pub struct Profiles {
    root: PathBuf,
}

impl Profiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Profiles { root: root.into() }
    }

    /// `$XDG_DATA_HOME/cachet/profiles` (or the platform equivalent).
    pub fn default_root() -> Option<PathBuf> {
        directories::ProjectDirs::from("fr", "cachet", "cachet")
            .map(|d| d.data_dir().join("profiles"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of `holder`'s profile (it may not exist yet).
    pub fn profile_dir(&self, holder: &str) -> Result<PathBuf> {
        let secret = self.workstation_secret()?;
        let h = crypto::keyed_hash(secret.as_ref(), "profile-folder", holder.as_bytes())?;
        Ok(self.root.join(hex::encode(&h[..16])))
    }

    pub fn exists(&self, holder: &str) -> Result<bool> {
        Ok(self
            .profile_dir(holder)?
            .join(super::header::HEADER_FILE)
            .exists())
    }

    /// Creates the profile of the card's holder with a fresh data key.
    pub fn create(
        &self,
        card: &dyn KeyUnwrapper,
        opts: CreateOptions,
    ) -> Result<(Store, Option<RecoveryCode>)> {
        let holder = card.holder_id();
        let dir = self.profile_dir(&holder)?;
        if dir.join(super::header::HEADER_FILE).exists() {
            return Err(Error::ProfileExists);
        }
        create_private_dir(&dir)?;
        let data = crypto::random_secret()?;
        let code = if opts.with_recovery_code {
            Some(RecoveryCode::generate()?)
        } else {
            None
        };
        let header = Header::new(&data, card, code.as_ref())?;
        // The header is written last: a crash before it leaves no profile.
        header.write(&dir)?;
        let store = Store::open_locked(&dir, &holder)?.with_keys(Keys::derive(data)?);
        Ok((store, code))
    }

    /// Opens and unlocks the card holder's profile.
    pub fn open(&self, card: &dyn KeyUnwrapper) -> Result<Store> {
        let holder = card.holder_id();
        let dir = self.profile_dir(&holder)?;
        // Check the card before opening the database.
        let keys = Header::read(&dir)?.unwrap_with_card(card)?;
        Ok(Store::open_locked(&dir, &holder)?.with_keys(keys))
    }

    /// Card renewal: re-wraps the data key from `old` to `new` (same holder).
    pub fn rewrap(&self, old: &dyn KeyUnwrapper, new: &dyn KeyUnwrapper) -> Result<()> {
        let holder = old.holder_id();
        if new.holder_id() != holder {
            return Err(Error::Invalid {
                reason: "the new card belongs to another holder".into(),
            });
        }
        let dir = self.profile_dir(&holder)?;
        let mut header = Header::read(&dir)?;
        let keys = header.unwrap_with_card(old)?;
        header.rewrap(&keys, new)?;
        header.write(&dir)
    }

    /// Lost card: re-wraps the data key to `new` using the recovery code.
    /// The recovery code stays valid.
    pub fn recover(&self, code: &RecoveryCode, new: &dyn KeyUnwrapper) -> Result<()> {
        let dir = self.profile_dir(&new.holder_id())?;
        let mut header = Header::read(&dir)?;
        let keys = header.unwrap_with_code(code)?;
        header.rewrap(&keys, new)?;
        header.write(&dir)
    }

    fn workstation_secret(&self) -> Result<crypto::Secret32> {
        let path = self.root.join(SECRET_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::Header {
                    reason: format!("{} is not 32 bytes", path.display()),
                })?;
                Ok(zeroize::Zeroizing::new(arr))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(&self.root)?;
                let secret = crypto::random_secret()?;
                // Publish with a hard link, which never replaces: if another
                // process won the race, its secret is the one to use.
                // Unique per attempt (threads share a pid).
                let tmp_name = format!(
                    "{SECRET_FILE}.{}",
                    hex::encode(crypto::random_bytes::<8>()?)
                );
                write_atomic(&self.root, &tmp_name, secret.as_ref())?;
                let linked = std::fs::hard_link(self.root.join(&tmp_name), &path);
                let _ = std::fs::remove_file(self.root.join(&tmp_name));
                match linked {
                    Ok(()) => {
                        super::header::sync_dir(&self.root)?;
                        Ok(secret)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                        let arr: [u8; 32] =
                            bytes.as_slice().try_into().map_err(|_| Error::Header {
                                reason: format!("{} is not 32 bytes", path.display()),
                            })?;
                        Ok(zeroize::Zeroizing::new(arr))
                    }
                    Err(e) => Err(Error::io(&path, e)),
                }
            }
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| Error::io(dir, e))
}
