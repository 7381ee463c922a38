//! The store's owner thread and its cloneable handle. sled is synchronous and
//! the keys must stay in one place, so one thread owns the [`Store`]; callers
//! send it closures and wait for the reply on a channel, blocking (CLI) or
//! async (tokio). Every wait is bounded. The thread ends, dropping the store
//! and zeroizing its keys, when the last handle is dropped.

use std::sync::mpsc;
use std::time::Duration;

use super::db::{CheckpointAfter, Store};
use super::error::{Error, Result};

/// Default bound on one call (queueing included).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// The answer of a job sent with [`StoreHandle::submit`].
#[derive(Debug)]
pub struct Pending<T> {
    reply: mpsc::Receiver<T>,
}

impl<T> Pending<T> {
    /// Waits for the job's answer (at most [`CALL_TIMEOUT`]).
    pub fn wait(self) -> Result<T> {
        self.wait_within(CALL_TIMEOUT)
    }

    /// Waits for the job's answer at most `bound`.
    pub fn wait_within(self, bound: Duration) -> Result<T> {
        self.reply.recv_timeout(bound).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => Error::Timeout {
                seconds: bound.as_secs(),
            },
            mpsc::RecvTimeoutError::Disconnected => Error::Closed,
        })
    }
}

/// A cloneable handle to the store thread.
#[derive(Clone, Debug)]
pub struct StoreHandle {
    tx: mpsc::Sender<Job>,
}

impl StoreHandle {
    /// Moves `store` onto its own thread.
    pub fn spawn(mut store: Store) -> Result<StoreHandle> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("cachet-store".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                    // between two calls: give back what sled holds of
                    // large reads (see `CheckpointAfter::LargeReads`)
                    if let Err(e) = store.checkpoint(CheckpointAfter::LargeReads) {
                        tracing::warn!(error = %e, "reopening the store after large reads failed");
                    }
                }
                store.lock();
            })
            .map_err(|e| Error::io(std::path::Path::new("<store thread>"), e))?;
        Ok(StoreHandle { tx })
    }

    /// Runs `f` on the store thread and waits (at most [`CALL_TIMEOUT`]).
    pub fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        self.call_within(CALL_TIMEOUT, f)
    }

    /// Like [`call`](Self::call) with an explicit bound (long verifies).
    pub fn call_within<T, F>(&self, bound: Duration, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        self.submit(f)?.wait_within(bound)
    }

    /// Runs `f` on the store thread without waiting: the answer is collected
    /// later with [`Pending::wait`]. Jobs run in the order they were sent, so
    /// a later [`call`](Self::call) sees what `f` wrote. For a producer that
    /// has other work to do meanwhile (the sync parsing the next envelopes).
    pub fn submit<T, F>(&self, f: F) -> Result<Pending<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        self.tx
            .send(Box::new(move |s: &mut Store| {
                // The caller may have timed out and gone: nothing to do then.
                let _ = reply_tx.send(f(s));
            }))
            .map_err(|_| Error::Closed)?;
        Ok(Pending { reply: reply_rx })
    }

    /// Async variant for tokio tasks (never blocks the runtime).
    pub async fn call_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |s: &mut Store| {
                let _ = reply_tx.send(f(s));
            }))
            .map_err(|_| Error::Closed)?;
        match tokio::time::timeout(CALL_TIMEOUT, reply_rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout {
                seconds: CALL_TIMEOUT.as_secs(),
            }),
        }
    }

    /// Locks the session: the keys are dropped on the store thread.
    pub fn lock(&self) -> Result<()> {
        self.call(|s| s.lock())
    }
}
