//! How [`StoreSyncCache`] writes without waiting: envelope batches (and,
//! during a sync, the folder's records and header index) go to the store
//! thread while the session parses the next ones (at most
//! [`MAX_WRITES_IN_FLIGHT`]); every other call first collects their
//! outcome, so a failed write is reported, and a failure makes the folder's
//! in-memory state be reloaded from the store.

use crate::store::{CheckpointAfter, Store};

use super::super::error::Error;
use super::{MAX_WRITES_IN_FLIGHT, StoreSyncCache, lock};

impl StoreSyncCache {
    /// After a failed write the folder's state in memory may be ahead of the
    /// store: it is forgotten, and the next use reloads what the store holds
    /// (the messages it lacks are then fetched again).
    pub(super) fn forget_on_error<T>(
        &self,
        folder: &str,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if result.is_err()
            && let Ok(mut map) = self.folders.lock()
        {
            map.remove(folder);
        }
        result
    }

    /// Sends a write to the store thread without waiting for it, once fewer
    /// than [`MAX_WRITES_IN_FLIGHT`] are outstanding.
    pub(super) fn submit_write(
        &self,
        f: impl FnOnce(&mut Store) -> Result<(), Error> + Send + 'static,
    ) -> Result<(), Error> {
        let mut writes = lock(&self.writes)?;
        while writes.len() >= MAX_WRITES_IN_FLIGHT {
            if let Some(oldest) = writes.pop_front() {
                oldest.wait()??;
            }
        }
        writes.push_back(self.store.submit(move |s| f(s))?);
        Ok(())
    }

    /// Queues [`Store::checkpoint`] after the writes sent so far: during a
    /// long sync, the store is reopened each time enough was written, which
    /// gives back the memory sled keeps for what it wrote (at 100k messages,
    /// most of the sync's peak) and leaves little to replay at the next start.
    pub(super) fn submit_checkpoint(&self) -> Result<(), Error> {
        self.submit_write(|s| {
            if s.checkpoint(CheckpointAfter::LargeWrites)? {
                tracing::debug!("store reopened during a sync");
            }
            Ok(())
        })
    }

    /// Waits for every outstanding write; the first failure is returned.
    pub(super) fn settle_writes(&self) -> Result<(), Error> {
        let mut writes = lock(&self.writes)?;
        let mut first_error = None;
        while let Some(write) = writes.pop_front() {
            if let Err(e) = write.wait().map_err(Error::from).and_then(|r| r) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
