//! [`StoreSyncCache`]: the sync engine's cache over the encrypted store, for
//! one account. Per message it keeps the summary (an `Envelope`, sealed, in
//! the store's envelope tree; the store's Message-ID index is not kept for
//! the cache: nothing looks cached mail up by Message-ID, threading works
//! from the thread keys) and the raw body once fetched; per folder the
//! records of [`super::index`].
//!
//! The folder's state lives in memory while a session runs (loaded once from
//! `META` + `BASE`) and is written back after every change, so a reader in
//! another process sees a consistent folder. During a long first sync the
//! ordered index is rewritten after the first batch and then each time the
//! folder has grown fourfold (total work stays linear and the first screen
//! shows early); the sync point is written last (see `imap::sync`), so a crash
//! only means redoing work. Cloning gives another handle on the same state
//! (the session task owns one, the account service applies local changes
//! through another).

mod applier;
mod header_filer;
mod sync_cache;
mod writes;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use zeroize::Zeroizing;

use crate::domain::envelope::Envelope;
use crate::mail::imap::sync::SyncPoint;
use crate::mail::imap::types::{FetchedEnvelope, FlagUpdate, Flags};
use crate::mail::mime::{Limits, parse_message};
use crate::mail::search::IndexDocument;
use crate::store::{CheckpointAfter, Durability, FolderId, FolderRef, Pending, Store, StoreHandle};

use super::error::Error;
use super::index::{
    Base, FolderMeta, Order, RECORD_BASE, RECORD_LEGACY_THREAD_KEYS, RECORD_META, SORT_KEYS,
    ThreadKey, compute_date_orders, compute_orders, drop_uids, order_record,
};
use super::summary::{self, bits};
use super::{pages, postings, summary_codec};

/// What the cache does besides storing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// File the headers (from, to, subject, date) of new envelopes in the
    /// search index, in the background after each sync point; without it a
    /// search reads the summaries of the messages not filed. Bodies are
    /// filed when they are cached either way.
    pub index_headers: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            index_headers: true,
        }
    }
}

struct FolderMem {
    id: FolderId,
    meta: FolderMeta,
    base: Base,
    /// Loaded when the orders must be rebuilt; dropped after the sync point.
    keys: Option<BTreeMap<u32, ThreadKey>>,
    /// New or expunged messages since the orders were last rebuilt.
    orders_stale: bool,
    /// Messages in the orders as last written.
    ordered: usize,
}

/// Envelope batches sent to the store thread and not yet confirmed: while the
/// store seals and writes one, the session parses the next.
const MAX_WRITES_IN_FLIGHT: usize = 8;

/// The store-backed [`SyncCache`] of one account.
#[derive(Clone)]
pub struct StoreSyncCache {
    store: StoreHandle,
    account: String,
    options: CacheOptions,
    folders: Arc<Mutex<HashMap<String, FolderMem>>>,
    /// Writes sent without waiting (lock order: `folders`, then this).
    writes: Arc<Mutex<VecDeque<WriteInFlight>>>,
    /// New envelopes being applied by the worker (never locked while
    /// holding `folders`: the worker takes `folders`).
    applier: Arc<Mutex<applier::Applier>>,
    /// Files new headers in the search index after a sync point.
    filer: Arc<Mutex<header_filer::HeaderFiler>>,
}

/// A write sent to the store thread, its outcome still to collect.
type WriteInFlight = Pending<Result<(), Error>>;

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, Error> {
    m.lock().map_err(|_| Error::Corrupt {
        what: "in-memory folder state (lock poisoned)",
    })
}

/// The key tail of a message in the envelope and body trees.
pub(crate) fn message_tail(folder: FolderId, uid: u32) -> Vec<u8> {
    let mut t = folder.0.to_vec();
    t.extend_from_slice(&uid.to_be_bytes());
    t
}

/// Records to write for a folder, encoded by the caller's thread.
#[derive(Default)]
struct Records {
    items: Vec<(u8, Zeroizing<Vec<u8>>)>,
}

impl Records {
    fn push(&mut self, record: u8, bytes: Vec<u8>) {
        self.items.push((record, Zeroizing::new(bytes)));
    }
}

