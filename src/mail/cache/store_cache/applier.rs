//! New envelopes are applied on a worker thread, in order, while the
//! session reads the server's next answer: summarising the headers, updating
//! the folder's state and handing the writes to the store thread cost about
//! as much as receiving the envelopes, and done inline they left the
//! connection idle half the time (a FETCH answer is read whole, then
//! applied). At most [`QUEUED_BATCHES`] batches wait; every other call on the
//! cache first waits until the queue is empty, so it sees their effect, and
//! the first failure of a queued batch is that call's error (the sync stops
//! before its sync point is written; what was not applied is fetched again).

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::mail::imap::types::FetchedEnvelope;

use super::super::error::Error;
use super::{StoreSyncCache, lock};

/// Batches waiting for the worker: one FETCH answer of 10 000 envelopes in
/// batches of 200, about 10 MB.
const QUEUED_BATCHES: usize = 64;

struct Job {
    folder: String,
    batch: Vec<FetchedEnvelope>,
}

/// The worker of one cache (shared by its clones), started on first use.
#[derive(Default)]
pub(super) struct Applier {
    jobs: Option<mpsc::SyncSender<Job>>,
    results: Option<mpsc::Receiver<Result<(), Error>>>,
    thread: Option<JoinHandle<()>>,
    outstanding: usize,
}

impl Drop for Applier {
    fn drop(&mut self) {
        // The worker ends once its queue is empty and its sender gone.
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the envelope worker panicked");
        }
    }
}

