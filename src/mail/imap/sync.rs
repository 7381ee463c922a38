//! The sync engine: brings a cache up to date with one folder on the server.
//!
//! It works from the cache's state (UIDVALIDITY, HIGHESTMODSEQ, known UIDs with flags),
//! behind [`SyncCache`] so the encrypted store can be plugged in later. Strategy, best
//! first: QRESYNC (`SELECT ... (QRESYNC ...)` returns VANISHED and changed flags in one
//! round trip), CONDSTORE (`CHANGEDSINCE`), else a full `UID FETCH 1:* (FLAGS)` diff.
//! Missing messages are "server UIDs not in the cache", not "UIDs above the highest
//! known", so a sync interrupted between batches resumes without holes. New envelopes are
//! fetched newest first in batches, each applied and reported before the next, so a first
//! screen can show while the rest arrives. The sync point (HIGHESTMODSEQ) is stored last:
//! a crash before it only means redoing work, never missing a change. A UIDVALIDITY change
//! resets the folder in the cache before anything else is applied.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::conn::{ImapConn, QresyncParams};
use super::error::Error;
use super::types::{FetchedEnvelope, FlagUpdate, Flags};

/// Errors of a cache or queue implementation (the store's own type, boxed).
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// What the cache knows of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    pub uid_validity: u32,
    pub highest_modseq: Option<u64>,
    pub uid_next: Option<u32>,
    pub known: BTreeMap<u32, Flags>,
}

/// Where a completed sync left the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPoint {
    pub uid_next: Option<u32>,
    pub highest_modseq: Option<u64>,
}

/// The cache the sync engine writes to. Calls are short and synchronous (the store
/// answers from its own thread).
pub trait SyncCache: Send {
    fn folder_state(&self, folder: &str) -> Result<Option<FolderState>, BackendError>;
    /// Forgets everything about `folder` (UIDVALIDITY changed) and records the new value.
    fn reset_folder(&mut self, folder: &str, uid_validity: u32) -> Result<(), BackendError>;
    fn apply_new(&mut self, folder: &str, batch: &[FetchedEnvelope]) -> Result<(), BackendError>;
    fn apply_flags(&mut self, folder: &str, changes: &[FlagUpdate]) -> Result<(), BackendError>;
    fn apply_expunges(&mut self, folder: &str, uids: &[u32]) -> Result<(), BackendError>;
    fn set_sync_point(&mut self, folder: &str, point: SyncPoint) -> Result<(), BackendError>;
    /// Whether the full message is cached (bodies are fetched on demand and prefetched).
    fn has_body(&self, folder: &str, uid: u32) -> Result<bool, BackendError>;
    fn store_body(&mut self, folder: &str, uid: u32, raw: &[u8]) -> Result<(), BackendError>;
}

/// How the folder was brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    /// First sync, or the folder was reset.
    Initial,
    Qresync,
    Condstore,
    /// Full flag listing.
    FullScan,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub folder: String,
    pub strategy: Strategy,
    /// True when UIDVALIDITY changed and the cached folder was dropped.
    pub reset: bool,
    pub new: usize,
    pub flag_changes: usize,
    pub expunged: usize,
    pub exists: u32,
}

/// Progress after each batch of new envelopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub folder: String,
    pub fetched: usize,
    pub total: usize,
    pub batch_newest: u32,
    pub batch_oldest: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Envelopes per FETCH.
    pub batch_size: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { batch_size: 200 }
    }
}

fn cache_err(e: BackendError) -> Error {
    Error::Cache { source: e }
}

/// Synchronises `folder` into `cache`.
pub async fn sync_folder(
    conn: &mut ImapConn,
    cache: &mut dyn SyncCache,
    folder: &str,
    options: SyncOptions,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<SyncReport, Error> {
    let state = cache.folder_state(folder).map_err(cache_err)?;
    let cached_modseq = state.as_ref().and_then(|s| s.highest_modseq);
    let qresync = state.as_ref().and_then(|s| {
        let modseq = s.highest_modseq?;
        conn.has_qresync().then(|| QresyncParams {
            uid_validity: s.uid_validity,
            modseq,
            known_uids: s.known.keys().copied().collect(),
        })
    });
    let outcome = conn.select(folder, false, qresync.as_ref()).await?;
    let selected = outcome.selected.clone();
    let mut report = SyncReport {
        folder: folder.to_string(),
        strategy: Strategy::Initial,
        reset: false,
        new: 0,
        flag_changes: 0,
        expunged: 0,
        exists: selected.exists,
    };
    let mut known: BTreeMap<u32, Flags> = match state {
        Some(s) if s.uid_validity == selected.uid_validity => s.known,
        previous => {
            report.reset = previous.is_some();
            cache
                .reset_folder(folder, selected.uid_validity)
                .map_err(cache_err)?;
            BTreeMap::new()
        }
    };
    let server: BTreeSet<u32> = if selected.exists == 0 {
        BTreeSet::new()
    } else {
        conn.uid_search("ALL").await?.into_iter().collect()
    };

    if !known.is_empty() {
        let changes: Vec<FlagUpdate> = if qresync.is_some() && !report.reset {
            report.strategy = Strategy::Qresync;
            outcome.changed
        } else if let (Some(m), true) = (cached_modseq, conn.has_condstore()) {
            report.strategy = Strategy::Condstore;
            conn.fetch_flags("1:*", Some(m)).await?
        } else {
            report.strategy = Strategy::FullScan;
            conn.fetch_flags("1:*", None).await?
        };
        let changes: Vec<FlagUpdate> = changes
            .into_iter()
            .filter(|c| known.get(&c.uid).is_some_and(|f| *f != c.flags))
            .collect();
        if !changes.is_empty() {
            cache.apply_flags(folder, &changes).map_err(cache_err)?;
            for c in &changes {
                known.insert(c.uid, c.flags.clone());
            }
        }
        report.flag_changes = changes.len();
        // VANISHED is advisory; the UID list is the truth for every strategy.
        let gone: Vec<u32> = known
            .keys()
            .filter(|u| !server.contains(u))
            .copied()
            .collect();
        if !gone.is_empty() {
            cache.apply_expunges(folder, &gone).map_err(cache_err)?;
            for u in &gone {
                known.remove(u);
            }
        }
        report.expunged = gone.len();
    }

    let mut missing: Vec<u32> = server
        .iter()
        .filter(|u| !known.contains_key(u))
        .copied()
        .collect();
    missing.sort_unstable_by_key(|u| std::cmp::Reverse(*u));
    let total = missing.len();
    let mut fetched = 0;
    for chunk in missing.chunks(options.batch_size.max(1)) {
        let mut batch = conn.fetch_envelopes(chunk).await?;
        batch.sort_unstable_by_key(|e| std::cmp::Reverse(e.uid));
        cache.apply_new(folder, &batch).map_err(cache_err)?;
        fetched += batch.len();
        progress(SyncProgress {
            folder: folder.to_string(),
            fetched,
            total,
            batch_newest: chunk.first().copied().unwrap_or(0),
            batch_oldest: chunk.last().copied().unwrap_or(0),
        });
    }
    report.new = fetched;
    cache
        .set_sync_point(
            folder,
            SyncPoint {
                uid_next: selected.uid_next,
                highest_modseq: selected.highest_modseq,
            },
        )
        .map_err(cache_err)?;
    Ok(report)
}
