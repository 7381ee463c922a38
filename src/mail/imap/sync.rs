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

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::conn::{ImapConn, QresyncParams};
use super::error::Error;
use super::known::KnownFlags;
use super::types::{FetchedEnvelope, FlagUpdate};

/// Errors of a cache or queue implementation (the store's own type, boxed).
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// What the cache knows of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderState {
    pub uid_validity: u32,
    pub highest_modseq: Option<u64>,
    pub uid_next: Option<u32>,
    pub known: KnownFlags,
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
    /// New envelopes, handed over (a first sync moves 100 000 of them).
    fn apply_new(&mut self, folder: &str, batch: Vec<FetchedEnvelope>) -> Result<(), BackendError>;
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
    /// Envelopes handed to the cache (and reported) at a time, newest first.
    pub batch_size: usize,
    /// Most UIDs one `UID FETCH` asks for. The first command asks for one
    /// batch (the first screen), each next one four times more up to this
    /// bound: few round trips on a large folder, bounded memory.
    pub max_fetch: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            batch_size: 200,
            max_fetch: 10_000,
        }
    }
}

/// Most ranges in one UID set: keeps a command far below the line length
/// servers accept (Dovecot: 64 kB) however scattered the UIDs are.
const MAX_RANGES_PER_FETCH: usize = 500;

/// How many of `uids` (descending) the next `UID FETCH` takes: at most
/// `max_uids`, and at most [`MAX_RANGES_PER_FETCH`] runs of consecutive UIDs.
fn next_fetch_len(uids: &[u32], max_uids: usize) -> usize {
    let mut ranges = 1;
    let mut taken = 0;
    for pair in uids.windows(2) {
        if taken + 1 >= max_uids {
            break;
        }
        if pair[0] != pair[1].saturating_add(1) {
            if ranges == MAX_RANGES_PER_FETCH {
                break;
            }
            ranges += 1;
        }
        taken += 1;
    }
    (taken + 1).min(uids.len()).min(max_uids.max(1))
}

/// The slices of `answer` (descending UIDs) that belong to each batch of
/// `asked` (descending, cut every `batch_size`): a UID the server did not
/// return (expunged meanwhile) just leaves its batch shorter.
fn batch_ranges(
    answer: &[FetchedEnvelope],
    asked: &[u32],
    batch_size: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for chunk in asked.chunks(batch_size) {
        let oldest = chunk.last().copied().unwrap_or(0);
        let len = answer[start..]
            .iter()
            .take_while(|e| e.uid >= oldest)
            .count();
        out.push(start..start + len);
        start += len;
    }
    out
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
            known_uids: s.known.uids().collect(),
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
    let mut known: KnownFlags = match state {
        Some(s) if s.uid_validity == selected.uid_validity => s.known,
        previous => {
            report.reset = previous.is_some();
            cache
                .reset_folder(folder, selected.uid_validity)
                .map_err(cache_err)?;
            KnownFlags::default()
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
            .filter(|c| known.get(c.uid).is_some_and(|f| *f != c.flags))
            .collect();
        if !changes.is_empty() {
            cache.apply_flags(folder, &changes).map_err(cache_err)?;
            for c in &changes {
                known.insert(c.uid, &c.flags);
            }
        }
        report.flag_changes = changes.len();
        // VANISHED is advisory; the UID list is the truth for every strategy.
        let gone: Vec<u32> = known.uids().filter(|u| !server.contains(u)).collect();
        if !gone.is_empty() {
            cache.apply_expunges(folder, &gone).map_err(cache_err)?;
            for u in &gone {
                known.remove(*u);
            }
        }
        report.expunged = gone.len();
    }

    let mut missing: Vec<u32> = server
        .iter()
        .filter(|u| !known.contains(**u))
        .copied()
        .collect();
    missing.sort_unstable_by_key(|u| std::cmp::Reverse(*u));
    let total = missing.len();
    let batch_size = options.batch_size.max(1);
    let mut fetch_size = batch_size;
    let mut fetched = 0;
    let mut rest: &[u32] = &missing;
    while !rest.is_empty() {
        let (command, tail) = rest.split_at(next_fetch_len(rest, fetch_size));
        rest = tail;
        fetch_size = fetch_size
            .saturating_mul(4)
            .min(options.max_fetch.max(batch_size));
        let mut answer = conn.fetch_envelopes(command).await?;
        answer.sort_unstable_by_key(|e| std::cmp::Reverse(e.uid));
        let ranges = batch_ranges(&answer, command, batch_size);
        let mut answer = answer.into_iter();
        for (asked, range) in command.chunks(batch_size).zip(ranges) {
            let batch: Vec<FetchedEnvelope> = answer.by_ref().take(range.len()).collect();
            fetched += batch.len();
            cache.apply_new(folder, batch).map_err(cache_err)?;
            progress(SyncProgress {
                folder: folder.to_string(),
                fetched,
                total,
                batch_newest: asked.first().copied().unwrap_or(0),
                batch_oldest: asked.last().copied().unwrap_or(0),
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::types::{BodySummary, Flags};

    fn fetched(uid: u32) -> FetchedEnvelope {
        FetchedEnvelope {
            uid,
            flags: Flags::default(),
            size: 1,
            internal_date: None,
            modseq: None,
            header: Vec::new(),
            body: BodySummary::default(),
        }
    }

    #[test]
    fn a_fetch_takes_at_most_the_asked_number_of_uids() {
        let uids: Vec<u32> = (1..=100).rev().collect();
        assert_eq!(next_fetch_len(&uids, 10), 10);
        assert_eq!(next_fetch_len(&uids, 1000), 100);
        assert_eq!(next_fetch_len(&uids, 0), 1, "always progresses");
        assert_eq!(next_fetch_len(&uids[..1], 5), 1);
    }

    #[test]
    fn a_fetch_of_scattered_uids_stops_at_the_range_bound() {
        // every other UID: each is its own range
        let uids: Vec<u32> = (1..=5000).rev().map(|u| u * 2).collect();
        let n = next_fetch_len(&uids, 10_000);
        assert_eq!(n, MAX_RANGES_PER_FETCH);
        assert_eq!(
            crate::mail::imap::parse::uid_set(&uids[..n])
                .split(',')
                .count(),
            MAX_RANGES_PER_FETCH
        );
    }

    #[test]
    fn answers_are_cut_along_the_asked_batches_even_with_gaps() {
        let asked = [10, 9, 8, 7, 6, 5];
        // 9 and 6 were expunged before the FETCH
        let answer: Vec<FetchedEnvelope> = [10, 8, 7, 5].into_iter().map(fetched).collect();
        let ranges = batch_ranges(&answer, &asked, 2);
        let uids: Vec<Vec<u32>> = ranges
            .into_iter()
            .map(|r| answer[r].iter().map(|e| e.uid).collect())
            .collect();
        assert_eq!(uids, vec![vec![10], vec![8, 7], vec![5]]);
    }
}
