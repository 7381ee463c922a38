//! The open practitioner's profile, as the session holds it.
//!
//! One profile per card holder: after a right PIN, the holder's encrypted
//! profile is unlocked (its data key unwrapped on the card), or opened, or
//! created on first use. Another practitioner's card opens that
//! practitioner's own profile: the previous one is locked first, so its data
//! stay out of reach. The lock zeroizes the data key.

use super::card_store::CardUnwrapper;
use crate::store::{CreateOptions, Profiles, StoreHandle};
use std::path::PathBuf;
use std::sync::Mutex;

pub struct SessionStore {
    /// Where profiles live; `None` for a fixed store (the demo's).
    profiles_root: Option<PathBuf>,
    current: Mutex<Option<(String, StoreHandle)>>,
}

impl SessionStore {
    /// A session that opens profiles under `root` as cards come.
    pub fn new(root: PathBuf) -> SessionStore {
        SessionStore {
            profiles_root: Some(root),
            current: Mutex::new(None),
        }
    }

    /// A session bound to one already open profile.
    pub fn fixed(holder: String, handle: StoreHandle) -> SessionStore {
        SessionStore {
            profiles_root: None,
            current: Mutex::new(Some((holder, handle))),
        }
    }

    /// The open profile's store, if any.
    pub fn handle(&self) -> Option<StoreHandle> {
        self.current
            .lock()
            .ok()
            .and_then(|c| c.as_ref().map(|(_, h)| h.clone()))
    }

    /// Opens the card holder's profile (unlock, open or create).
    pub fn open_for(&self, card: CardUnwrapper) -> Result<(), String> {
        use crate::store::KeyUnwrapper;
        let holder = card.holder_id();
        let Ok(mut current) = self.current.lock() else {
            return Err("the session store is poisoned".into());
        };
        if let Some((open_holder, handle)) = current.as_ref() {
            if *open_holder == holder {
                return match handle.call(move |s| s.unlock(&card)) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
            }
            // Another practitioner: the first profile is locked before the switch.
            let _ = handle.lock();
        }
        let Some(root) = &self.profiles_root else {
            return Err("this session's profile belongs to another card".into());
        };
        let profiles = Profiles::new(root);
        let store = match profiles.open(&card) {
            Ok(store) => store,
            Err(crate::store::Error::NoProfile) => profiles
                .create(
                    &card,
                    CreateOptions {
                        with_recovery_code: false,
                    },
                )
                .map(|(store, _)| store)
                .map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        };
        let handle = StoreHandle::spawn(store).map_err(|e| e.to_string())?;
        *current = Some((holder, handle));
        Ok(())
    }

    /// Zeroizes the open profile's data key.
    pub fn lock(&self) {
        if let Some(handle) = self.handle() {
            let _ = handle.lock();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::tempfile_free::Folder;
    use crate::card::sim::{Simulator, pki};
    use crate::card::{CardHandle, CardKind, Pin};
    use std::time::Duration;
    use zeroize::Zeroizing;

    fn verified_card(pki_dir: &Folder, reader: &str) -> CardUnwrapper {
        let pki = pki::ensure(&pki_dir.path).expect("pki");
        let handle = CardHandle::spawn_simulated(
            reader,
            Simulator::new(&pki, CardKind::Cps3Contact, "1234"),
        )
        .expect("card");
        let info = handle
            .wait_for_card(Duration::from_secs(10))
            .expect("card ready");
        handle
            .verify(Pin::new(Zeroizing::new("1234".into())).expect("pin"))
            .expect("verified");
        CardUnwrapper { handle, info }
    }

    #[test]
    fn the_first_pin_creates_the_profile_then_unlocks_it() {
        let root = Folder::new("session-store");
        let pki_dir = Folder::new("session-pki");
        let session = SessionStore::new(root.path.clone());
        assert!(session.handle().is_none());
        session
            .open_for(verified_card(&pki_dir, "r1"))
            .expect("created");
        let handle = session.handle().expect("open");
        handle
            .call(|s| s.put_setting("marker", &"kept"))
            .expect("call")
            .expect("written");
        session.lock();
        assert!(matches!(
            handle.call(|s| s.setting::<String>("marker")),
            Ok(Err(crate::store::Error::Locked))
        ));
        session
            .open_for(verified_card(&pki_dir, "r1"))
            .expect("unlocked again");
        let value = handle
            .call(|s| s.setting::<String>("marker"))
            .expect("call")
            .expect("read");
        assert_eq!(value.as_deref(), Some("kept"));
    }

    #[test]
    fn a_card_with_another_key_cannot_open_the_profile() {
        let root = Folder::new("session-store-other");
        let pki_a = Folder::new("session-pki-a");
        let pki_b = Folder::new("session-pki-b");
        SessionStore::new(root.path.clone())
            .open_for(verified_card(&pki_a, "r1"))
            .expect("created");
        // Same holder identity, different key: the wrapped data key cannot be opened.
        let err = SessionStore::new(root.path.clone())
            .open_for(verified_card(&pki_b, "r2"))
            .unwrap_err();
        assert!(!err.is_empty());
    }
}
