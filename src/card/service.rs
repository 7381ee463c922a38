//! The card thread and its handle. One thread owns the PC/SC context (or the
//! simulator) and every card connection; [`CardHandle`] is a cheap clone that
//! sends it requests, each with its own reply channel, and waits for the
//! answer at most [`REPLY_TIMEOUT`]. The thread watches readers between
//! requests with a bounded wait ([`POLL`]) and is woken early when a request
//! comes in. When a card is inserted the thread recognises it and reads the
//! holder right away, so the holder is known before any PIN is asked.
//!
//! The handle's methods block: async code calls them through
//! `tokio::task::spawn_blocking` (the rustls signer runs inside a handshake
//! and blocks for the duration of one card operation, bounded likewise).
//! The thread stops when the last handle is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use zeroize::Zeroizing;

use super::backend::{Backend, Change, PcscBackend, SimBackend};
use super::cps::{self, CardInfo, Mechanism, PinStatus};
use super::error::Error;
use super::events::CardEvent;
use super::pin::Pin;
use super::sim::Simulator;
use super::transport::CardTransport;

/// Longest wait for one answer from the card thread (a card RSA operation
/// takes well under a second; PC/SC itself is bounded by [`POLL`]).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest single wait on PC/SC status changes.
pub const POLL: Duration = Duration::from_millis(250);
/// Pause after a PC/SC failure (pcscd down) before watching again.
const BACKOFF: Duration = Duration::from_millis(500);

/// The state of one reader, for `status` displays.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReaderStatus {
    pub reader: String,
    pub card: CardState,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CardState {
    Empty,
    Unrecognized {
        #[serde(serialize_with = "hex_upper")]
        atr: Vec<u8>,
        reason: String,
    },
    Ready(Box<CardInfo>),
}

fn hex_upper<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(v))
}

enum Request {
    Readers {
        reply: SyncSender<Vec<ReaderStatus>>,
    },
    PinStatus {
        reply: SyncSender<Result<PinStatus, Error>>,
    },
    Verify {
        pin: Pin,
        reply: SyncSender<Result<(), Error>>,
    },
    Sign {
        mechanism: Mechanism,
        reply: SyncSender<Result<Vec<u8>, Error>>,
    },
    Decipher {
        ciphertext: Vec<u8>,
        reply: SyncSender<Result<Zeroizing<Vec<u8>>, Error>>,
    },
}

type Subscribers = Arc<Mutex<Vec<UnboundedSender<CardEvent>>>>;

/// A cloneable handle to the card thread.
#[derive(Clone)]
pub struct CardHandle {
    /// The reader the user chose when several hold a card (`None`: the first ready).
    preferred: Arc<Mutex<Option<String>>>,
    tx: Sender<Request>,
    wake: Arc<dyn Fn() + Send + Sync>,
    subscribers: Subscribers,
    operations: Arc<AtomicU64>,
}

impl std::fmt::Debug for CardHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardHandle").finish_non_exhaustive()
    }
}

impl CardHandle {
    /// Starts the card thread on PC/SC (pcscd must be running). With
    /// `reader` set, only readers whose name contains it are used.
    pub fn spawn_pcsc(reader: Option<String>) -> Result<CardHandle, Error> {
        CardHandle::spawn(Box::new(PcscBackend::establish(reader)?))
    }

    /// Starts the card thread on an in-process simulated card in a reader named `reader`.
    pub fn spawn_simulated(reader: &str, sim: Simulator) -> Result<CardHandle, Error> {
        CardHandle::spawn(Box::new(SimBackend::new(reader, sim)))
    }

    fn spawn(backend: Box<dyn Backend>) -> Result<CardHandle, Error> {
        let (tx, rx) = mpsc::channel();
        let subscribers: Subscribers = Arc::default();
        let operations = Arc::new(AtomicU64::new(0));
        let wake = backend.waker();
        let preferred: Arc<Mutex<Option<String>>> = Arc::default();
        let mut worker = Worker {
            preferred: preferred.clone(),
            backend,
            slots: Vec::new(),
            subscribers: subscribers.clone(),
            operations: operations.clone(),
        };
        std::thread::Builder::new()
            .name("cachet-card".into())
            .spawn(move || worker.run(&rx))
            .map_err(|source| Error::Io {
                context: "cannot start the card thread".into(),
                source,
            })?;
        Ok(CardHandle {
            preferred,
            tx,
            wake,
            subscribers,
            operations,
        })
    }

