//! [`SyncCache`] for [`StoreSyncCache`]: the sync engine's calls, each of
//! which forgets the folder's in-memory state when it fails (see
//! `forget_on_error`).

use std::collections::HashMap;

use crate::mail::imap::known::KnownFlags;
use crate::mail::imap::sync::{BackendError, FolderState, SyncCache, SyncPoint};
use crate::mail::imap::types::{FetchedEnvelope, FlagUpdate, Flags};
use crate::store::Tree;

use super::super::error::boxed;
use super::{StoreSyncCache, bits, lock, message_tail, summary};

impl SyncCache for StoreSyncCache {
    fn folder_state(&self, folder: &str) -> Result<Option<FolderState>, BackendError> {
        self.settle_applies().map_err(boxed)?;
        let mut map = lock(&self.folders).map_err(boxed)?;
        if !self.ensure_loaded(&mut map, folder).map_err(boxed)? {
            return Ok(None);
        }
        Ok(map.get(folder).map(|mem| {
            // most messages have no keyword: one flag set per system byte
            let mut by_byte: HashMap<u8, Flags> = HashMap::new();
            let mut known = KnownFlags::default();
            for (uid, b) in &mem.base.flags {
                let system = b & bits::SYSTEM;
                match mem.meta.keywords.get(uid) {
                    Some(kw) => known.insert(*uid, &summary::imap_flags(system, kw)),
                    None => {
                        let flags = by_byte
                            .entry(system)
                            .or_insert_with(|| summary::imap_flags(system, &[]));
                        known.insert(*uid, flags);
                    }
                }
            }
            FolderState {
                uid_validity: mem.meta.uid_validity,
                highest_modseq: mem.meta.highest_modseq,
                uid_next: mem.meta.uid_next,
                known,
            }
        }))
    }

    fn reset_folder(&mut self, folder: &str, uid_validity: u32) -> Result<(), BackendError> {
        self.settle_applies().map_err(boxed)?;
        lock(&self.folders).map_err(boxed)?.remove(folder);
        self.reset(folder, uid_validity).map_err(boxed)
    }

    /// Queued for the worker (see `applier`): the session reads on meanwhile.
    fn apply_new(&mut self, folder: &str, batch: Vec<FetchedEnvelope>) -> Result<(), BackendError> {
        self.queue_new(folder, batch).map_err(boxed)
    }

    fn apply_flags(&mut self, folder: &str, changes: &[FlagUpdate]) -> Result<(), BackendError> {
        self.settle_applies().map_err(boxed)?;
        let result = self.flags_changed(folder, changes);
        self.forget_on_error(folder, result).map_err(boxed)
    }

    fn apply_expunges(&mut self, folder: &str, uids: &[u32]) -> Result<(), BackendError> {
        self.settle_applies().map_err(boxed)?;
        let result = self.removed(folder, uids, false);
        self.forget_on_error(folder, result).map_err(boxed)
    }

    fn set_sync_point(&mut self, folder: &str, point: SyncPoint) -> Result<(), BackendError> {
        self.settle_applies().map_err(boxed)?;
        let result = self.sync_point(folder, point);
        self.forget_on_error(folder, result).map_err(boxed)
    }

    fn has_body(&self, folder: &str, uid: u32) -> Result<bool, BackendError> {
        self.settle_applies().map_err(boxed)?;
        let id = {
            let mut map = lock(&self.folders).map_err(boxed)?;
            if !self.ensure_loaded(&mut map, folder).map_err(boxed)? {
                return Ok(false);
            }
            match map.get(folder) {
                Some(m) => m.id,
                None => return Ok(false),
            }
        };
        self.call(move |s| Ok(s.contains(Tree::Bodies, &message_tail(id, uid))?))
            .map_err(boxed)
    }

    fn store_body(&mut self, folder: &str, uid: u32, raw: &[u8]) -> Result<(), BackendError> {
        self.settle_applies().map_err(boxed)?;
        self.body(folder, uid, raw).map_err(boxed)
    }
}
