//! The opened profile database: one sled tree, values sealed with the
//! profile's keys, and the lock state. Invariants: while locked no value can
//! be read or written (every call returns [`Error::Locked`]); every value
//! written goes through [`Keys::seal`] with the full sled key as associated
//! data; multi-key updates go through one [`Batch`], which sled applies
//! atomically.
//!
//! Flush policy: a batch committed with [`Durability::Flush`] is on disk
//! (fsync) when `commit` returns, so acknowledging it is safe (outbox,
//! drafts, audit). [`Durability::Lazy`] batches (re-fetchable cache:
//! envelopes, bodies) are flushed by sled's background flusher within
//! [`FLUSH_EVERY_MS`]; a crash loses at most that window, never consistency.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use zeroize::Zeroizing;

use super::card::KeyUnwrapper;
use super::crypto::Keys;
use super::error::{Error, Result};
use super::header::Header;
use super::layout::{Tree, key};

/// Background flush period of sled for lazy batches.
pub const FLUSH_EVERY_MS: u64 = 500;
/// sled's page cache. What is read most is a screen of summaries and a
/// folder's records; a search index filing or a rebuild of the orders reads
/// every summary page once, and with 64 MB the cache kept 67 MB of them at
/// the peak of a 100 000-message sync (warm open and scrolling measured the
/// same with 16 MB).
const CACHE_BYTES: u64 = 16 * 1024 * 1024;
pub(crate) const DB_DIR: &str = "db";

/// How durable a committed batch must be before `commit` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before returning.
    Flush,
    /// Rely on the background flush (at most `FLUSH_EVERY_MS` at risk).
    Lazy,
}

/// When [`Store::checkpoint`] reopens the database: once this many bytes
/// were written (or read) since it was last opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointAfter {
    /// 8 MB: during a long sync, so that sled's memory for what it wrote
    /// stays bounded (at 100k messages, most of the sync's peak: with 16 MB
    /// the peak was 97–101 MB, with 8 MB 86–90 MB, in the same time within
    /// the machine's noise; 32 MB gave a 10 MB higher peak than 16).
    LargeWrites,
    /// 4 MB: at the end of a sync, so that the next start replays almost
    /// nothing (replaying is what made the first opening after a 100k sync
    /// slow).
    SyncEnd,
    /// As soon as anything was written (tests reopen between writes with it).
    AnyWrite,
    /// 8 MB read: sled stores a tree node bigger than a quarter of its
    /// 512 kB segment apart from its log (a leaf of sixteen summary pages
    /// is), and its cache counts such a node by the size of its pointer, so
    /// it keeps every one it reads until it is reopened: reading a folder's
    /// 100 000 summaries (a search filing, a rebuild of the orders) left
    /// 67 MB behind with a 16 MB cache.
    LargeReads,
}

impl CheckpointAfter {
    fn bytes(self) -> u64 {
        match self {
            CheckpointAfter::LargeWrites => 8 * 1024 * 1024,
            CheckpointAfter::SyncEnd => 4 * 1024 * 1024,
            CheckpointAfter::AnyWrite => 1,
            CheckpointAfter::LargeReads => 8 * 1024 * 1024,
        }
    }
}

