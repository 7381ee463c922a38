//! A CPS card simulator for development and tests. [`SimCard`] answers APDUs
//! like a CPS3 or CPS4; it is reached in-process through [`SimTransport`]
//! (the same [`CardTransport`] trait PC/SC implements) or through a real
//! pcscd by [`vpcd::VpcdCard`], which speaks the vsmartcard-vpcd protocol
//! (connect = card inserted, disconnect = removed). Its key and certificate
//! come from the test PKI in [`pki`]. The simulated card's key is a test key:
//! nothing here is meant to protect a real secret.

pub mod card;
pub mod pki;
pub mod vpcd;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

pub use card::{SimCard, SimConfig};

use super::error::Error;
use super::kind::CardKind;
use super::transport::CardTransport;

/// A simulated card shared between its "reader" side and the test that
/// drives it (insert, remove, inspect).
#[derive(Clone)]
pub struct Simulator {
    card: Arc<Mutex<SimCard>>,
    present: Arc<AtomicBool>,
    interrupted: Arc<AtomicBool>,
}

impl Simulator {
    /// A card of `kind` holding the PKI's card key and certificate, PIN `pin`, 3 tries.
    pub fn new(pki: &pki::TestPki, kind: CardKind, pin: &str) -> Simulator {
        let serial = {
            let mut s = [0u8; 5];
            // A stable serial derived from the certificate, so a card keeps its number across runs.
            let d = super::padding::HashAlg::Sha256.digest(&pki.card_cert_der);
            s.copy_from_slice(&d[..5]);
            s
        };
        Simulator::from_config(SimConfig {
            kind,
            pin: Zeroizing::new(pin.as_bytes().to_vec()),
            max_tries: 3,
            certificate: pki.card_cert_der.clone(),
            other_certificate: pki.ca_cert_der.clone(),
            key: pki.card_key.clone(),
            serial,
        })
    }

    pub fn from_config(cfg: SimConfig) -> Simulator {
        Simulator {
            card: Arc::new(Mutex::new(SimCard::new(cfg))),
            present: Arc::new(AtomicBool::new(true)),
            interrupted: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A transport to this card, as if it sat in a reader.
    pub fn transport(&self) -> SimTransport {
        SimTransport { sim: self.clone() }
    }

    /// Pulls the card out: every later APDU fails with [`Error::Removed`].
    pub fn remove(&self) {
        self.present.store(false, Ordering::SeqCst);
        self.with_card(|c| c.reset());
    }

    /// Puts the card back (powered up afresh).
    pub fn insert(&self) {
        self.present.store(true, Ordering::SeqCst);
    }

    /// The next APDU fails as if the card had been pulled and pushed back at
    /// once (the connection is lost and the card reset, but it is still there).
    pub fn interrupt_next_apdu(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }

    pub fn is_present(&self) -> bool {
        self.present.load(Ordering::SeqCst)
    }

    /// Runs `f` on the card state (a poisoned lock is recovered: the card state is plain data).
    pub fn with_card<R>(&self, f: impl FnOnce(&mut SimCard) -> R) -> R {
        let mut guard = self.card.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// The in-process demo card (`cachet demo`, tests): a CPS3 with PIN `1234`
/// whose PKI lives in `pki_dir`, in a reader named "Cachet simulated reader".
pub fn demo(pki_dir: &std::path::Path) -> Result<(super::CardHandle, Simulator), Error> {
    let pki = pki::ensure(pki_dir)?;
    let sim = Simulator::new(&pki, CardKind::Cps3Contact, "1234");
    let handle = super::CardHandle::spawn_simulated("Cachet simulated reader", sim.clone())?;
    Ok((handle, sim))
}

/// In-process transport to a [`Simulator`].
pub struct SimTransport {
    sim: Simulator,
}

impl CardTransport for SimTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        if !self.sim.is_present() {
            return Err(Error::Removed);
        }
        if self.sim.interrupted.swap(false, Ordering::SeqCst) {
            self.sim.with_card(|c| c.reset());
            return Err(Error::Removed);
        }
        Ok(self.sim.with_card(|c| c.process(apdu)))
    }

    fn atr(&self) -> Vec<u8> {
        self.sim.with_card(|c| c.atr())
    }
}
