//! The store thread: clones share one owner, waits are bounded, and a dead
//! thread is reported as such instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use cachet::store::{CheckpointAfter, Error, Profiles, Store, StoreHandle};

#[test]
fn a_busy_store_gives_a_timeout_not_a_hang() {
    let (_dir, h) = common::new_store("810100000017");
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let busy = h.clone();
    let blocker = std::thread::spawn(move || {
        busy.call(move |_| {
            started_tx.send(()).unwrap();
            // Held until the test releases it (bounded so a failure cannot hang).
            let _ = release_rx.recv_timeout(Duration::from_secs(30));
        })
    });
    started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let r = h.call_within(Duration::from_millis(50), |s| s.setting::<i32>("k"));
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    release_tx.send(()).unwrap();
    blocker.join().unwrap().unwrap();
    // The queued call ran; later calls work again.
    assert_eq!(h.call(|s| s.setting::<i32>("k")).unwrap().unwrap(), None);
}

#[test]
fn a_crashed_store_thread_reports_closed() {
    let (_dir, h) = common::new_store("810100000017");
    let r = h.call(|_| -> () { panic!("simulated bug in a store job") });
    assert!(matches!(r, Err(Error::Closed)), "{r:?}");
    assert!(matches!(h.call(|s| s.is_locked()), Err(Error::Closed)));
}

#[test]
fn clones_share_one_store() {
    let (_dir, h) = common::new_store("810100000017");
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let h = h.clone();
            std::thread::spawn(move || {
                h.call(move |s| s.push_directory_search(&i))
                    .unwrap()
                    .unwrap()
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut seen: Vec<i32> = h
        .call(|s| s.recent_directory_searches(10))
        .unwrap()
        .unwrap();
    seen.sort();
    assert_eq!(seen, vec![0, 1, 2, 3]);
}

/// After a session that wrote a lot (a first sync), the store reopens its
/// database so that the next start has nothing to replay: everything written
/// is still there, the keys too, and the profile opens again from disk.
#[test]
fn a_checkpoint_after_large_writes_keeps_everything() {
    let (dir, card, store) = common::new_profile("810100000017");
    let h = StoreHandle::spawn(store).unwrap();
    h.call(|s| s.put_setting("small", &1)).unwrap().unwrap();
    assert!(
        !h.call(|s| s.checkpoint(CheckpointAfter::LargeWrites))
            .unwrap()
            .unwrap(),
        "a small session does not reopen"
    );
    let chunk = "x".repeat(1024 * 1024);
    for i in 0..6 {
        let c = chunk.clone();
        h.call(move |s| s.put_setting(&format!("mid-{i}"), &c))
            .unwrap()
            .unwrap();
    }
    assert!(
        !h.call(|s| s.checkpoint(CheckpointAfter::LargeWrites))
            .unwrap()
            .unwrap(),
        "6 MB is not a large write"
    );
    assert!(
        h.call(|s| s.checkpoint(CheckpointAfter::SyncEnd))
            .unwrap()
            .unwrap(),
        "but enough to reopen at the end of a sync"
    );
    for i in 0..40 {
        let c = chunk.clone();
        h.call(move |s| s.put_setting(&format!("big-{i}"), &c))
            .unwrap()
            .unwrap();
    }
    assert!(
        h.call(|s| s.checkpoint(CheckpointAfter::LargeWrites))
            .unwrap()
            .unwrap(),
        "40 MB written"
    );
    assert!(
        !h.call(|s| s.checkpoint(CheckpointAfter::LargeWrites))
            .unwrap()
            .unwrap(),
        "once"
    );
    // still unlocked, still readable and writable
    assert_eq!(
        h.call(|s| s.setting::<i32>("small")).unwrap().unwrap(),
        Some(1)
    );
    h.call(|s| s.put_setting("after", &2)).unwrap().unwrap();
    drop(h);
    // the thread ends with the last handle; then the profile opens again
    let mut reopened = None;
    for _ in 0..50 {
        match Profiles::new(dir.path()).open(&card) {
            Ok(s) => {
                reopened = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let s = reopened.expect("the profile opens again");
    assert_eq!(s.setting::<i32>("after").unwrap(), Some(2));
    assert_eq!(
        s.setting::<String>("big-39").unwrap().as_deref(),
        Some(chunk.as_str())
    );
}

/// sled keeps every large node it reads until it is reopened: after 8 MB of
/// reads the store reopens, between two calls of its thread, and nothing
/// read or written is lost.
#[test]
fn the_store_reopens_between_calls_after_large_reads() {
    let (_dir, _card, store) = common::new_profile("810100000018");
    let h = StoreHandle::spawn(store).unwrap();
    let chunk = "y".repeat(1024 * 1024);
    for i in 0..10 {
        let c = chunk.clone();
        h.call(move |s| s.put_setting(&format!("page-{i}"), &c))
            .unwrap()
            .unwrap();
    }
    h.call(|s| s.checkpoint(CheckpointAfter::AnyWrite))
        .unwrap()
        .unwrap();
    let expected = chunk.clone();
    let (after_six, after_ten) = h
        .call(move |s| {
            let read = |s: &Store, i: usize| s.setting::<String>(&format!("page-{i}")).unwrap();
            for i in 0..6 {
                assert_eq!(read(s, i).as_deref(), Some(expected.as_str()));
            }
            let six = s.checkpoint(CheckpointAfter::LargeReads).unwrap();
            for i in 6..10 {
                assert_eq!(read(s, i).as_deref(), Some(expected.as_str()));
            }
            (six, s.checkpoint(CheckpointAfter::LargeReads).unwrap())
        })
        .unwrap();
    assert!(!after_six, "6 MB read is not a large read");
    assert!(after_ten, "10 MB read is");
    // read 10 MB in one call: the thread reopens the store after it
    h.call(|s| {
        for i in 0..10 {
            s.setting::<String>(&format!("page-{i}")).unwrap();
        }
    })
    .unwrap();
    assert!(
        !h.call(|s| s.checkpoint(CheckpointAfter::LargeReads))
            .unwrap()
            .unwrap(),
        "already reopened by the store thread"
    );
    assert_eq!(
        h.call(|s| s.setting::<String>("page-9")).unwrap().unwrap(),
        Some(chunk)
    );
}
