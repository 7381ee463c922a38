//! Where the card thread gets readers, cards and connections from: PC/SC
//! (watching `SCardGetStatusChange` with a bounded timeout over every reader
//! plus the `\\?PnP?\Notification` pseudo-reader) or an in-process
//! simulator. Both turn what they see into [`Change`]s and can be woken early
//! from another thread when a request arrives.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use super::error::Error;
use super::pcsc_transport::{PcscTransport, map_pcsc};
use super::sim::Simulator;
use super::transport::CardTransport;

/// A change seen in the readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    ReaderAdded(String),
    ReaderRemoved(String),
    CardInserted { reader: String, atr: Vec<u8> },
    CardRemoved(String),
}

/// A source of readers and cards.
pub trait Backend: Send {
    /// Waits at most `timeout` for changes (less when woken).
    fn wait_changes(&mut self, timeout: Duration) -> Result<Vec<Change>, Error>;
    /// Opens a connection to the card in `reader`.
    fn connect(&mut self, reader: &str) -> Result<Box<dyn CardTransport>, Error>;
    /// Something another thread calls to cut a wait short.
    fn waker(&self) -> Arc<dyn Fn() + Send + Sync>;
    /// Forget what is known about `reader`, so the next wait reports its card
    /// afresh (after a connection was lost while the card may still be there).
    fn rescan(&mut self, reader: &str);
}

/// PC/SC through pcscd.
pub struct PcscBackend {
    ctx: pcsc::Context,
    states: Vec<pcsc::ReaderState>,
    readers: Vec<String>,
    /// Set by the waker so a wake-up that lands just before the wait is not lost for long.
    pending: Arc<AtomicBool>,
    /// Only readers whose name contains this are watched (all when `None`).
    only: Option<String>,
}

impl PcscBackend {
    pub fn establish(only: Option<String>) -> Result<PcscBackend, Error> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| map_pcsc("starting (is pcscd running?)", e))?;
        Ok(PcscBackend {
            ctx,
            states: Vec::new(),
            readers: Vec::new(),
            pending: Arc::new(AtomicBool::new(false)),
            only,
        })
    }

    fn list_readers(&self) -> Result<Vec<String>, Error> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .filter(|n| self.only.as_ref().is_none_or(|o| n.contains(o.as_str())))
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(map_pcsc("listing readers", e)),
        }
    }

    /// Re-lists readers, reporting additions and removals, and rebuilds the
    /// watched states (new readers start UNAWARE, so their card shows up next).
    fn relist(&mut self, changes: &mut Vec<Change>) -> Result<(), Error> {
        let now = self.list_readers()?;
        for gone in self.readers.iter().filter(|r| !now.contains(r)) {
            let was_present = self.states.iter().any(|s| {
                s.name().to_string_lossy() == gone.as_str()
                    && s.current_state().contains(pcsc::State::PRESENT)
            });
            if was_present {
                changes.push(Change::CardRemoved(gone.clone()));
            }
            changes.push(Change::ReaderRemoved(gone.clone()));
        }
        for added in now.iter().filter(|r| !self.readers.contains(r)) {
            changes.push(Change::ReaderAdded(added.clone()));
        }
        let mut states = Vec::with_capacity(now.len() + 1);
        for name in &now {
            let kept = self
                .states
                .iter()
                .position(|s| s.name().to_string_lossy() == name.as_str());
            match kept {
                Some(i) => states.push(self.states.swap_remove(i)),
                None => {
                    let Ok(c) = CString::new(name.as_str()) else {
                        continue;
                    };
                    states.push(pcsc::ReaderState::new(c, pcsc::State::UNAWARE));
                }
            }
        }
        let pnp = self
            .states
            .iter()
            .position(|s| s.name() == pcsc::PNP_NOTIFICATION());
        states.push(match pnp {
            Some(i) => self.states.swap_remove(i),
            None => pcsc::ReaderState::new(pcsc::PNP_NOTIFICATION(), pcsc::State::UNAWARE),
        });
        self.states = states;
        self.readers = now;
        Ok(())
    }
}