impl StoreSyncCache {
    pub fn new(store: StoreHandle, account: &str, options: CacheOptions) -> Self {
        StoreSyncCache {
            store,
            account: account.to_string(),
            options,
            folders: Arc::new(Mutex::new(HashMap::new())),
            writes: Arc::new(Mutex::new(VecDeque::new())),
            applier: Arc::default(),
            filer: Arc::default(),
        }
    }

    /// Blocks until the headers of every synced message are filed in the
    /// search index (a command-line sync waits for it before it exits; a
    /// session does not: what is not filed is searched by reading it).
    pub fn wait_for_search_index(&self) -> Result<(), Error> {
        // not holding the filer's lock while waiting: a sync point of
        // another clone may ask for a filing meanwhile
        let shared = lock(&self.filer)?.shared.clone();
        shared.wait_idle();
        Ok(())
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn store(&self) -> &StoreHandle {
        &self.store
    }

    /// Runs `f` on the store thread once every earlier write is confirmed
    /// (so an earlier failure is reported here, not lost).
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.settle_writes()?;
        self.store.call(move |s| f(s))?
    }

    /// Loads the folder's state into memory (once); false when not cached.
    fn ensure_loaded(
        &self,
        map: &mut HashMap<String, FolderMem>,
        folder: &str,
    ) -> Result<bool, Error> {
        if map.contains_key(folder) {
            return Ok(true);
        }
        let (account, name) = (self.account.clone(), folder.to_string());
        let loaded = self.call(move |s| {
            let id = s.folder_id(FolderRef {
                account: &account,
                folder: &name,
            })?;
            let Some(meta) = s.folder_record(id, RECORD_META)? else {
                return Ok((id, None));
            };
            let meta: FolderMeta = serde_json::from_slice(&meta)?;
            let base = match s.folder_record(id, RECORD_BASE)? {
                Some(b) => Base::decode(&b)?,
                None => Base::default(),
            };
            Ok((id, Some((meta, base))))
        })?;
        match loaded {
            (_, None) => Ok(false),
            (id, Some((meta, base))) => {
                let ordered = base.flags.len();
                map.insert(
                    folder.to_string(),
                    FolderMem {
                        id,
                        meta,
                        base,
                        keys: None,
                        orders_stale: false,
                        ordered,
                    },
                );
                Ok(true)
            }
        }
    }

    /// Loads the thread keys for a rebuild of the orders from the stored
    /// summaries of the messages `BASE` lists (nothing else is kept for it:
    /// a copy of the keys was most of what a sync wrote).
    fn ensure_keys(&self, mem: &mut FolderMem) -> Result<(), Error> {
        if mem.keys.is_some() {
            return Ok(());
        }
        let id = mem.id;
        let uids: Vec<u32> = mem.base.flags.keys().copied().collect();
        // One call per chunk: between calls the store gives back what sled
        // keeps of large reads (see `CheckpointAfter::LargeReads`).
        let mut keys = BTreeMap::new();
        for chunk in uids.chunks(4096) {
            let chunk = chunk.to_vec();
            for key in self.call(move |s| pages::read_thread_keys(s, id, &chunk))? {
                keys.insert(key.uid, key);
            }
        }
        mem.keys = Some(keys);
        Ok(())
    }

    /// Writes `META`, `BASE` and, as asked, the orders.
    fn persist(
        &self,
        mem: &mut FolderMem,
        orders: OrdersToWrite,
        completion: Completion,
    ) -> Result<(), Error> {
        mem.meta.total = mem.base.flags.len();
        mem.meta.unread = mem.base.unread();
        let mut records = Records::default();
        records.push(RECORD_META, serde_json::to_vec(&mem.meta)?);
        records.push(RECORD_BASE, mem.base.encode());
        if orders != OrdersToWrite::None {
            self.ensure_keys(mem)?;
            let keys = mem.keys.take().unwrap_or_default();
            mem.ordered = keys.len();
            let computed = if orders == OrdersToWrite::All {
                // The keys go into the computation (at 100k messages a copy
                // is 50 MB); they are read back from the pages if needed.
                mem.orders_stale = false;
                compute_orders(keys.into_values())
            } else {
                let date_orders = compute_date_orders(keys.values().cloned());
                mem.keys = Some(keys);
                date_orders
            };
            for (record, order) in computed {
                records.push(record, order.encode());
            }
        }
        let id = mem.id;
        let write = move |s: &mut Store| {
            let mut b = s.batch()?;
            for (record, bytes) in &records.items {
                b.put_folder_record(id, *record, bytes)?;
            }
            if orders == OrdersToWrite::All {
                b.remove_folder_record(id, RECORD_LEGACY_THREAD_KEYS)?;
            }
            b.commit(Durability::Lazy)?;
            Ok(())
        };
        match completion {
            Completion::Wait => {
                self.settle_writes()?;
                self.store.call(write)?
            }
            Completion::Pipelined => self.submit_write(write),
        }
    }

