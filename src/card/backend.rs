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
    CardInserted {
        reader: String,
        atr: Vec<u8>,
    },
    CardRemoved(String),
    /// The card stayed but its reader flags changed (in use, released).
    CardStateChanged(String),
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
    /// Whether one status change has been read since the readers were listed.
    scanned: bool,
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
            scanned: false,
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
        changes.extend(reader_list_changes(&self.readers, &now));
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
        // A request is waiting: serve it first, unless we have not yet
        // looked at the cards at all (the first answer must be complete).
        if self.scanned && self.pending.swap(false, Ordering::SeqCst) {
            return Ok(changes);
        }
        // A cancel meant for a later wait can land on the very first look:
        // then look again at once (bounded), so the first answer is complete.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let wait = if self.scanned {
                timeout
            } else {
                Duration::ZERO
            };
            match self.ctx.get_status_change(wait, &mut self.states) {
                Ok(()) => break,
                Err(pcsc::Error::Cancelled) if !self.scanned && attempts < 3 => continue,
                Err(pcsc::Error::Timeout | pcsc::Error::Cancelled) => {
                    self.scanned = true;
                    return Ok(changes);
                }
                Err(e) => {
                    // pcscd restarted or went away: start over with a fresh context next time.
                    self.states.clear();
                    self.scanned = false;
                    if let Ok(ctx) = pcsc::Context::establish(pcsc::Scope::User) {
                        self.ctx = ctx;
                    }
                    return Err(map_pcsc("watching readers", e));
                }
            }
        }
        self.scanned = true;
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
                let reader = rs.name().to_string_lossy();
                changes.extend(card_changes(&reader, rs.current_state(), ev, rs.atr()));
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

/// Readers that appeared or went away between two listings. A reader that
/// goes away with its card is reported by the card thread as a removal too.
fn reader_list_changes(before: &[String], now: &[String]) -> Vec<Change> {
    let gone = before
        .iter()
        .filter(|r| !now.contains(r))
        .map(|r| Change::ReaderRemoved(r.clone()));
    let added = now
        .iter()
        .filter(|r| !before.contains(r))
        .map(|r| Change::ReaderAdded(r.clone()));
    gone.chain(added).collect()
}

/// What one reader's new state means, given the state we knew.
fn card_changes(reader: &str, known: pcsc::State, now: pcsc::State, atr: &[u8]) -> Vec<Change> {
    let was = known.contains(pcsc::State::PRESENT);
    let is = now.contains(pcsc::State::PRESENT) && !now.contains(pcsc::State::MUTE);
    // pcsc-lite counts insertions and removals in the high 16 bits: a quick
    // pull-and-reinsert between two waits shows only as a new count.
    let swapped = was && is && (known.bits() >> 16) & 0xFFFF != (now.bits() >> 16) & 0xFFFF;
    let mut changes = Vec::new();
    if was && (!is || swapped) {
        changes.push(Change::CardRemoved(reader.to_string()));
    }
    if is && (!was || swapped) {
        changes.push(Change::CardInserted {
            reader: reader.to_string(),
            atr: atr.to_vec(),
        });
    }
    if was && is && !swapped {
        // Same card, other flags (another program took or released it).
        changes.push(Change::CardStateChanged(reader.to_string()));
    }
    changes
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

#[cfg(test)]
mod tests {
    use super::*;
    use pcsc::State;

    fn state(flags: State, count: u64) -> State {
        State::from_bits_retain(flags.bits() | (count << 16))
    }

    #[test]
    fn insertion_removal_and_quick_swap() {
        let atr = [0x3B, 0x00];
        let empty = state(State::EMPTY, 4);
        let present = state(State::PRESENT, 5);
        assert_eq!(
            card_changes("R", empty, present, &atr),
            vec![Change::CardInserted {
                reader: "R".into(),
                atr: atr.to_vec()
            }]
        );
        assert_eq!(
            card_changes("R", present, state(State::EMPTY, 6), &[]),
            vec![Change::CardRemoved("R".into())]
        );
        // pulled and pushed back between two waits: both events, in order
        assert_eq!(
            card_changes("R", present, state(State::PRESENT, 7), &atr),
            vec![
                Change::CardRemoved("R".into()),
                Change::CardInserted {
                    reader: "R".into(),
                    atr: atr.to_vec()
                }
            ]
        );
        // a mute card (inserted upside down) is not a card
        assert!(card_changes("R", empty, state(State::PRESENT | State::MUTE, 5), &atr).is_empty());
        // another program released the card
        assert_eq!(
            card_changes(
                "R",
                state(State::PRESENT | State::EXCLUSIVE, 5),
                present,
                &atr
            ),
            vec![Change::CardStateChanged("R".into())]
        );
        // the first look (UNAWARE) at a reader with a card
        assert_eq!(card_changes("R", State::UNAWARE, present, &atr).len(), 1);
    }

    #[test]
    fn readers_plugged_and_unplugged() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            reader_list_changes(&s(&["A", "B"]), &s(&["B", "C"])),
            vec![
                Change::ReaderRemoved("A".into()),
                Change::ReaderAdded("C".into())
            ]
        );
        assert!(reader_list_changes(&s(&["A"]), &s(&["A"])).is_empty());
        assert_eq!(
            reader_list_changes(&[], &s(&["A"])),
            vec![Change::ReaderAdded("A".into())]
        );
    }
}