    /// A new event stream. Subscribe before asking for [`readers`](Self::readers)
    /// so that nothing happening in between is missed.
    pub fn subscribe(&self) -> UnboundedReceiver<CardEvent> {
        let (tx, rx) = unbounded_channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        rx
    }

    fn call<T>(&self, make: impl FnOnce(SyncSender<T>) -> Request) -> Result<T, Error> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx.send(make(reply)).map_err(|_| Error::ServiceGone)?;
        (self.wake)();
        match answer.recv_timeout(REPLY_TIMEOUT) {
            Ok(v) => Ok(v),
            Err(RecvTimeoutError::Timeout) => Err(Error::Timeout {
                seconds: REPLY_TIMEOUT.as_secs(),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(Error::ServiceGone),
        }
    }

    /// Every reader and what is in it.
    pub fn readers(&self) -> Result<Vec<ReaderStatus>, Error> {
        self.call(|reply| Request::Readers { reply })
    }

    /// The CPS card the operations below act on (the first ready one).
    pub fn card(&self) -> Result<CardInfo, Error> {
        let readers = self.readers()?;
        if readers.is_empty() {
            return Err(Error::NoReader);
        }
        let preferred = self.preferred.lock().map(|p| p.clone()).unwrap_or(None);
        let mut readers = readers;
        // The chosen reader first; the others keep their order.
        readers.sort_by_key(|r| Some(&r.reader) != preferred.as_ref());
        let mut unusable = None;
        for r in readers {
            match r.card {
                CardState::Ready(info) => return Ok(*info),
                CardState::Unrecognized { reason, .. } => unusable = Some(reason),
                CardState::Empty => {}
            }
        }
        Err(match unusable {
            Some(reason) => Error::Unusable { reason },
            None => Error::NoCard,
        })
    }

    /// Waits up to `timeout` for a CPS card to be ready.
    pub fn wait_for_card(&self, timeout: Duration) -> Result<CardInfo, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.card() {
                Ok(info) => return Ok(info),
                Err(Error::NoCard | Error::NoReader) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                // Another program (often the previous cachet command, whose
                // connection pcscd has not released yet) holds the card: it is
                // recognised again as soon as it is free.
                Err(Error::Unusable { reason })
                    if reason == Error::Busy.to_string() && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Chooses the reader whose card the operations act on when several
    /// readers hold one (`None`: the first ready card).
    pub fn prefer_reader(&self, reader: Option<String>) {
        if let Ok(mut preferred) = self.preferred.lock() {
            *preferred = reader;
        }
    }

    /// The PIN state, read from the card.
    pub fn pin_status(&self) -> Result<PinStatus, Error> {
        self.call(|reply| Request::PinStatus { reply })?
    }

    /// Presents the PIN once. The PIN is moved to the card thread and wiped there.
    pub fn verify(&self, pin: Pin) -> Result<(), Error> {
        self.call(|reply| Request::Verify { pin, reply })?
    }

    /// A signature with the authentication key (PIN verified first).
    pub fn sign(&self, mechanism: Mechanism) -> Result<Vec<u8>, Error> {
        self.call(|reply| Request::Sign { mechanism, reply })?
    }

    /// Deciphers an RSAES-PKCS1-v1_5 cryptogram made with the card's public
    /// key ([`CardInfo::public_key`]); the padding is removed (by the card on
    /// CPS3, by us on CPS4) and the plaintext comes back in a zeroizing buffer.
    pub fn decipher(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let ciphertext = ciphertext.to_vec();
        self.call(|reply| Request::Decipher { ciphertext, reply })?
    }

    /// How many private-key operations the card has been asked for so far.
    pub fn private_key_operations(&self) -> u64 {
        self.operations.load(Ordering::SeqCst)
    }
}

struct Slot {
    reader: String,
    state: CardState,
    conn: Option<Box<dyn CardTransport>>,
    /// Recognition failed because another program held the card: try again
    /// when the reader says something changed.
    busy: bool,
}

struct Worker {
    preferred: Arc<Mutex<Option<String>>>,
    backend: Box<dyn Backend>,
    slots: Vec<Slot>,
    subscribers: Subscribers,
    operations: Arc<AtomicU64>,
}

impl Worker {
    fn run(&mut self, rx: &Receiver<Request>) {
        // Take stock of readers and cards before the first request, so that
        // `readers()` right after spawning already sees them.
        match self.backend.wait_changes(Duration::ZERO) {
            Ok(changes) => changes.into_iter().for_each(|c| self.apply(c)),
            Err(e) => tracing::warn!(error = %e, "card readers cannot be listed"),
        }
        loop {
            loop {
                match rx.try_recv() {
                    Ok(req) => self.serve(req),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            match self.backend.wait_changes(POLL) {
                Ok(changes) => changes.into_iter().for_each(|c| self.apply(c)),
                Err(e) => {
                    tracing::warn!(error = %e, "card reader watch failed");
                    self.forget_all();
                    std::thread::sleep(BACKOFF);
                }
            }
        }
    }

    fn emit(&self, event: CardEvent) {
        tracing::debug!(?event, "card event");
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s.send(event.clone()).is_ok());
    }

    fn forget_all(&mut self) {
        let readers: Vec<String> = self.slots.iter().map(|s| s.reader.clone()).collect();
        for r in readers {
            self.apply(Change::ReaderRemoved(r));
        }
    }

    fn slot(&mut self, reader: &str) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.reader == reader)
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::ReaderAdded(reader) => {
                if self.slot(&reader).is_none() {
                    self.slots.push(Slot {
                        reader: reader.clone(),
                        state: CardState::Empty,
                        conn: None,
                        busy: false,
                    });
                    self.emit(CardEvent::ReaderAdded { reader });
                }
            }
            Change::ReaderRemoved(reader) => {
                self.card_gone(&reader);
                self.slots.retain(|s| s.reader != reader);
                self.emit(CardEvent::ReaderRemoved { reader });
            }
            Change::CardRemoved(reader) => self.card_gone(&reader),
            Change::CardStateChanged(reader) => {
                let retry = self
                    .slots
                    .iter()
                    .find(|s| s.reader == reader)
                    .and_then(|s| match &s.state {
                        CardState::Unrecognized { atr, .. } if s.busy => Some(atr.clone()),
                        _ => None,
                    });
                if let Some(atr) = retry {
                    self.recognise(reader, atr);
                }
            }
            Change::CardInserted { reader, atr } => {
                if self.slot(&reader).is_none() {
                    self.apply(Change::ReaderAdded(reader.clone()));
                }
                self.card_gone(&reader);
                self.emit(CardEvent::Inserted {
                    reader: reader.clone(),
                    atr: atr.clone(),
                });
                self.recognise(reader, atr);
            }
        }
    }