impl Backend for PcscBackend {
    fn wait_changes(&mut self, timeout: Duration) -> Result<Vec<Change>, Error> {
        let mut changes = Vec::new();
        if self.states.is_empty() {
            self.relist(&mut changes)?;
        }
        if self.pending.swap(false, Ordering::SeqCst) {
            return Ok(changes);
        }
        match self.ctx.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout | pcsc::Error::Cancelled) => return Ok(changes),
            Err(e) => {
                // pcscd restarted or went away: start over with a fresh context next time.
                self.states.clear();
                if let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) {
                    self.ctx = ctx;
                }
                return Err(map_pcsc("watching readers", e));
            }
        }
        let mut relist = false;
        for rs in &mut self.states {
            let ev = rs.event_state();
            if !ev.contains(pcsc::State::CHANGED) {
                continue;
            }
            // The PnP pseudo-reader changed, or a reader vanished: list them again.
            if rs.name() == pcsc::PNP_NOTIFICATION()
                || ev.intersects(pcsc::State::UNKNOWN | pcsc::State::IGNORE)
            {
                relist = true;
            } else {
                let reader = rs.name().to_string_lossy().into_owned();
                let was = rs.current_state().contains(pcsc::State::PRESENT);
                let is = ev.contains(pcsc::State::PRESENT) && !ev.contains(pcsc::State::MUTE);
                // pcsc-lite counts insertions and removals in the high bits: a
                // quick pull-and-reinsert between two waits shows as a new count.
                let swapped =
                    was && is && u64::from(rs.event_count()) != rs.current_state().bits() >> 16;
                if was && (!is || swapped) {
                    changes.push(Change::CardRemoved(reader.clone()));
                }
                if is && (!was || swapped) {
                    changes.push(Change::CardInserted {
                        reader,
                        atr: rs.atr().to_vec(),
                    });
                }
            }
            rs.sync_current_state();
        }
        if relist {
            self.relist(&mut changes)?;
        }
        Ok(changes)
    }

    fn connect(&mut self, reader: &str) -> Result<Box<dyn CardTransport>, Error> {
        let name = CString::new(reader).map_err(|_| Error::NoReader)?;
        Ok(Box::new(PcscTransport::connect(&self.ctx, &name)?))
    }

    fn rescan(&mut self, reader: &str) {
        for rs in &mut self.states {
            if rs.name().to_string_lossy() == reader
                && let Ok(name) = CString::new(reader)
            {
                *rs = pcsc::ReaderState::new(name, pcsc::State::UNAWARE);
            }
        }
    }

    fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        let ctx = self.ctx.clone();
        let pending = self.pending.clone();
        Arc::new(move || {
            pending.store(true, Ordering::SeqCst);
            let _ = ctx.cancel();
        })
    }
}

/// One simulated card in one simulated reader.
pub struct SimBackend {
    reader: String,
    sim: Simulator,
    announced: bool,
    present: bool,
    thread: Arc<OnceLock<Thread>>,
}

impl SimBackend {
    pub fn new(reader: &str, sim: Simulator) -> SimBackend {
        SimBackend {
            reader: reader.to_string(),
            sim,
            announced: false,
            present: false,
            thread: Arc::new(OnceLock::new()),
        }
    }
}

impl Backend for SimBackend {
    fn wait_changes(&mut self, timeout: Duration) -> Result<Vec<Change>, Error> {
        let _ = self.thread.set(std::thread::current());
        let mut changes = Vec::new();
        if !self.announced {
            self.announced = true;
            changes.push(Change::ReaderAdded(self.reader.clone()));
        } else {
            // The simulator has no notification: look again after a short nap.
            std::thread::park_timeout(timeout.min(Duration::from_millis(50)));
        }
        let now = self.sim.is_present();
        if now != self.present {
            self.present = now;
            changes.push(if now {
                Change::CardInserted {
                    reader: self.reader.clone(),
                    atr: self.sim.with_card(|c| c.atr()),
                }
            } else {
                Change::CardRemoved(self.reader.clone())
            });
        }
        Ok(changes)
    }

    fn connect(&mut self, _reader: &str) -> Result<Box<dyn CardTransport>, Error> {
        if !self.sim.is_present() {
            return Err(Error::NoCard);
        }
        Ok(Box::new(self.sim.transport()))
    }

    fn rescan(&mut self, _reader: &str) {
        self.present = false;
    }

    fn waker(&self) -> Arc<dyn Fn() + Send + Sync> {
        let thread = self.thread.clone();
        Arc::new(move || {
            if let Some(t) = thread.get() {
                t.unpark();
            }
        })
    }
}
