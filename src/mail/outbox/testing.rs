//! Test doubles for the outbox, public so integration tests can combine them
//! with the real SMTP transport: a recording transport, a Sent checker that
//! sees what that transport delivered, and crash injection for store and
//! transport. A "crash" is a step that fails with nothing applied, after
//! which the caller drops the whole outbox and rebuilds it from the records.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{Error, OutboxRecord, OutboxStore, SendFailure, SentChecker, Transport};
use crate::error::ErrorKind;
use crate::mail::compose::Envelope;

/// Fails the n-th step (1-based) it is asked about, and every step after it.
#[derive(Clone, Default)]
pub struct CrashSwitch {
    steps: Arc<AtomicUsize>,
    crash_at: Option<usize>,
}

impl CrashSwitch {
    pub fn never() -> Self {
        Self::default()
    }

    pub fn at_step(n: usize) -> Self {
        Self {
            steps: Arc::default(),
            crash_at: Some(n),
        }
    }

    /// Counts one step; true if it must crash.
    pub fn step(&self) -> bool {
        let n = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
        self.crash_at.is_some_and(|at| n >= at)
    }

    /// Steps taken so far (a run without crash tells how many there are).
    pub fn steps(&self) -> usize {
        self.steps.load(Ordering::SeqCst)
    }
}

/// A store whose writes go through a [`CrashSwitch`].
pub struct CrashingStore<S> {
    pub inner: S,
    pub switch: CrashSwitch,
}

fn crash() -> Error {
    Error::Store("simulated crash".into())
}

impl<S: OutboxStore> OutboxStore for CrashingStore<S> {
    fn put(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send {
        let crashed = self.switch.step();
        async move {
            if crashed {
                Err(crash())
            } else {
                self.inner.put(record).await
            }
        }
    }

    fn update(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send {
        let crashed = self.switch.step();
        async move {
            if crashed {
                Err(crash())
            } else {
                self.inner.update(record).await
            }
        }
    }

    fn get(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<OutboxRecord>, Error>> + Send {
        self.inner.get(message_id)
    }

    fn list(&self) -> impl Future<Output = Result<Vec<OutboxRecord>, Error>> + Send {
        self.inner.list()
    }

    fn remove(&self, message_id: &str) -> impl Future<Output = Result<(), Error>> + Send {
        let crashed = self.switch.step();
        async move {
            if crashed {
                Err(crash())
            } else {
                self.inner.remove(message_id).await
            }
        }
    }
}

/// A transport whose sends go through a [`CrashSwitch`]. With
/// `deliver_then_crash`, a crashing step delivers first and then reports a
/// lost connection (the server said 250, we never heard it).
pub struct CrashingTransport<T> {
    pub inner: T,
    pub switch: CrashSwitch,
    pub deliver_then_crash: bool,
}

impl<T: Transport> Transport for CrashingTransport<T> {
    fn send(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> impl Future<Output = Result<String, SendFailure>> + Send {
        let crashed = self.switch.step();
        async move {
            if !crashed {
                return self.inner.send(envelope, bytes).await;
            }
            if self.deliver_then_crash {
                let _ = self.inner.send(envelope, bytes).await;
            }
            Err(SendFailure {
                permanent: false,
                outcome_unknown: self.deliver_then_crash,
                kind: ErrorKind::Network,
                reason: "simulated crash".into(),
            })
        }
    }
}

/// Records every delivered message id; can be told to fail.
#[derive(Clone, Default)]
pub struct RecordingTransport {
    pub delivered: Arc<Mutex<Vec<String>>>,
    /// Next sends fail with this (consumed one per send).
    pub failures: Arc<Mutex<Vec<SendFailure>>>,
}

impl RecordingTransport {
    pub fn delivered(&self) -> Vec<String> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }

    pub fn fail_next(&self, f: SendFailure) {
        if let Ok(mut v) = self.failures.lock() {
            v.push(f);
        }
    }
}

impl Transport for RecordingTransport {
    fn send(
        &self,
        _envelope: &Envelope,
        bytes: &[u8],
    ) -> impl Future<Output = Result<String, SendFailure>> + Send {
        let failure = self
            .failures
            .lock()
            .ok()
            .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)));
        let result = match failure {
            Some(f) => Err(f),
            None => {
                let id = message_id_of(bytes).unwrap_or_default();
                let reply = format!("250 2.0.0 Ok: queued <{id}>");
                if let Ok(mut d) = self.delivered.lock() {
                    d.push(id);
                }
                Ok(reply)
            }
        };
        std::future::ready(result)
    }
}

/// A Sent folder that a server filing submitted mail would have: whatever
/// the [`RecordingTransport`] delivered.
pub struct RecordingSentChecker(pub RecordingTransport);

impl SentChecker for RecordingSentChecker {
    fn is_sent(&self, message_id: &str) -> impl Future<Output = Result<bool, SendFailure>> + Send {
        std::future::ready(Ok(self.0.delivered().iter().any(|d| d == message_id)))
    }
}

/// A checker that cannot reach the server.
pub struct UnreachableSentChecker;

impl SentChecker for UnreachableSentChecker {
    fn is_sent(&self, _message_id: &str) -> impl Future<Output = Result<bool, SendFailure>> + Send {
        std::future::ready(Err(SendFailure {
            permanent: false,
            outcome_unknown: false,
            kind: ErrorKind::Network,
            reason: "IMAP unreachable".into(),
        }))
    }
}

/// The Message-ID header value of raw message bytes (without brackets).
pub fn message_id_of(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let headers = text.split("\r\n\r\n").next()?;
    headers.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("Message-ID").then(|| {
            value
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}