    /// Applies a change made here (read, flag, delete, move) to the cache at
    /// once, before the server knows: the list shows it immediately.
    pub fn apply_local_flags(
        &self,
        folder: &str,
        uids: &[u32],
        add: &Flags,
        remove: &Flags,
    ) -> Result<(), Error> {
        self.settle_applies()?;
        let changes: Vec<FlagUpdate> = {
            let mut map = lock(&self.folders)?;
            if !self.ensure_loaded(&mut map, folder)? {
                return Ok(());
            }
            let Some(mem) = map.get(folder) else {
                return Ok(());
            };
            uids.iter()
                .filter_map(|u| {
                    let byte = *mem.base.flags.get(u)?;
                    let kw = mem.meta.keywords.get(u).cloned().unwrap_or_default();
                    let mut set = summary::imap_flags(byte & bits::SYSTEM, &kw).0;
                    for f in &add.0 {
                        set.insert(f.clone());
                    }
                    for f in &remove.0 {
                        set.remove(f);
                    }
                    Some(FlagUpdate {
                        uid: *u,
                        flags: Flags(set),
                        modseq: None,
                    })
                })
                .collect()
        };
        let result = self.flags_changed(folder, &changes);
        self.forget_on_error(folder, result)
    }

    /// Removes messages from the cache at once (delete, move away).
    pub fn apply_local_removal(&self, folder: &str, uids: &[u32]) -> Result<(), Error> {
        self.settle_applies()?;
        let result = self.removed(folder, uids, true);
        self.forget_on_error(folder, result)
    }

    /// The cached folder's UIDVALIDITY, if the folder is cached.
    pub fn uid_validity(&self, folder: &str) -> Result<Option<u32>, Error> {
        self.settle_applies()?;
        let mut map = lock(&self.folders)?;
        if !self.ensure_loaded(&mut map, folder)? {
            return Ok(None);
        }
        Ok(map.get(folder).map(|m| m.meta.uid_validity))
    }

    fn flags_changed(&self, folder: &str, changes: &[FlagUpdate]) -> Result<(), Error> {
        let mut map = lock(&self.folders)?;
        if !self.ensure_loaded(&mut map, folder)? {
            return Ok(());
        }
        let Some(mem) = map.get_mut(folder) else {
            return Ok(());
        };
        let mut rows = Vec::new();
        for c in changes {
            let Some(byte) = mem.base.flags.get_mut(&c.uid) else {
                continue;
            };
            *byte = (*byte & !bits::SYSTEM) | summary::system_bits(&c.flags);
            let kw = summary::keywords(&c.flags);
            if kw.is_empty() {
                mem.meta.keywords.remove(&c.uid);
            } else {
                mem.meta.keywords.insert(c.uid, kw);
            }
            rows.push((c.uid, c.flags.clone()));
        }
        if rows.is_empty() {
            return Ok(());
        }
        let id = mem.id;
        self.call(move |s| {
            let new_flags: BTreeMap<u32, Flags> = rows.into_iter().collect();
            let uids: Vec<u32> = new_flags.keys().copied().collect();
            let mut changed = Vec::with_capacity(uids.len());
            for mut env in pages::read_summaries(s, id, &uids)? {
                if let Some(flags) = new_flags.get(&env.uid) {
                    env.flags = summary::domain_flags(flags);
                    changed.push((env.uid, Zeroizing::new(summary_codec::encode(&env))));
                }
            }
            let mut b = s.batch()?;
            pages::put_encoded(s, &mut b, id, changed)?;
            b.commit(Durability::Lazy)?;
            Ok(())
        })?;
        self.persist(mem, OrdersToWrite::None, Completion::Wait)
    }