impl StoreSyncCache {
    /// Queues a batch of new envelopes; the error of an earlier batch, if
    /// any, is returned now.
    pub(super) fn queue_new(&self, folder: &str, batch: Vec<FetchedEnvelope>) -> Result<(), Error> {
        let mut applier = lock(&self.applier)?;
        if applier.jobs.is_none() {
            let (jobs_tx, jobs_rx) = mpsc::sync_channel::<Job>(QUEUED_BATCHES);
            let (results_tx, results_rx) = mpsc::channel();
            // The worker's own handle has no applier: it never queues, and
            // holding this one would keep the worker alive forever.
            let worker = StoreSyncCache {
                applier: Default::default(),
                ..self.clone()
            };
            let thread = std::thread::Builder::new()
                .name("cachet-apply".into())
                .spawn(move || {
                    for job in jobs_rx {
                        let result = worker.new_messages(&job.folder, &job.batch);
                        let result = worker.forget_on_error(&job.folder, result);
                        if results_tx.send(result).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Worker {
                    detail: e.to_string(),
                })?;
            applier.jobs = Some(jobs_tx);
            applier.results = Some(results_rx);
            applier.thread = Some(thread);
        }
        let earlier = collect(&mut applier, Wait::No);
        let job = Job {
            folder: folder.to_string(),
            batch,
        };
        let sent = match &applier.jobs {
            Some(jobs) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            return Err(worker_stopped());
        }
        applier.outstanding += 1;
        earlier
    }

    /// Waits until every queued batch is applied; the first failure is
    /// returned.
    pub(super) fn settle_applies(&self) -> Result<(), Error> {
        let mut applier = lock(&self.applier)?;
        collect(&mut applier, Wait::Yes)
    }
}

fn worker_stopped() -> Error {
    Error::Worker {
        detail: "the envelope worker stopped".into(),
    }
}

#[derive(PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

/// Collects the outcomes of applied batches (all of them with `Wait::Yes`,
/// those already there otherwise); the first failure is returned.
fn collect(applier: &mut Applier, wait: Wait) -> Result<(), Error> {
    let mut first_error = None;
    while applier.outstanding > 0 {
        let Some(results) = &applier.results else {
            break;
        };
        let outcome = match wait {
            Wait::Yes => results.recv().ok(),
            Wait::No => match results.try_recv() {
                Ok(r) => Some(r),
                Err(mpsc::TryRecvError::Empty) => return first_error.map_or(Ok(()), Err),
                Err(mpsc::TryRecvError::Disconnected) => None,
            },
        };
        match outcome {
            Some(result) => {
                applier.outstanding -= 1;
                if let Err(e) = result {
                    first_error.get_or_insert(e);
                }
            }
            None => {
                applier.outstanding = 0;
                first_error.get_or_insert(worker_stopped());
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::cache::store_cache::CacheOptions;
    use crate::mail::imap::sync::{SyncCache, SyncPoint};
    use crate::mail::imap::types::{BodySummary, Flags};
    use crate::store::StoreHandle;
    use crate::store::testing::profile;

    fn fetched(uid: u32) -> FetchedEnvelope {
        FetchedEnvelope {
            uid,
            flags: Flags::of(["\\Seen"]),
            size: 100,
            internal_date: None,
            modseq: None,
            header: format!("Subject: message {uid}\r\nMessage-ID: <m{uid}@x>\r\n").into_bytes(),
            body: BodySummary {
                mime_type: "text/plain".into(),
                has_attachment: false,
                parts: 1,
            },
        }
    }

    /// Queued batches are applied in order and seen by the next call; a
    /// batch that fails is reported by a later call, and the sync point is
    /// never written after it.
    #[test]
    fn queued_batches_are_applied_in_order_and_a_failure_stops_the_sync_point() {
        let (_dir, _card, store) = profile("applier");
        let handle = StoreHandle::spawn(store).unwrap();
        let mut cache = StoreSyncCache::new(handle.clone(), "acct", CacheOptions::default());
        cache.reset_folder("INBOX", 7).unwrap();
        for first in [1u32, 201, 401] {
            let batch: Vec<FetchedEnvelope> = (first..first + 200).map(fetched).collect();
            cache.apply_new("INBOX", batch).unwrap();
        }
        let state = cache.folder_state("INBOX").unwrap().unwrap();
        assert_eq!(
            state.known.len(),
            600,
            "every queued batch applied before the answer"
        );

        handle.lock().unwrap(); // every store call fails from now on
        assert!(
            cache.folder_state("INBOX").is_ok(),
            "answered from memory: no store call"
        );
        // a folder not in memory yet: the worker must read the store, and fails
        cache
            .apply_new("Sent", vec![fetched(1)])
            .expect("queued: its failure comes later");
        assert!(
            cache.folder_state("INBOX").is_err(),
            "the queued batch's failure is this call's error"
        );
        let point = SyncPoint {
            uid_next: Some(602),
            highest_modseq: None,
        };
        assert!(cache.set_sync_point("INBOX", point).is_err());
    }

    /// The store reopened between pipelined batches (as a long sync does
    /// every 8 MB written) loses nothing: every envelope, the orders and the sync
    /// point are there for a cache that reads the store afresh.
    #[test]
    fn reopening_the_store_between_batches_loses_nothing() {
        use crate::domain::mailbox::SortKey;
        use crate::mail::cache::index::{Order, order_record};
        use crate::mail::cache::pages;
        use crate::store::{CheckpointAfter, Pending};
        let (_dir, _card, store) = profile("reopen");
        let handle = StoreHandle::spawn(store).unwrap();
        let mut cache = StoreSyncCache::new(handle.clone(), "acct", CacheOptions::default());
        cache.reset_folder("INBOX", 7).unwrap();
        let mut reopenings = Vec::new();
        for first in (1u32..=1000).step_by(200) {
            let batch: Vec<FetchedEnvelope> = (first..first + 200).map(fetched).collect();
            cache.apply_new("INBOX", batch).unwrap();
            // the batch handed to the store (its writes may still be queued
            // there): the reopening comes behind them
            cache.folder_state("INBOX").unwrap();
            reopenings.push(
                handle
                    .submit(|s| s.checkpoint(CheckpointAfter::AnyWrite))
                    .unwrap(),
            );
        }
        cache
            .set_sync_point(
                "INBOX",
                SyncPoint {
                    uid_next: Some(1001),
                    highest_modseq: None,
                },
            )
            .unwrap();
        let reopened = reopenings
            .into_iter()
            .map(Pending::wait)
            .filter(|r| matches!(r, Ok(Ok(true))))
            .count();
        assert_eq!(reopened, 5, "reopened behind each batch");

        let fresh = StoreSyncCache::new(handle.clone(), "acct", CacheOptions::default());
        let state = fresh.folder_state("INBOX").unwrap().unwrap();
        assert_eq!(state.known.len(), 1000);
        assert_eq!(state.uid_next, Some(1001));
        let (summaries, order) = handle
            .call(|s| {
                let id = s
                    .folder_id(crate::store::FolderRef {
                        account: "acct",
                        folder: "INBOX",
                    })
                    .unwrap();
                let uids: Vec<u32> = (1..=1000).collect();
                (
                    pages::read_summaries(s, id, &uids).unwrap(),
                    s.folder_record(id, order_record(SortKey::Date, true))
                        .unwrap(),
                )
            })
            .unwrap();
        assert_eq!(summaries.len(), 1000);
        assert_eq!(summaries[499].subject, "message 500");
        assert_eq!(Order::decode(&order.unwrap()).unwrap().rows.len(), 1000);
    }

    /// The thread keys earlier versions stored (record 10) are removed with
    /// the next full orders, which are computed from the summary pages.
    #[test]
    fn orders_come_from_the_summaries_and_the_stored_keys_go() {
        use crate::domain::mailbox::SortKey;
        use crate::mail::cache::index::{Order, RECORD_LEGACY_THREAD_KEYS, order_record};
        let (_dir, _card, store) = profile("keys");
        let handle = StoreHandle::spawn(store).unwrap();
        let mut cache = StoreSyncCache::new(handle.clone(), "acct", CacheOptions::default());
        cache.reset_folder("INBOX", 7).unwrap();
        let batch: Vec<FetchedEnvelope> = (1..=30).map(fetched).collect();
        cache.apply_new("INBOX", batch).unwrap();
        cache.folder_state("INBOX").unwrap(); // the batch is applied
        let id = handle
            .call(|s| {
                let id = s.folder_id(crate::store::FolderRef {
                    account: "acct",
                    folder: "INBOX",
                })?;
                let mut b = s.batch()?;
                b.put_folder_record(id, RECORD_LEGACY_THREAD_KEYS, b"[]")?;
                b.commit(crate::store::Durability::Flush)?;
                Ok::<_, crate::store::Error>(id)
            })
            .unwrap()
            .unwrap();
        // a fresh handle: nothing in memory, the keys must be read back
        let mut later = StoreSyncCache::new(handle.clone(), "acct", CacheOptions::default());
        later.apply_new("INBOX", vec![fetched(31)]).unwrap();
        later
            .set_sync_point(
                "INBOX",
                SyncPoint {
                    uid_next: Some(32),
                    highest_modseq: None,
                },
            )
            .unwrap();
        let (legacy, order) = handle
            .call(move |s| {
                (
                    s.folder_record(id, RECORD_LEGACY_THREAD_KEYS).unwrap(),
                    s.folder_record(id, order_record(SortKey::Size, false))
                        .unwrap(),
                )
            })
            .unwrap();
        assert!(legacy.is_none(), "record 10 removed");
        let order = Order::decode(&order.unwrap()).unwrap();
        assert_eq!(
            order.rows.len(),
            31,
            "every message ordered, 30 of them read back"
        );
    }
}
