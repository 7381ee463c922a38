//! The headers of new messages are filed in the search index after the sync
//! point, on a thread of their own, not during the sync: at 100 000
//! messages the filing (tokenising, keyed hashes, bucket merges) was a third
//! of a first sync's CPU, and the mailbox is complete without it. Until a
//! message is filed, a search reads its summary instead
//! (`postings::search`), so nothing is ever missed; a filing cut short (the
//! program quits) is taken up again at the next sync point, as what is
//! filed is worked out from the store (listed in `BASE`, no document entry).
//!
//! The filing is made of short calls on the store thread ([`HeaderFiling`],
//! [`Merge::step`]) so the interface's reads go between them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::store::{CheckpointAfter, FolderId, StoreHandle};

use super::super::error::Error;
use super::super::postings::{self, HeaderFiling, Merge};
use super::super::reader::listed_uids;

/// Summaries read and hashed per call on the store thread.
const UIDS_PER_STEP: usize = 2048;
/// Messages buffered before their postings go into the buckets: each merge
/// rewrites the buckets it touches (nearly all), so fewer merges write
/// less, but the buffer holds every distinct term's key and postings (with
/// 20 000 messages a filing's peak was 20–25 MB higher: 120 MB instead of
/// 96–106 MB for 100 000 messages, for 0.4 s less).
const DOCUMENTS_PER_MERGE: usize = 10_000;
/// Buckets rewritten per call on the store thread.
const BUCKETS_PER_STEP: usize = 256;

/// Folders waiting to be filed, and whether the thread is filing one.
#[derive(Default)]
struct Queue {
    waiting: Vec<FolderId>,
    busy: bool,
}

/// The filing thread of one cache (shared by its clones), started on first
/// use; dropping the last clone stops it after its current step.
#[derive(Default)]
pub(super) struct HeaderFiler {
    jobs: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub(super) shared: Arc<Shared>,
}

#[derive(Default)]
pub(super) struct Shared {
    queue: Mutex<Queue>,
    idle: Condvar,
    stop: AtomicBool,
    /// Bumped when a folder is reset (UIDVALIDITY changed): a filing begun
    /// before is abandoned, as its UIDs now name other messages.
    resets: AtomicU64,
}

impl Shared {
    pub(super) fn folder_reset(&self) {
        self.resets.fetch_add(1, Ordering::SeqCst);
    }

    /// Blocks until no folder waits and none is being filed. The filing
    /// thread leaves the queue idle however it ends ([`IdleOnExit`]), and a
    /// folder it could not be sent is taken off the queue, so this returns.
    pub(super) fn wait_idle(&self) {
        let mut queue = lock(&self.queue);
        while queue.busy || !queue.waiting.is_empty() {
            queue = match self.idle.wait(queue) {
                Ok(q) => q,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
    }
}

impl Drop for HeaderFiler {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the header filing thread panicked");
        }
    }
}

impl HeaderFiler {
    /// Queues the folder for filing (once, however often it is asked).
    pub(super) fn request(&mut self, store: &StoreHandle, folder: FolderId) -> Result<(), Error> {
        if self.jobs.is_none() {
            let (jobs_tx, jobs_rx) = mpsc::channel::<()>();
            let (store, shared) = (store.clone(), self.shared.clone());
            let thread = std::thread::Builder::new()
                .name("cachet-index".into())
                .spawn(move || {
                    let _idle_on_exit = IdleOnExit(&shared);
                    for () in jobs_rx {
                        run_queue(&store, &shared);
                    }
                })
                .map_err(|e| Error::Worker {
                    detail: e.to_string(),
                })?;
            self.jobs = Some(jobs_tx);
            self.thread = Some(thread);
        }
        {
            let mut queue = lock(&self.shared.queue);
            if !queue.waiting.contains(&folder) {
                queue.waiting.push(folder);
            }
        }
        if let Some(jobs) = &self.jobs
            && jobs.send(()).is_ok()
        {
            return Ok(());
        }
        let mut queue = lock(&self.shared.queue);
        queue.waiting.retain(|f| *f != folder);
        self.shared.idle.notify_all();
        Err(Error::Worker {
            detail: "the header filing thread stopped".into(),
        })
    }
}

/// Marks the filer idle when its thread ends, however it ends, so that
/// [`HeaderFiler::wait_idle`] cannot wait forever.
struct IdleOnExit<'a>(&'a Shared);

impl Drop for IdleOnExit<'_> {
    fn drop(&mut self) {
        let mut queue = lock(&self.0.queue);
        queue.waiting.clear();
        queue.busy = false;
        self.0.idle.notify_all();
    }
}