    fn removed(&self, folder: &str, uids: &[u32], rewrite_orders: bool) -> Result<(), Error> {
        let mut map = lock(&self.folders)?;
        if !self.ensure_loaded(&mut map, folder)? {
            return Ok(());
        }
        let Some(mem) = map.get_mut(folder) else {
            return Ok(());
        };
        let gone: BTreeSet<u32> = uids
            .iter()
            .copied()
            .filter(|u| mem.base.flags.contains_key(u))
            .collect();
        if gone.is_empty() {
            return Ok(());
        }
        for u in &gone {
            mem.base.flags.remove(u);
            mem.meta.keywords.remove(u);
            if let Some(k) = mem.keys.as_mut() {
                k.remove(u);
            }
        }
        let id = mem.id;
        let (account, name) = (self.account.clone(), folder.to_string());
        let list: Vec<u32> = gone.iter().copied().collect();
        let gone_count = list.len();
        self.call(move |s| {
            let folder = FolderRef {
                account: &account,
                folder: &name,
            };
            let message_ids: BTreeMap<u32, Option<String>> = pages::read_summaries(s, id, &list)?
                .into_iter()
                .map(|e| (e.uid, e.message_id))
                .collect();
            let mut b = s.batch()?;
            pages::remove(s, &mut b, id, &list)?;
            for uid in &list {
                // the body, and what an earlier version indexed by Message-ID
                let mid = message_ids.get(uid).cloned().flatten();
                b.remove_message(folder, *uid, mid.as_deref())?;
            }
            if rewrite_orders {
                // Drop the entries from every order: no recompute needed.
                for sort in SORT_KEYS {
                    for threaded in [false, true] {
                        let record = order_record(sort, threaded);
                        if let Some(bytes) = s.folder_record(id, record)? {
                            let mut order = Order::decode(&bytes)?;
                            drop_uids(&mut order, &gone);
                            b.put_folder_record(id, record, &order.encode())?;
                        }
                    }
                }
            }
            b.commit(Durability::Lazy)?;
            postings::unindex(s, id, &list)
        })?;
        if !rewrite_orders {
            mem.orders_stale = true;
        }
        mem.ordered = mem.ordered.saturating_sub(gone_count);
        self.persist(mem, OrdersToWrite::None, Completion::Wait)
    }

    fn new_messages(&self, folder: &str, batch: &[FetchedEnvelope]) -> Result<(), Error> {
        let mut map = lock(&self.folders)?;
        if !self.ensure_loaded(&mut map, folder)? {
            // never reset (cannot happen through the engine): start empty
            drop(map);
            self.reset(folder, 0)?;
            map = lock(&self.folders)?;
        }
        let Some(mem) = map.get_mut(folder) else {
            return Ok(());
        };
        self.ensure_keys(mem)?;
        let envelopes: Vec<Envelope> = batch.iter().map(summary::summarise).collect();
        for env in &envelopes {
            mem.base.flags.insert(env.uid, summary::flag_byte(env));
            if env.flags.keywords.is_empty() {
                mem.meta.keywords.remove(&env.uid);
            } else {
                mem.meta
                    .keywords
                    .insert(env.uid, env.flags.keywords.clone());
            }
            if let Some(k) = mem.keys.as_mut() {
                k.insert(env.uid, ThreadKey::of(env));
            }
        }
        mem.orders_stale = true;
        // Encoded here, sealed and written by the store thread meanwhile.
        let id = mem.id;
        let encoded = envelopes
            .iter()
            .map(|e| (e.uid, Zeroizing::new(summary_codec::encode(e))))
            .collect::<Vec<_>>();
        self.submit_write(move |s| {
            let mut b = s.batch()?;
            pages::put_encoded(s, &mut b, id, encoded)?;
            b.commit(Durability::Lazy)?;
            Ok(())
        })?;
        // Once enough is written, the store is reopened behind this batch
        // (sled's memory for what it wrote is given back).
        self.submit_checkpoint()?;
        // `BASE` and the date orders are written after the first batch, then
        // each time the folder has grown fourfold (the list shows early, the
        // rewrites cost a third of the folder's ordering work); the sync
        // point writes them all.
        // Written while the session goes on parsing (the store thread keeps
        // the order of writes, so `BASE` never lists an unwritten envelope).
        let total = mem.base.flags.len();
        if mem.ordered == 0 || total >= mem.ordered.saturating_mul(4) {
            self.persist(mem, OrdersToWrite::DateOnly, Completion::Pipelined)
        } else {
            Ok(())
        }
    }

