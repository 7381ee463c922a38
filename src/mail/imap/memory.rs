//! In-memory [`SyncCache`] and [`OpQueue`], for tests and for running without a store.
//! Both are cloneable handles on shared state, so a test can look inside while a session
//! owns a clone, and a queue can outlive the session that filled it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::queue::{OpQueue, PendingOp};
use super::sync::{BackendError, FolderState, SyncCache, SyncPoint};
use super::types::{FetchedEnvelope, FlagUpdate};

#[derive(Debug, Default, Clone)]
pub struct MemoryFolder {
    pub state: FolderState,
    pub envelopes: BTreeMap<u32, FetchedEnvelope>,
    pub bodies: BTreeMap<u32, Vec<u8>>,
}

#[derive(Debug, Default, Clone)]
pub struct MemoryCache {
    inner: Arc<Mutex<HashMap<String, MemoryFolder>>>,
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, BackendError> {
    m.lock()
        .map_err(|_| "the in-memory cache lock is poisoned".into())
}

impl MemoryCache {
    pub fn folder(&self, name: &str) -> Option<MemoryFolder> {
        self.inner.lock().ok()?.get(name).cloned()
    }
}

impl SyncCache for MemoryCache {
    fn folder_state(&self, folder: &str) -> Result<Option<FolderState>, BackendError> {
        Ok(lock(&self.inner)?.get(folder).map(|f| f.state.clone()))
    }

    fn reset_folder(&mut self, folder: &str, uid_validity: u32) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        map.insert(
            folder.to_string(),
            MemoryFolder {
                state: FolderState {
                    uid_validity,
                    ..FolderState::default()
                },
                envelopes: BTreeMap::new(),
                bodies: BTreeMap::new(),
            },
        );
        Ok(())
    }

    fn apply_new(&mut self, folder: &str, batch: Vec<FetchedEnvelope>) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        let f = map.entry(folder.to_string()).or_default();
        for e in batch {
            f.state.known.insert(e.uid, &e.flags);
            f.envelopes.insert(e.uid, e);
        }
        Ok(())
    }

    fn apply_flags(&mut self, folder: &str, changes: &[FlagUpdate]) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        let f = map.entry(folder.to_string()).or_default();
        for c in changes {
            if f.state.known.contains(c.uid) {
                f.state.known.insert(c.uid, &c.flags);
            }
            if let Some(e) = f.envelopes.get_mut(&c.uid) {
                e.flags = c.flags.clone();
            }
        }
        Ok(())
    }

    fn apply_expunges(&mut self, folder: &str, uids: &[u32]) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        let f = map.entry(folder.to_string()).or_default();
        for u in uids {
            f.state.known.remove(*u);
            f.envelopes.remove(u);
            f.bodies.remove(u);
        }
        Ok(())
    }

    fn set_sync_point(&mut self, folder: &str, point: SyncPoint) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        let f = map.entry(folder.to_string()).or_default();
        f.state.uid_next = point.uid_next;
        f.state.highest_modseq = point.highest_modseq;
        Ok(())
    }

    fn has_body(&self, folder: &str, uid: u32) -> Result<bool, BackendError> {
        Ok(lock(&self.inner)?
            .get(folder)
            .is_some_and(|f| f.bodies.contains_key(&uid)))
    }

    fn store_body(&mut self, folder: &str, uid: u32, raw: &[u8]) -> Result<(), BackendError> {
        let mut map = lock(&self.inner)?;
        let f = map.entry(folder.to_string()).or_default();
        // a body for a UID the folder no longer lists is not kept
        if f.state.known.contains(uid) {
            f.bodies.insert(uid, raw.to_vec());
        }
        Ok(())
    }
}

#[derive(Debug, Default, Clone)]
pub struct MemoryQueue {
    inner: Arc<Mutex<Vec<PendingOp>>>,
}

impl OpQueue for MemoryQueue {
    fn push(&mut self, op: PendingOp) -> Result<(), BackendError> {
        lock(&self.inner)?.push(op);
        Ok(())
    }

    fn pending(&self) -> Result<Vec<PendingOp>, BackendError> {
        Ok(lock(&self.inner)?.clone())
    }

    fn ack(&mut self, id: &str) -> Result<(), BackendError> {
        lock(&self.inner)?.retain(|op| op.id != id);
        Ok(())
    }
}