/// The queue's lock; its state is two plain fields, sound after a panic.
fn lock(queue: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    match queue.lock() {
        Ok(q) => q,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn run_queue(store: &StoreHandle, shared: &Arc<Shared>) {
    loop {
        let folder = {
            let mut queue = lock(&shared.queue);
            match queue.waiting.pop() {
                Some(f) => {
                    queue.busy = true;
                    f
                }
                None => {
                    queue.busy = false;
                    shared.idle.notify_all();
                    return;
                }
            }
        };
        let resets = shared.resets.load(Ordering::SeqCst);
        match file_folder(store, folder, shared, resets) {
            Ok(Filed::All | Filed::Abandoned) => {}
            Ok(Filed::Stopped) => return,
            // What was not filed is found by reading summaries, and filed
            // at the next sync point.
            Err(e) => tracing::warn!(error = %e, "filing headers in the search index failed"),
        }
    }
}

enum Filed {
    All,
    /// The cache is being dropped.
    Stopped,
    /// The folder was reset meanwhile; its next sync point files it.
    Abandoned,
}

/// Files every message of the folder the index lacks; `resets` is the count
/// of resets when the filing began.
fn file_folder(
    store: &StoreHandle,
    folder: FolderId,
    shared: &Arc<Shared>,
    resets: u64,
) -> Result<Filed, Error> {
    let unfiled: Vec<u32> =
        store.call(move |s| postings::unfiled(s, folder, &listed_uids(s, folder)?))??;
    if !unfiled.is_empty() {
        tracing::debug!(
            messages = unfiled.len(),
            "filing headers in the search index"
        );
    }
    for group in unfiled.chunks(DOCUMENTS_PER_MERGE) {
        let mut filing = HeaderFiling::default();
        for step in group.chunks(UIDS_PER_STEP) {
            if shared.stop.load(Ordering::Relaxed) {
                return Ok(Filed::Stopped);
            }
            let uids = step.to_vec();
            filing = store.call(move |s| {
                filing.file(s, folder, &uids)?;
                Ok::<_, Error>(filing)
            })??;
        }
        match write_merge(store, folder, filing.into_merge(), shared, resets)? {
            Filed::All => {}
            cut => return Ok(cut),
        }
    }
    // The next start opens without replaying the filing, nor the sync
    // before it: a sync point that hands its folder over leaves this
    // checkpoint to the filing (a no-op when little was written).
    store.call(|s| s.checkpoint(CheckpointAfter::SyncEnd))??;
    Ok(Filed::All)
}

/// Writes a filing's postings, then its document entries, in steps.
fn write_merge(
    store: &StoreHandle,
    folder: FolderId,
    mut merge: Merge,
    shared: &Arc<Shared>,
    resets: u64,
) -> Result<Filed, Error> {
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return Ok(Filed::Stopped);
        }
        // Checked on the store thread, where a reset clears the folder in a
        // call of its own after bumping the count: a step either writes
        // before the clear or sees the reset and writes nothing.
        let shared = shared.clone();
        let step = store.call(move |s| {
            if shared.resets.load(Ordering::SeqCst) != resets {
                return Ok::<_, Error>(None);
            }
            if merge.at_documents() {
                // a message removed while it was being filed stays unfindable
                merge.retain_documents(&listed_uids(s, folder)?);
            }
            let done = merge.step(s, folder, BUCKETS_PER_STEP)?;
            // sled keeps what it wrote until it is reopened: a filing
            // rewrites the whole index several times
            s.checkpoint(CheckpointAfter::LargeWrites)?;
            Ok(Some((merge, done)))
        })??;
        match step {
            None => return Ok(Filed::Abandoned),
            Some((_, true)) => return Ok(Filed::All),
            Some((rest, false)) => merge = rest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::cache::store_cache::{CacheOptions, StoreSyncCache};
    use crate::mail::imap::sync::{SyncCache, SyncPoint};
    use crate::mail::imap::types::{BodySummary, FetchedEnvelope, Flags};
    use crate::mail::search::parse_query;
    use crate::store::FolderRef;

    const MESSAGES: u32 = 40;

    /// A folder of `MESSAGES` cached messages, none filed in the index.
    fn cached_folder() -> (tempfile::TempDir, StoreSyncCache, FolderId) {
        let (dir, _card, store) = crate::store::testing::profile("filer");
        let handle = StoreHandle::spawn(store).unwrap();
        let options = CacheOptions {
            index_headers: false,
        };
        let mut cache = StoreSyncCache::new(handle.clone(), "acct", options);
        cache.reset_folder("INBOX", 1).unwrap();
        let batch: Vec<FetchedEnvelope> = (1..=MESSAGES)
            .map(|uid| FetchedEnvelope {
                uid,
                flags: Flags::default(),
                size: 100,
                internal_date: None,
                modseq: None,
                header: format!(
                    "From: Dr Quenelle <q@example.test>\r\nSubject: bilan {uid}\r\nMessage-ID: <{uid}@x>\r\n"
                )
                .into_bytes(),
                body: BodySummary::default(),
            })
            .collect();
        cache.apply_new("INBOX", batch).unwrap();
        let point = SyncPoint {
            uid_next: Some(MESSAGES + 1),
            highest_modseq: None,
        };
        cache.set_sync_point("INBOX", point).unwrap();
        let id = handle
            .call(|s| {
                s.folder_id(FolderRef {
                    account: "acct",
                    folder: "INBOX",
                })
            })
            .unwrap()
            .unwrap();
        (dir, cache, id)
    }

    fn unfiled(store: &StoreHandle, id: FolderId) -> Vec<u32> {
        store
            .call(move |s| postings::unfiled(s, id, &listed_uids(s, id)?))
            .unwrap()
            .unwrap()
    }

    /// UIDs found through the index alone (nothing listed to read).
    fn indexed(store: &StoreHandle, id: FolderId, query: &str) -> Vec<u32> {
        let query = parse_query(query).unwrap();
        store
            .call(move |s| postings::search(s, id, &[], &query))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_filing_files_every_listed_message_the_index_lacks() {
        let (_dir, cache, id) = cached_folder();
        let store = cache.store().clone();
        assert_eq!(unfiled(&store, id).len(), MESSAGES as usize);
        assert!(indexed(&store, id, "from:quenelle").is_empty());
        let shared = Arc::new(Shared::default());
        assert!(matches!(
            file_folder(&store, id, &shared, 0).unwrap(),
            Filed::All
        ));
        assert!(unfiled(&store, id).is_empty());
        assert_eq!(
            indexed(&store, id, "from:quenelle").len(),
            MESSAGES as usize
        );
        assert_eq!(indexed(&store, id, "subject:\"bilan 7\""), vec![7]);
    }

    #[test]
    fn a_filing_begun_before_a_reset_writes_nothing() {
        let (_dir, cache, id) = cached_folder();
        let store = cache.store().clone();
        let shared = Arc::new(Shared::default());
        let begun = shared.resets.load(Ordering::SeqCst);
        shared.folder_reset();
        assert!(matches!(
            file_folder(&store, id, &shared, begun).unwrap(),
            Filed::Abandoned
        ));
        assert_eq!(unfiled(&store, id).len(), MESSAGES as usize);
        assert!(indexed(&store, id, "quenelle").is_empty());
    }

    #[test]
    fn a_stopped_filing_writes_nothing_and_the_next_one_files_all() {
        let (_dir, cache, id) = cached_folder();
        let store = cache.store().clone();
        let shared = Arc::new(Shared::default());
        shared.stop.store(true, Ordering::Relaxed);
        assert!(matches!(
            file_folder(&store, id, &shared, 0).unwrap(),
            Filed::Stopped
        ));
        assert_eq!(unfiled(&store, id).len(), MESSAGES as usize);
        let shared = Arc::new(Shared::default());
        assert!(matches!(
            file_folder(&store, id, &shared, 0).unwrap(),
            Filed::All
        ));
        assert!(unfiled(&store, id).is_empty());
    }

    #[test]
    fn a_message_removed_while_being_filed_stays_unfindable() {
        let (_dir, cache, id) = cached_folder();
        let store = cache.store().clone();
        let uids: Vec<u32> = (1..=MESSAGES).collect();
        let filing = store
            .call(move |s| {
                let mut filing = HeaderFiling::default();
                filing.file(s, id, &uids)?;
                Ok::<_, Error>(filing)
            })
            .unwrap()
            .unwrap();
        assert_eq!(filing.documents(), MESSAGES as usize);
        cache.apply_local_removal("INBOX", &[3, 4]).unwrap();
        let shared = Arc::new(Shared::default());
        assert!(matches!(
            write_merge(&store, id, filing.into_merge(), &shared, 0).unwrap(),
            Filed::All
        ));
        let found = indexed(&store, id, "from:quenelle");
        assert_eq!(found.len(), MESSAGES as usize - 2);
        assert!(!found.contains(&3) && !found.contains(&4));
    }

    #[test]
    fn waiting_for_an_idle_filer_returns_and_a_request_is_filed() {
        let (_dir, cache, id) = cached_folder();
        let store = cache.store().clone();
        let mut filer = HeaderFiler::default();
        filer.shared.wait_idle();
        filer.request(&store, id).unwrap();
        filer.shared.wait_idle();
        assert!(unfiled(&store, id).is_empty());
    }
}