    fn reset(&self, folder: &str, uid_validity: u32) -> Result<(), Error> {
        // Before the folder is cleared: a filing under way stops writing.
        lock(&self.filer)?.shared.folder_reset();
        let (account, name) = (self.account.clone(), folder.to_string());
        let id = self.call(move |s| {
            let f = FolderRef {
                account: &account,
                folder: &name,
            };
            s.clear_folder(f)?;
            s.clear_folder_records(f)?;
            Ok(s.folder_id(f)?)
        })?;
        let mut mem = FolderMem {
            id,
            meta: FolderMeta {
                uid_validity,
                ..FolderMeta::default()
            },
            base: Base::default(),
            keys: Some(BTreeMap::new()),
            orders_stale: false,
            ordered: 0,
        };
        self.persist(&mut mem, OrdersToWrite::All, Completion::Wait)?;
        lock(&self.folders)?.insert(folder.to_string(), mem);
        Ok(())
    }

    fn sync_point(&self, folder: &str, point: SyncPoint) -> Result<(), Error> {
        let mut map = lock(&self.folders)?;
        if !self.ensure_loaded(&mut map, folder)? {
            return Ok(());
        }
        let Some(mem) = map.get_mut(folder) else {
            return Ok(());
        };
        mem.meta.uid_next = point.uid_next;
        mem.meta.highest_modseq = point.highest_modseq;
        mem.meta.synced_at = Some(time::OffsetDateTime::now_utc().unix_timestamp());
        let orders = if mem.orders_stale {
            OrdersToWrite::All
        } else {
            OrdersToWrite::None
        };
        self.persist(mem, orders, Completion::Wait)?;
        // The thread keys are only needed for the next rebuild: free them.
        mem.keys = None;
        let filing = if self.options.index_headers {
            let requested = lock(&self.filer)?.request(&self.store, mem.id);
            if let Err(e) = &requested {
                // the sync itself is complete: a search reads what is not filed
                tracing::warn!(error = %e, "the headers of new messages are not filed");
            }
            requested.is_ok()
        } else {
            false
        };
        // After a first sync, the next start opens without replaying it; the
        // filing, when there is one, does it once it ends (the sync returns
        // without waiting for sled's write-back and reopening).
        if !filing
            && self
                .store
                .call(|s| s.checkpoint(CheckpointAfter::SyncEnd))??
        {
            tracing::info!(folder, "store reopened after a large sync");
        }
        Ok(())
    }

    fn body(&self, folder: &str, uid: u32, raw: &[u8]) -> Result<(), Error> {
        let id = {
            let mut map = lock(&self.folders)?;
            if !self.ensure_loaded(&mut map, folder)? {
                return Ok(());
            }
            match map.get(folder) {
                // a body for a UID the folder no longer lists is not kept
                Some(mem) if mem.base.flags.contains_key(&uid) => mem.id,
                _ => return Ok(()),
            }
        };
        let raw = Zeroizing::new(raw.to_vec());
        self.call(move |s| store_body(s, id, uid, &raw))
    }
}

/// Stores a raw body and indexes its full text.
pub(crate) fn store_body(s: &Store, id: FolderId, uid: u32, raw: &[u8]) -> Result<(), Error> {
    let mut b = s.batch()?;
    b.put_body_by_id(id, uid, raw)?;
    b.commit(Durability::Lazy)?;
    if let Ok(message) = parse_message(raw, &Limits::default()) {
        postings::index_documents(s, id, &[IndexDocument::from_message(uid, &message)])?;
    }
    Ok(())
}

/// Whether a write of the folder's records is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Completion {
    /// Confirmed before returning (a failure is this call's error).
    Wait,
    /// Sent to the store thread behind the envelope writes; a failure is
    /// reported by the next call (see `writes`).
    Pipelined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrdersToWrite {
    None,
    /// The date orders only (while a first sync runs).
    DateOnly,
    All,
}