    fn recognise(&mut self, reader: String, atr: Vec<u8>) {
        let attempt = self
            .backend
            .connect(&reader)
            .and_then(|mut conn| cps::identify(conn.as_mut()).map(|info| (conn, info)));
        let Some(slot) = self.slots.iter_mut().find(|s| s.reader == reader) else {
            return;
        };
        match attempt {
            Ok((conn, info)) => {
                slot.busy = false;
                slot.state = CardState::Ready(Box::new(info.clone()));
                slot.conn = Some(conn);
                self.emit(CardEvent::Recognized {
                    reader,
                    info: Box::new(info),
                });
            }
            Err(Error::Removed) => {}
            Err(e) => {
                slot.busy = matches!(e, Error::Busy);
                let reason = e.to_string();
                let repeated = matches!(&slot.state, CardState::Unrecognized { reason: r, .. } if *r == reason);
                slot.state = CardState::Unrecognized {
                    atr,
                    reason: reason.clone(),
                };
                if !repeated {
                    self.emit(CardEvent::Unrecognized { reader, reason });
                }
            }
        }
    }

    /// Forgets the card in `reader`, telling subscribers once.
    fn card_gone(&mut self, reader: &str) {
        let Some(slot) = self.slots.iter_mut().find(|s| s.reader == reader) else {
            return;
        };
        let had_card = !matches!(slot.state, CardState::Empty);
        slot.state = CardState::Empty;
        slot.conn = None;
        if had_card {
            self.emit(CardEvent::Removed {
                reader: reader.to_string(),
            });
        }
    }

