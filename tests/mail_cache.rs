//! The encrypted mail cache against the real Dovecot: sync into the store
//! (counts, flags both ways, expunges, QRESYNC resync, UIDVALIDITY reset),
//! the precomputed ordered index, offline open with the account pointed at a
//! closed port, queued flag replay (exactly one effect, a crash between the
//! server's answer and the ack harmless), IDLE delivering a new message into
//! the cache, and local search by field with no term in clear on disk.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
mod imap_common;

use std::time::Duration;

use cachet::domain::mailbox::SortKey;
use cachet::mail::cache::reader::{self, ViewOptions};
use cachet::mail::cache::{
    AccountEvent, AccountSync, CacheOptions, StoreOpQueue, StoreSyncCache, SyncPassOptions,
};
use cachet::mail::imap::backoff::BackoffPolicy;
use cachet::mail::imap::queue::{self, OpKind, OpQueue, PendingOp};
use cachet::mail::imap::session::{Applied, ConnState, SessionConfig};
use cachet::mail::imap::sync::{Strategy, SyncOptions, sync_folder};
use cachet::mail::imap::types::Flags;
use cachet::mail::imap::{ImapAccount, ImapConn};
use cachet::mail::search::parse_query;
use cachet::store::StoreHandle;
use imap_common::*;
use tokio::sync::mpsc::UnboundedReceiver;

const ACCOUNT: &str = "test";

fn new_store() -> (tempfile::TempDir, StoreHandle) {
    common::new_store("810000000042")
}