/// An opened profile.
pub struct Store {
    dir: PathBuf,
    /// `None` only if reopening at a checkpoint failed: every call then
    /// fails with [`Error::Closed`].
    db: Option<sled::Db>,
    /// Bytes committed since the database was opened.
    written: AtomicU64,
    /// Bytes of values read since the database was opened.
    read: AtomicU64,
    header: Header,
    holder: String,
    keys: Option<Keys>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("locked", &self.keys.is_none())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database of the profile in `dir`, locked.
    pub(crate) fn open_locked(dir: &Path, holder: &str) -> Result<Store> {
        let header = Header::read(dir)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Some(open_db(dir)?),
            written: AtomicU64::new(0),
            read: AtomicU64::new(0),
            header,
            holder: holder.to_string(),
            keys: None,
        })
    }

    fn db(&self) -> Result<&sled::Db> {
        self.db.as_ref().ok_or(Error::Closed)
    }

    /// After writing a lot (a first sync), reopens the database, when at
    /// least `after` bytes were written since it was opened. sled replays,
    /// when it opens, everything written since it last opened (that is when
    /// it writes its snapshot): without this, the start after a
    /// 100k-message sync spends most of its time replaying it. And sled
    /// keeps in memory much of what it wrote until it is closed: reopening
    /// during a long sync gives that memory back. Returns whether it
    /// reopened. Nothing is lost (everything is flushed first) and the keys
    /// stay.
    pub fn checkpoint(&mut self, after: CheckpointAfter) -> Result<bool> {
        let counted = match after {
            CheckpointAfter::LargeReads => &self.read,
            _ => &self.written,
        };
        if counted.load(AtomicOrdering::Relaxed) < after.bytes() {
            return Ok(false);
        }
        self.db()?.flush()?;
        // sled keeps its file lock until its last handle is dropped.
        self.db = None;
        self.db = Some(reopen_db(&self.dir)?);
        self.written.store(0, AtomicOrdering::Relaxed);
        self.read.store(0, AtomicOrdering::Relaxed);
        Ok(true)
    }

    pub(crate) fn with_keys(mut self, keys: Keys) -> Store {
        self.keys = Some(keys);
        self
    }

    /// Unlocks with the card (PSO DECIPHER of the wrapped data key).
    pub fn unlock(&mut self, card: &dyn KeyUnwrapper) -> Result<()> {
        if card.holder_id() != self.holder {
            return Err(Error::WrongCard);
        }
        self.keys = Some(self.header.unwrap_with_card(card)?);
        Ok(())
    }

    /// Drops (and so zeroizes) every key; later calls fail with `Locked`.
    /// Pending lazy writes are flushed first: they are already sealed.
    pub fn lock(&mut self) {
        if let Some(Err(e)) = self.db.as_deref().map(sled::Tree::flush) {
            tracing::warn!(error = %e, "flush before lock failed");
        }
        self.keys = None;
    }

    pub fn is_locked(&self) -> bool {
        self.keys.is_none()
    }

    /// The card holder's identifier (IDNPS) of this profile.
    pub fn holder_id(&self) -> &str {
        &self.holder
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn keys(&self) -> Result<&Keys> {
        self.keys.as_ref().ok_or(Error::Locked)
    }

    /// Hex keyed hash of an identifier (for audit targets and the like).
    pub fn keyed_hash_hex(&self, label: &str, input: &[u8]) -> Result<String> {
        let h = self.keys()?.keyed_hash(label, input)?;
        Ok(hex::encode(&h[..16]))
    }

    /// Starts an atomic batch.
    pub fn batch(&self) -> Result<Batch<'_>> {
        Ok(Batch {
            store: self,
            keys: self.keys()?,
            inner: sled::Batch::default(),
            empty: true,
            bytes: 0,
        })
    }

    /// Forces everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.db()?.flush()?;
        Ok(())
    }

    /// Reads and opens one value; `tail` is the key after the tree byte.
    pub fn get(&self, tree: Tree, tail: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let keys = self.keys()?;
        let k = key(tree, &[tail]);
        match self.db()?.get(&k)? {
            None => Ok(None),
            Some(v) => {
                self.count_read(v.len());
                Ok(Some(keys.open(&k, &v, tree.name())?))
            }
        }
    }

    fn count_read(&self, bytes: usize) {
        self.read.fetch_add(
            u64::try_from(bytes).unwrap_or(u64::MAX),
            AtomicOrdering::Relaxed,
        );
    }

    /// True when the key exists (no decryption).
    pub fn contains(&self, tree: Tree, tail: &[u8]) -> Result<bool> {
        self.keys()?;
        Ok(self.db()?.contains_key(key(tree, &[tail]))?)
    }

    /// Up to `limit` entries of `tree` whose key tails lie in
    /// `[from, to)` (`None` = unbounded), in key order or reversed; only the
    /// returned entries are decrypted, so paging a large folder is cheap.
    pub fn scan(
        &self,
        tree: Tree,
        range: TailRange<'_>,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        let keys = self.keys()?;
        let (lo, hi) = bounds(tree, range);
        let iter = self.db()?.range::<Vec<u8>, _>((lo, hi));
        let mut out = Vec::with_capacity(limit.min(1024));
        let mut push = |item: sled::Result<(sled::IVec, sled::IVec)>| -> Result<bool> {
            let (k, v) = item?;
            self.count_read(v.len());
            let plain = keys.open(&k, &v, tree.name())?;
            out.push(Entry {
                tail: k[1..].to_vec(),
                value: plain,
            });
            Ok(out.len() < limit)
        };
        match order {
            Order::Ascending => {
                for item in iter {
                    if !push(item)? {
                        break;
                    }
                }
            }
            Order::Descending => {
                for item in iter.rev() {
                    if !push(item)? {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` key tails of `tree` in the range, ascending (no decryption).
    pub fn tails(&self, tree: Tree, range: TailRange<'_>, limit: usize) -> Result<Vec<Vec<u8>>> {
        self.keys()?;
        let (lo, hi) = bounds(tree, range);
        let mut out = Vec::new();
        for item in self.db()?.range::<Vec<u8>, _>((lo, hi)).keys().take(limit) {
            out.push(item?[1..].to_vec());
        }
        Ok(out)
    }

    /// Number of keys of `tree` in the tail range (no decryption).
    pub fn count(&self, tree: Tree, range: TailRange<'_>) -> Result<usize> {
        self.keys()?;
        let (lo, hi) = bounds(tree, range);
        let mut n = 0;
        for item in self.db()?.range::<Vec<u8>, _>((lo, hi)) {
            item?;
            n += 1;
        }
        Ok(n)
    }

    /// A monotonic id, unique in this profile (sled's id generator).
    pub fn next_id(&self) -> Result<u64> {
        self.keys()?;
        Ok(self.db()?.generate_id()?)
    }

    /// Raw iteration for `verify`: every (key, sealed value) pair.
    pub(crate) fn raw_iter(&self) -> Result<sled::Iter> {
        Ok(self.db()?.iter())
    }

    pub(crate) fn raw_contains(&self, full_key: &[u8]) -> Result<bool> {
        Ok(self.db()?.contains_key(full_key)?)
    }
}

fn bounds(tree: Tree, range: TailRange<'_>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let lo = match range.from {
        Some(f) => Bound::Included(key(tree, &[f])),
        None => Bound::Included(vec![tree as u8]),
    };
    let hi = match range.to {
        Some(t) => Bound::Excluded(key(tree, &[t])),
        None => Bound::Excluded(vec![tree as u8 + 1]),
    };
    (lo, hi)
}

/// A decrypted entry of a scan: key tail (after the tree byte) and value.
#[derive(Debug)]
pub struct Entry {
    pub tail: Vec<u8>,
    pub value: Zeroizing<Vec<u8>>,
}

/// Bounds on key tails for [`Store::scan`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TailRange<'a> {
    pub from: Option<&'a [u8]>,
    pub to: Option<&'a [u8]>,
}

impl<'a> TailRange<'a> {
    pub fn all() -> Self {
        TailRange::default()
    }

    pub fn between(from: &'a [u8], to: &'a [u8]) -> Self {
        TailRange {
            from: Some(from),
            to: Some(to),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// Writes applied together or not at all.
pub struct Batch<'s> {
    store: &'s Store,
    keys: &'s Keys,
    inner: sled::Batch,
    empty: bool,
    /// Keys and sealed values staged, for [`Store::checkpoint`].
    bytes: u64,
}

impl Batch<'_> {
    /// Seals and stages `plain` under `tree`/`tail`.
    pub fn put(&mut self, tree: Tree, tail: &[u8], plain: &[u8]) -> Result<()> {
        let k = key(tree, &[tail]);
        let sealed = self.keys.seal(&k, plain)?;
        self.bytes += (k.len() + sealed.len()) as u64;
        self.inner.insert(k, sealed);
        self.empty = false;
        Ok(())
    }

    /// Stages the removal of `tree`/`tail`.
    pub fn remove(&mut self, tree: Tree, tail: &[u8]) {
        self.inner.remove(key(tree, &[tail]));
        self.empty = false;
    }

    pub(crate) fn keys(&self) -> &Keys {
        self.keys
    }

    /// The store the batch will be applied to (to read what it replaces).
    pub(crate) fn store(&self) -> &Store {
        self.store
    }

    /// Applies the batch atomically.
    pub fn commit(self, durability: Durability) -> Result<()> {
        if self.empty {
            return Ok(());
        }
        let db = self.store.db()?;
        db.apply_batch(self.inner)?;
        self.store
            .written
            .fetch_add(self.bytes, AtomicOrdering::Relaxed);
        if durability == Durability::Flush {
            db.flush()?;
        }
        Ok(())
    }
}

/// Opens the database again just after its last handle was dropped: sled's
/// own threads (its flusher, its writers of large values) can hold the file
/// lock a moment longer (seen with a 20 MB outbox value), so a refused lock
/// is retried for up to two seconds before the error is returned.
fn reopen_db(dir: &Path) -> Result<sled::Db> {
    const ATTEMPTS: u32 = 100;
    let mut attempt = 1;
    loop {
        match open_db(dir) {
            Ok(db) => return Ok(db),
            Err(Error::Db(sled::Error::Io(e))) if attempt < ATTEMPTS => {
                tracing::debug!(error = %e, attempt, "the database is still locked");
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

fn open_db(dir: &Path) -> Result<sled::Db> {
    Ok(sled::Config::new()
        .path(dir.join(DB_DIR))
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(Some(FLUSH_EVERY_MS))
        .open()?)
}