    /// Runs `op` on the first ready card; a pulled card is forgotten at once.
    fn with_card<T>(
        &mut self,
        op: impl FnOnce(&mut dyn CardTransport, &CardInfo) -> Result<T, Error>,
    ) -> (Option<String>, Result<T, Error>) {
        if self.slots.is_empty() {
            return (None, Err(Error::NoReader));
        }
        let preferred = self.preferred.lock().map(|p| p.clone()).unwrap_or(None);
        let ready = |s: &Slot| matches!(s.state, CardState::Ready(_)) && s.conn.is_some();
        let index = self
            .slots
            .iter()
            .position(|s| ready(s) && Some(&s.reader) == preferred.as_ref())
            .or_else(|| self.slots.iter().position(ready));
        let Some(slot) = index.and_then(|i| self.slots.get_mut(i)) else {
            return (None, Err(Error::NoCard));
        };
        let (CardState::Ready(info), Some(conn)) = (&slot.state, slot.conn.as_mut()) else {
            return (None, Err(Error::NoCard));
        };
        let result = op(conn.as_mut(), info);
        let reader = slot.reader.clone();
        if matches!(result, Err(Error::Removed)) {
            // The connection is lost (card pulled, or reset behind our back):
            // forget it, and let the next wait say whether a card is still there.
            self.card_gone(&reader);
            self.backend.rescan(&reader);
        }
        (Some(reader), result)
    }

    fn serve(&mut self, req: Request) {
        // A reply that cannot be delivered means the caller gave up (timeout): nothing to do.
        match req {
            Request::Readers { reply } => {
                let list = self
                    .slots
                    .iter()
                    .map(|s| ReaderStatus {
                        reader: s.reader.clone(),
                        card: s.state.clone(),
                    })
                    .collect();
                let _ = reply.send(list);
            }
            Request::PinStatus { reply } => {
                let (_, r) = self.with_card(|t, info| cps::pin_status(t, info.kind));
                let _ = reply.send(r);
            }
            Request::Verify { pin, reply } => {
                let (reader, r) = self.with_card(|t, info| cps::verify(t, info.kind, &pin));
                drop(pin);
                if let Some(reader) = reader {
                    match &r {
                        Ok(()) => self.emit(CardEvent::PinVerified { reader }),
                        Err(Error::WrongPin { tries_left }) => self.emit(CardEvent::PinRefused {
                            reader,
                            tries_left: *tries_left,
                        }),
                        Err(Error::Blocked) => self.emit(CardEvent::PinBlocked { reader }),
                        Err(_) => {}
                    }
                }
                let _ = reply.send(r);
            }
            Request::Sign { mechanism, reply } => {
                let ops = self.operations.clone();
                let (_, r) = self.with_card(|t, info| {
                    ops.fetch_add(1, Ordering::SeqCst);
                    cps::sign(t, info.kind, info.key_bits, &mechanism)
                });
                let _ = reply.send(r);
            }
            Request::Decipher { ciphertext, reply } => {
                let ops = self.operations.clone();
                let (_, r) = self.with_card(|t, info| {
                    ops.fetch_add(1, Ordering::SeqCst);
                    cps::decipher(t, info.kind, info.key_bits, &ciphertext)
                });
                let _ = reply.send(r);
            }
        }
    }
}