fn config(stack: &common::Stack, account: ImapAccount) -> SessionConfig {
    SessionConfig {
        account,
        tls: tls(stack),
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
        sync: SyncOptions {
            batch_size: 2,
            ..SyncOptions::default()
        },
        prefetch_recent: 10,
        keepalive: Duration::from_secs(120),
        poll_interval: Duration::from_secs(60),
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn view(store: &StoreHandle, folder: &str) -> reader::FolderView {
    let folder = folder.to_string();
    store
        .call(move |s| reader::folder_view(s, ACCOUNT, &folder, ViewOptions::default()))
        .unwrap()
        .unwrap()
        .expect("the folder is cached")
}

fn rows(store: &StoreHandle, folder: &str) -> Vec<cachet::domain::envelope::Envelope> {
    let uids: Vec<u32> = view(store, folder).rows.iter().map(|(u, _)| *u).collect();
    let folder = folder.to_string();
    store
        .call(move |s| reader::summaries(s, ACCOUNT, &folder, &uids))
        .unwrap()
        .unwrap()
}

async fn server_flags(conn: &mut ImapConn, folder: &str, uid: u32) -> Flags {
    conn.select(folder, true, None).await.unwrap();
    conn.fetch_flags(&uid.to_string(), None)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("message exists")
        .flags
}

/// The next event matching `pick`, waiting at most 30 s (a bound, not a speed check).
async fn next_matching<T>(
    events: &mut UnboundedReceiver<AccountEvent>,
    mut pick: impl FnMut(&AccountEvent) -> Option<T>,
) -> T {
    let mut seen = Vec::new();
    let wait = async {
        loop {
            let e = events.recv().await.expect("the service stopped");
            let picked = pick(&e);
            seen.push(format!("{e:?}"));
            if let Some(t) = picked {
                return t;
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(30), wait).await {
        Ok(t) => t,
        Err(_) => panic!("no matching event"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_into_the_store_then_qresync_flags_expunges_and_orders() {
    let Some(stack) = common::stack("cache_sync") else {
        return;
    };
    let (_dir, store) = new_store();
    let mut other = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut other, "Cache", 5).await;
    let mut conn = login(&stack, &alice(&stack)).await;
    let mut cache = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    let options = SyncOptions {
        batch_size: 2,
        ..SyncOptions::default()
    };
    let first = sync_folder(&mut conn, &mut cache, &folder, options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((first.strategy, first.new), (Strategy::Initial, 5));

    let v = view(&store, &folder);
    assert_eq!((v.meta.total, v.meta.unread, v.rows.len()), (5, 2, 5));
    assert!(v.meta.synced_at.is_some());
    let listed = rows(&store, &folder);
    // newest first (same Date header: the greater UID is the later arrival)
    let uids: Vec<u32> = listed.iter().map(|e| e.uid).collect();
    let mut sorted = uids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(uids, sorted);
    let oldest = listed.last().unwrap();
    assert_eq!(oldest.subject, "message 1");
    assert!(oldest.flags.seen && oldest.receipt_requested);
    assert_eq!(oldest.from[0].email, "sender@example.test");
    let by_size = {
        let f = folder.clone();
        store
            .call(move |s| {
                reader::folder_view(
                    s,
                    ACCOUNT,
                    &f,
                    ViewOptions {
                        sort: SortKey::Size,
                        threaded: false,
                        unread_only: true,
                    },
                )
            })
            .unwrap()
            .unwrap()
            .unwrap()
    };
    assert_eq!(by_size.rows.len(), 2, "unread only");

    // another client: flag one, unsee another, expunge one, add one
    let mut asc = uids.clone();
    asc.sort_unstable();
    other.select(&folder, false, None).await.unwrap();
    other
        .store_flags(&[asc[1]], &Flags::of([Flags::FLAGGED]), &Flags::default())
        .await
        .unwrap();
    other
        .store_flags(&[asc[0]], &Flags::default(), &Flags::of([Flags::SEEN]))
        .await
        .unwrap();
    other
        .store_flags(&[asc[2]], &Flags::of([Flags::DELETED]), &Flags::default())
        .await
        .unwrap();
    other.expunge_uids(&[asc[2]]).await.unwrap();
    other
        .append(&folder, &Flags::default(), &message("message 6", "m6@x"))
        .await
        .unwrap();

    // a new cache object over the same store: the state comes from disk
    let mut cache = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    let second = sync_folder(&mut conn, &mut cache, &folder, options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(second.strategy, Strategy::Qresync);
    assert_eq!(
        (second.flag_changes, second.expunged, second.new),
        (2, 1, 1)
    );
    let v = view(&store, &folder);
    assert_eq!((v.meta.total, v.rows.len()), (5, 5));
    assert!(!v.rows.iter().any(|(u, _)| *u == asc[2]));
    let listed = rows(&store, &folder);
    let by_uid = |u: u32| listed.iter().find(|e| e.uid == u).unwrap();
    assert!(by_uid(asc[1]).flags.flagged);
    assert!(!by_uid(asc[0]).flags.seen);
    assert_eq!(listed[0].subject, "message 6");
    // unread: 2, 4 (never seen), 1 (unseen now), 6 (new); 3 is gone
    assert_eq!(v.meta.unread, 4);

    // our change reaches the server through the account service
    let (service, _events) = AccountSync::spawn(
        config(&stack, alice(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    assert_eq!(
        service.settled(Duration::from_secs(30)).await,
        ConnState::Online
    );
    let applied = service
        .set_flags(
            &folder,
            &[asc[3]],
            Flags::of([Flags::ANSWERED]),
            Flags::default(),
        )
        .await
        .unwrap();
    assert_eq!(applied, Applied::Done);
    assert!(by_flag(&rows(&store, &folder), asc[3]).answered);
    assert!(
        server_flags(&mut other, &folder, asc[3])
            .await
            .contains(Flags::ANSWERED)
    );
    // a delete: gone from the cache now, from the server too
    service.delete(&folder, &[asc[4]]).await.unwrap();
    assert!(!view(&store, &folder).rows.iter().any(|(u, _)| *u == asc[4]));
    other.select(&folder, true, None).await.unwrap();
    assert!(
        other
            .uid_search(&format!("UID {}", asc[4]))
            .await
            .unwrap()
            .is_empty()
    );
    service.shutdown().await;
    let store_check = store.call(|s| s.verify()).unwrap().unwrap();
    assert!(store_check.is_ok(), "{:?}", store_check.problems);
    other.delete_folder(&folder).await.unwrap();
}

fn by_flag(
    list: &[cachet::domain::envelope::Envelope],
    uid: u32,
) -> cachet::domain::envelope::Flags {
    list.iter().find(|e| e.uid == uid).unwrap().flags.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uidvalidity_change_resets_the_cached_folder() {
    let Some(stack) = common::stack("cache_uidvalidity") else {
        return;
    };
    let (_dir, store) = new_store();
    let mut conn = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut conn, "CacheValid", 3).await;
    let mut cache = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    let options = SyncOptions {
        batch_size: 10,
        ..SyncOptions::default()
    };
    sync_folder(&mut conn, &mut cache, &folder, options, &mut |_| {})
        .await
        .unwrap();
    let before = view(&store, &folder).meta.uid_validity;

    let mut other = login(&stack, &alice(&stack)).await;
    other.delete_folder(&folder).await.unwrap();
    // Dovecot derives UIDVALIDITY from the clock: make sure a second passes
    tokio::time::sleep(Duration::from_millis(1100)).await;
    other.create_folder(&folder).await.unwrap();
    other
        .append(&folder, &Flags::default(), &message("after reset", "r1@x"))
        .await
        .unwrap();
    let report = sync_folder(&mut conn, &mut cache, &folder, options, &mut |_| {})
        .await
        .unwrap();
    assert!(report.reset);
    let v = view(&store, &folder);
    assert_ne!(v.meta.uid_validity, before);
    let subjects: Vec<String> = rows(&store, &folder)
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(subjects, vec!["after reset".to_string()]);
    other.delete_folder(&folder).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_open_then_queued_flag_replayed_once_on_reconnect() {
    let Some(stack) = common::stack("cache_offline") else {
        return;
    };
    let (_dir, store) = new_store();
    let mut setup = login(&stack, &bob(&stack)).await;
    let folder = folder_with(&mut setup, "CacheOff", 2).await;

    // online once: the folder and the bodies of the recent messages get cached
    let (service, _events) = AccountSync::spawn(
        config(&stack, bob(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    assert_eq!(
        service.settled(Duration::from_secs(30)).await,
        ConnState::Online
    );
    service
        .sync_pass(Some(std::slice::from_ref(&folder)))
        .await
        .unwrap();
    service.shutdown().await;
    let unread = rows(&store, &folder)
        .into_iter()
        .find(|e| !e.flags.seen)
        .expect("message 2 is unread");

    // offline: the account points at a closed port
    let mut unreachable = bob(&stack);
    unreachable.port = closed_port();
    let (service, mut events) = AccountSync::spawn(
        config(&stack, unreachable),
        ACCOUNT,
        store.clone(),
        SyncPassOptions::default(),
    );
    assert!(matches!(
        service.settled(Duration::from_secs(30)).await,
        ConnState::Offline { .. }
    ));
    next_matching(&mut events, |e| {
        matches!(e, AccountEvent::Connection(ConnState::Offline { .. })).then_some(())
    })
    .await;
    // the mailbox opens from the cache, body included, marked offline
    assert_eq!(view(&store, &folder).rows.len(), 2);
    let (f, uid) = (folder.clone(), unread.uid);
    let body = store
        .call(move |s| reader::cached_body(s, ACCOUNT, &f, uid))
        .unwrap()
        .unwrap()
        .expect("prefetched body");
    assert!(String::from_utf8_lossy(&body).contains("body of message 2"));
    let status = store
        .call(|s| reader::status(s, ACCOUNT))
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!status.online && !status.reason.is_empty());

    // mark read offline: in the cache at once, queued durably
    let applied = service
        .set_flags(
            &folder,
            &[unread.uid],
            Flags::of([Flags::SEEN]),
            Flags::default(),
        )
        .await
        .unwrap();
    assert_eq!(applied, Applied::Queued);
    assert!(by_flag(&rows(&store, &folder), unread.uid).seen);
    service.shutdown().await;
    let queued = StoreOpQueue::new(store.clone(), ACCOUNT).pending().unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        !server_flags(&mut setup, &folder, unread.uid)
            .await
            .contains(Flags::SEEN)
    );

    // back online: replayed on connect, exactly once, and the sync agrees
    let (service, mut events) = AccountSync::spawn(
        config(&stack, bob(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    next_matching(&mut events, |e| {
        matches!(e, AccountEvent::Replayed(queue::Replayed::Applied { .. })).then_some(())
    })
    .await;
    assert!(
        StoreOpQueue::new(store.clone(), ACCOUNT)
            .pending()
            .unwrap()
            .is_empty()
    );
    assert!(
        server_flags(&mut setup, &folder, unread.uid)
            .await
            .contains(Flags::SEEN)
    );
    let report = service.sync_folder(&folder).await.unwrap();
    assert_eq!((report.new, report.expunged), (0, 0));
    assert!(by_flag(&rows(&store, &folder), unread.uid).seen);

    // a crash after the server applied an op but before the ack: replayed, harmless
    let op = PendingOp::new(
        &folder,
        view(&store, &folder).meta.uid_validity,
        OpKind::SetFlags {
            uids: vec![unread.uid],
            add: Flags::of([Flags::FLAGGED]),
            remove: Flags::default(),
        },
    );
    let mut q = StoreOpQueue::new(store.clone(), ACCOUNT);
    q.push(op.clone()).unwrap();
    let mut direct = login(&stack, &bob(&stack)).await;
    queue::apply(&mut direct, &op).await.unwrap(); // ... and the process dies here
    service.shutdown().await;
    let (service, mut events) = AccountSync::spawn(
        config(&stack, bob(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    next_matching(&mut events, |e| {
        matches!(e, AccountEvent::Replayed(_)).then_some(())
    })
    .await;
    assert!(q.pending().unwrap().is_empty());
    let flags = server_flags(&mut setup, &folder, unread.uid).await;
    assert!(flags.contains(Flags::FLAGGED) && flags.contains(Flags::SEEN));
    service.shutdown().await;
    setup.delete_folder(&folder).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_delivers_a_new_message_into_the_cache() {
    let Some(stack) = common::stack("cache_idle") else {
        return;
    };
    let (_dir, store) = new_store();
    let mut setup = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut setup, "CacheIdle", 1).await;
    let (service, mut events) = AccountSync::spawn(
        config(&stack, alice(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    assert_eq!(
        service.settled(Duration::from_secs(30)).await,
        ConnState::Online
    );
    service.sync_folder(&folder).await.unwrap();
    service.watch(Some(&folder));
    // let the IDLE connection settle on the folder before the delivery
    tokio::time::sleep(Duration::from_millis(500)).await;
    setup
        .append(
            &folder,
            &Flags::default(),
            &message("pushed while idle", "idle1@x"),
        )
        .await
        .unwrap();
    let count = next_matching(&mut events, |e| match e {
        AccountEvent::NewMail { folder: f, count } if *f == folder => Some(*count),
        _ => None,
    })
    .await;
    assert_eq!(count, 1);
    let subjects: Vec<String> = rows(&store, &folder)
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(subjects[0], "pushed while idle");
    assert_eq!(subjects.len(), 2);
    service.shutdown().await;
    setup.delete_folder(&folder).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_search_by_field_with_no_term_in_clear_on_disk() {
    let Some(stack) = common::stack("cache_search") else {
        return;
    };
    let (dir, store) = new_store();
    let mut setup = login(&stack, &bob(&stack)).await;
    let folder = unique_folder("CacheSearch");
    setup.create_folder(&folder).await.unwrap();
    let mail = |from: &str, to: &str, subject: &str, date: &str, body: &str| {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@x>\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            fastrand::u64(..)
        )
        .into_bytes()
    };
    for m in [
        mail(
            "Dr Xavier Quenelle <xq@example.test>",
            "bob@example.test",
            "Compte rendu scintigraphie",
            "Tue, 03 Nov 2026 09:00:00 +0100",
            "Fixation zygomatique normale.",
        ),
        mail(
            "Labo Biolam <labo@example.test>",
            "Dr Wanda Prunelle <wp@example.test>",
            "Résultats hémogramme",
            "Thu, 05 Nov 2026 09:00:00 +0100",
            "Plaquettes normales.",
        ),
    ] {
        setup.append(&folder, &Flags::default(), &m).await.unwrap();
    }
    let (service, _events) = AccountSync::spawn(
        config(&stack, bob(&stack)),
        ACCOUNT,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    assert_eq!(
        service.settled(Duration::from_secs(30)).await,
        ConnState::Online
    );
    service.sync_folder(&folder).await.unwrap();
    // the prefetch runs after the sync answer: wait for it through the session queue
    service.sync_folder(&folder).await.unwrap();
    service.shutdown().await;

    let find = |q: &str| -> Vec<String> {
        let (f, query) = (folder.clone(), parse_query(q).unwrap());
        let uids = store
            .call({
                let f = f.clone();
                move |s| reader::search(s, ACCOUNT, &f, &query)
            })
            .unwrap()
            .unwrap();
        store
            .call(move |s| reader::summaries(s, ACCOUNT, &f, &uids))
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|e| e.subject)
            .collect()
    };
    assert_eq!(find("from:quenelle"), vec!["Compte rendu scintigraphie"]);
    assert_eq!(find("to:prunelle"), vec!["Résultats hémogramme"]);
    assert_eq!(find("subject:hemogramme"), vec!["Résultats hémogramme"]);
    assert_eq!(find("zygomatique"), vec!["Compte rendu scintigraphie"]);
    assert_eq!(find("date:2026-11-05"), vec!["Résultats hémogramme"]);
    assert!(find("from:prunelle").is_empty());
    assert_eq!(
        find("normales -from:quenelle"),
        vec!["Résultats hémogramme"]
    );

    // nothing of it in clear in the profile's files
    store.call(|s| s.flush()).unwrap().unwrap();
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in ["zygomatique", "Quenelle", "scintigraphie", "Prunelle"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in clear in {}",
                entry.display()
            );
        }
    }
    setup.delete_folder(&folder).await.unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A cache whose connection "drops" after a number of envelope batches.
struct DropsAfter {
    inner: StoreSyncCache,
    batches_left: usize,
}

type Backend = cachet::mail::imap::sync::BackendError;

impl cachet::mail::imap::sync::SyncCache for DropsAfter {
    fn folder_state(
        &self,
        folder: &str,
    ) -> Result<Option<cachet::mail::imap::sync::FolderState>, Backend> {
        self.inner.folder_state(folder)
    }
    fn reset_folder(&mut self, folder: &str, uid_validity: u32) -> Result<(), Backend> {
        self.inner.reset_folder(folder, uid_validity)
    }
    fn apply_new(
        &mut self,
        folder: &str,
        batch: Vec<cachet::mail::imap::types::FetchedEnvelope>,
    ) -> Result<(), Backend> {
        if self.batches_left == 0 {
            return Err("connection dropped".into());
        }
        self.batches_left -= 1;
        self.inner.apply_new(folder, batch)
    }
    fn apply_flags(
        &mut self,
        folder: &str,
        changes: &[cachet::mail::imap::types::FlagUpdate],
    ) -> Result<(), Backend> {
        self.inner.apply_flags(folder, changes)
    }
    fn apply_expunges(&mut self, folder: &str, uids: &[u32]) -> Result<(), Backend> {
        self.inner.apply_expunges(folder, uids)
    }
    fn set_sync_point(
        &mut self,
        folder: &str,
        point: cachet::mail::imap::sync::SyncPoint,
    ) -> Result<(), Backend> {
        self.inner.set_sync_point(folder, point)
    }
    fn has_body(&self, folder: &str, uid: u32) -> Result<bool, Backend> {
        self.inner.has_body(folder, uid)
    }
    fn store_body(&mut self, folder: &str, uid: u32, raw: &[u8]) -> Result<(), Backend> {
        self.inner.store_body(folder, uid, raw)
    }
}

/// A first sync cut after five batches (the cache wrote the first screen and
/// more, its thread keys only at the start), then a new session: every
/// message is listed exactly once in the threaded order and found by search.
#[tokio::test]
async fn an_interrupted_first_sync_resumes_without_losing_a_message() {
    let Some(stack) = common::stack("cache_resume") else {
        return;
    };
    let (_dir, store) = new_store();
    let mut conn = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut conn, "CacheResume", 30).await;
    let options = SyncOptions {
        batch_size: 2,
        ..SyncOptions::default()
    };
    let mut cut = DropsAfter {
        inner: StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default()),
        batches_left: 5,
    };
    let err = sync_folder(&mut conn, &mut cut, &folder, options, &mut |_| {}).await;
    assert!(err.is_err(), "the cut sync reports its failure");
    let partial = view(&store, &folder).rows.len();
    assert!(
        (2..30).contains(&partial),
        "the first screen was shown before the cut ({partial} rows)"
    );

    // a new process: a new cache over the same store
    let mut cache = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    let report = sync_folder(&mut conn, &mut cache, &folder, options, &mut |_| {})
        .await
        .unwrap();
    assert!(
        report.new > 0 && report.new < 30,
        "only the rest is fetched"
    );
    let listed: Vec<u32> = view(&store, &folder).rows.iter().map(|(u, _)| *u).collect();
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(listed.len(), 30, "every message once in the order");
    assert_eq!(unique.len(), 30);
    let subjects: std::collections::BTreeSet<String> = rows(&store, &folder)
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(subjects.len(), 30);
    let f = folder.clone();
    let found = store
        .call(move |s| reader::search(s, ACCOUNT, &f, &parse_query("subject:message").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(found.len(), 30, "every message is searchable");
    conn.delete_folder(&folder).await.unwrap();
}

fn fetched(uid: u32, subject: &str) -> cachet::mail::imap::types::FetchedEnvelope {
    cachet::mail::imap::types::FetchedEnvelope {
        uid,
        flags: Flags::default(),
        size: 100,
        internal_date: None,
        modseq: None,
        header: format!("From: a@example.test\r\nSubject: {subject}\r\nMessage-ID: <{uid}@x>\r\n")
            .into_bytes(),
        body: cachet::mail::imap::types::BodySummary::default(),
    }
}

/// A message deleted while its headers still wait to be indexed (a first
/// sync running) is never found by search afterwards, and the others are.
#[test]
fn a_message_deleted_before_its_headers_are_filed_stays_unfindable() {
    use cachet::mail::imap::sync::{SyncCache, SyncPoint};
    let (_dir, store) = new_store();
    let mut cache = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    cache.reset_folder("INBOX", 7).unwrap();
    // the first batch is filed at once (first screen); the next one waits
    // until the folder has grown fourfold
    let first: Vec<_> = (20..24).map(|u| fetched(u, "scintigraphie")).collect();
    cache.apply_new("INBOX", first).unwrap();
    cache
        .apply_new(
            "INBOX",
            vec![
                fetched(9, "scintigraphie deux"),
                fetched(8, "scintigraphie trois"),
            ],
        )
        .unwrap();
    cache.apply_local_removal("INBOX", &[9]).unwrap();
    cache
        .set_sync_point(
            "INBOX",
            SyncPoint {
                uid_next: Some(24),
                highest_modseq: None,
            },
        )
        .unwrap();
    let found = store
        .call(|s| reader::search(s, ACCOUNT, "INBOX", &parse_query("scintigraphie").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(found, vec![8, 20, 21, 22, 23]);
    let listed: Vec<u32> = view(&store, "INBOX").rows.iter().map(|(u, _)| *u).collect();
    assert_eq!(listed.len(), 5);
    assert!(!listed.contains(&9));
}

fn fetched_from(
    uid: u32,
    from: &str,
    to: &str,
    subject: &str,
    date: &str,
) -> cachet::mail::imap::types::FetchedEnvelope {
    cachet::mail::imap::types::FetchedEnvelope {
        header: format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{uid}@x>\r\n"
        )
        .into_bytes(),
        ..fetched(uid, subject)
    }
}

/// Right after a sync the headers are not filed yet: a search reads them
/// and finds what the index finds once the background filing is done.
#[test]
fn a_search_finds_the_same_messages_before_and_after_the_background_filing() {
    use cachet::mail::imap::sync::{SyncCache, SyncPoint};
    let (_dir, store) = new_store();
    let point = SyncPoint {
        uid_next: Some(301),
        highest_modseq: None,
    };
    let batch: Vec<_> = (1..=300)
        .map(|uid| match uid % 3 {
            0 => fetched_from(
                uid,
                "Dr Xavier Quenelle <xq@example.test>",
                "bob@example.test",
                &format!("Compte rendu scintigraphie {uid}"),
                "Tue, 03 Nov 2026 09:00:00 +0100",
            ),
            1 => fetched_from(
                uid,
                "Labo Biolam <labo@example.test>",
                "Dr Wanda Prunelle <wp@example.test>",
                "Résultats hémogramme",
                "Thu, 05 Nov 2026 09:00:00 +0100",
            ),
            _ => fetched_from(
                uid,
                "Secrétariat <sec@example.test>",
                "bob@example.test",
                "Rendez-vous de contrôle",
                "Fri, 06 Nov 2026 09:00:00 +0100",
            ),
        })
        .collect();
    let unfiled_cache = StoreSyncCache::new(
        store.clone(),
        ACCOUNT,
        CacheOptions {
            index_headers: false,
        },
    );
    let mut cache = unfiled_cache.clone();
    cache.reset_folder("INBOX", 7).unwrap();
    cache.apply_new("INBOX", batch).unwrap();
    cache.apply_local_removal("INBOX", &[3]).unwrap();
    cache.set_sync_point("INBOX", point).unwrap();
    let unindexed = || {
        store
            .call(|s| reader::unindexed(s, ACCOUNT, "INBOX"))
            .unwrap()
            .unwrap()
    };
    assert_eq!(unindexed(), 299);

    let queries = [
        "from:quenelle",
        "to:prunelle",
        "subject:hemogramme",
        "\"compte rendu\"",
        "date:2026-11-05",
        "from:example -subject:scintigraphie",
        "-from:labo -from:quenelle",
        "subject:\"scintigraphie 30\"",
        "zygomatique",
    ];
    let search = |q: &str| {
        let query = parse_query(q).unwrap();
        store
            .call(move |s| reader::search(s, ACCOUNT, "INBOX", &query))
            .unwrap()
            .unwrap()
    };
    let read: Vec<Vec<u32>> = queries.iter().map(|q| search(q)).collect();
    let thirds = |r: u32| -> Vec<u32> { (1..=300).filter(|u| u % 3 == r && *u != 3).collect() };
    assert_eq!(read[0], thirds(0));
    assert_eq!(read[1], thirds(1));
    assert_eq!(read[2], thirds(1));
    assert_eq!(read[3], thirds(0));
    assert_eq!(read[4], thirds(1));
    let mut not_scintigraphy = [thirds(1), thirds(2)].concat();
    not_scintigraphy.sort_unstable();
    assert_eq!(read[5], not_scintigraphy);
    assert_eq!(read[6], thirds(2));
    assert_eq!(read[7], vec![30]);
    assert!(read[8].is_empty());

    // the next sync point of a cache that files headers files them all
    drop(unfiled_cache);
    let mut filing = StoreSyncCache::new(store.clone(), ACCOUNT, CacheOptions::default());
    filing.set_sync_point("INBOX", point).unwrap();
    filing.wait_for_search_index().unwrap();
    assert_eq!(unindexed(), 0);
    let indexed: Vec<Vec<u32>> = queries.iter().map(|q| search(q)).collect();
    assert_eq!(indexed, read);
}
