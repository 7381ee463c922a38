//! The session task and its IDLE connection against the real Dovecot: connection states
//! as events, IDLE pushing a message appended by another client, and a flag change made
//! offline (server unreachable) replayed exactly once when the server is back.
// helpers outside #[test] functions panic on a broken setup, like the tests themselves
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imap_common;

use std::time::Duration;

use cachet::mail::imap::audit_log::{AuditAction, AuditRecord};
use cachet::mail::imap::backoff::BackoffPolicy;
use cachet::mail::imap::idle::PushChange;
use cachet::mail::imap::memory::{MemoryCache, MemoryQueue};
use cachet::mail::imap::queue::{OpKind, OpQueue, PendingOp, Replayed};
use cachet::mail::imap::session::Applied;
use cachet::mail::imap::sync::SyncOptions;
use cachet::mail::imap::types::Flags;
use cachet::mail::imap::{ConnState, ImapAccount, ImapEvent, ImapHandle, SessionConfig};
use imap_common::*;
use tokio::sync::mpsc::UnboundedReceiver;

fn config(stack: &common::Stack, account: ImapAccount) -> SessionConfig {
    SessionConfig {
        account,
        tls: tls(stack),
        backoff: BackoffPolicy {
            base: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
        sync: SyncOptions::default(),
        prefetch_recent: 2,
        keepalive: Duration::from_secs(120),
        poll_interval: Duration::from_secs(60),
    }
}

/// The next event matching `pick`, waiting at most 20 s (a bound, not a speed check).
async fn next_matching<T>(
    events: &mut UnboundedReceiver<ImapEvent>,
    seen: &mut Vec<ImapEvent>,
    mut pick: impl FnMut(&ImapEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let e = events.recv().await.expect("the session stopped");
            let picked = pick(&e);
            seen.push(e);
            if let Some(t) = picked {
                return t;
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(20), wait).await {
        Ok(t) => t,
        Err(_) => panic!("no matching event; saw {seen:?}"),
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn session_reports_online_syncs_and_prefetches() {
    let Some(stack) = common::stack("session_online") else {
        return;
    };
    let mut setup = login(&stack, &alice(&stack)).await;
    let folder = unique_folder("Sess");
    setup.create_folder(&folder).await.unwrap();
    for i in 1..=3 {
        setup
            .append(
                &folder,
                &Flags::default(),
                &message(&format!("s{i}"), &format!("s{i}@x")),
            )
            .await
            .unwrap();
    }
    let cache = MemoryCache::default();
    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, alice(&stack)),
        cache.clone(),
        MemoryQueue::default(),
    );
    let mut seen = Vec::new();
    next_matching(&mut events, &mut seen, |e| {
        matches!(e, ImapEvent::State(ConnState::Online)).then_some(())
    })
    .await;
    assert_eq!(seen[0], ImapEvent::State(ConnState::Connecting));

    let report = handle.sync(&folder).await.unwrap();
    assert_eq!(report.new, 3);
    let folders = handle.list_folders(false).await.unwrap();
    assert!(folders.iter().any(|f| f.name == folder));
    // the list call was served after the prefetch, so the two newest bodies are cached
    let cached = cache.folder(&folder).unwrap();
    let uids: Vec<u32> = cached.envelopes.keys().copied().collect();
    assert_eq!(
        cached.bodies.keys().copied().collect::<Vec<_>>(),
        uids[1..].to_vec()
    );
    let body = handle.fetch_body(&folder, uids[0]).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&body).contains("body of s1"));
    assert_eq!(
        handle.search(&folder, "body of s2").await.unwrap(),
        vec![uids[1]]
    );
    handle.shutdown().await;
    let audit: Vec<AuditRecord> = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|e| match e {
            ImapEvent::Audit(r) => Some(r),
            _ => None,
        })
        .collect();
    assert!(
        audit
            .iter()
            .any(|r| r.action == AuditAction::Consult && r.uids == vec![uids[0]])
    );
    let search = audit
        .iter()
        .find(|r| r.action == AuditAction::Search)
        .unwrap();
    assert!(
        !format!("{search:?}").contains("body of s2"),
        "no search text in the trail"
    );
    assert!(
        handle.list_folders(false).await.is_err(),
        "a stopped session answers with an error"
    );
    setup.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn idle_pushes_a_message_appended_by_another_client() {
    let Some(stack) = common::stack("idle_push") else {
        return;
    };
    let mut other = login(&stack, &alice(&stack)).await;
    let folder = unique_folder("Idle");
    other.create_folder(&folder).await.unwrap();
    other
        .append(&folder, &Flags::default(), &message("before", "i0@x"))
        .await
        .unwrap();

    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, alice(&stack)),
        MemoryCache::default(),
        MemoryQueue::default(),
    );
    let mut seen = Vec::new();
    handle.watch(Some(&folder));
    let watched = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::Watching { folder } => Some(folder.clone()),
        _ => None,
    })
    .await;
    assert_eq!(watched, folder);

    other
        .append(&folder, &Flags::default(), &message("pushed", "i1@x"))
        .await
        .unwrap();
    let count = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::Push(p) if p.folder == folder => match p.change {
            PushChange::Exists { count } => Some(count),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(count, 2);

    // a flag change by the other client is pushed too, with its UID
    other.select(&folder, false, None).await.unwrap();
    let uids = other.uid_search("ALL").await.unwrap();
    other
        .store_flags(&[uids[0]], &Flags::of([Flags::FLAGGED]), &Flags::default())
        .await
        .unwrap();
    let (uid, flags) = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::Push(p) => match &p.change {
            PushChange::Flags { uid, flags, .. } => Some((*uid, flags.clone())),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(uid, Some(uids[0]));
    assert!(flags.contains(Flags::FLAGGED));

    // an expunge arrives as VANISHED (QRESYNC is enabled on the IDLE connection)
    other
        .store_flags(&[uids[1]], &Flags::of([Flags::DELETED]), &Flags::default())
        .await
        .unwrap();
    other.expunge_uids(&[uids[1]]).await.unwrap();
    let vanished = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::Push(p) => match &p.change {
            PushChange::Vanished { uids } => Some(uids.clone()),
            _ => None,
        },
        _ => None,
    })
    .await;
    assert_eq!(vanished, vec![uids[1]]);
    handle.shutdown().await;
    other.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn an_offline_flag_change_is_replayed_exactly_once_when_back_online() {
    let Some(stack) = common::stack("offline_replay") else {
        return;
    };
    let mut setup = login(&stack, &alice(&stack)).await;
    let folder = unique_folder("Offline");
    setup.create_folder(&folder).await.unwrap();
    setup
        .append(&folder, &Flags::default(), &message("to flag", "o1@x"))
        .await
        .unwrap();
    let selected = setup.select(&folder, false, None).await.unwrap().selected;
    let uid = setup.uid_search("ALL").await.unwrap()[0];

    // 1. the server is unreachable: the change is queued, the session says Offline
    let queue = MemoryQueue::default();
    let mut unreachable = alice(&stack);
    unreachable.port = closed_port();
    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, unreachable),
        MemoryCache::default(),
        queue.clone(),
    );
    let mut seen = Vec::new();
    let reason = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::State(ConnState::Offline { reason }) => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("cannot reach"), "{reason}");
    let op = PendingOp::new(
        &folder,
        selected.uid_validity,
        OpKind::SetFlags {
            uids: vec![uid],
            add: Flags::of([Flags::FLAGGED, Flags::SEEN]),
            remove: Flags::default(),
        },
    );
    assert_eq!(handle.change(op.clone()).await.unwrap(), Applied::Queued);
    // reconnect attempts keep failing with backoff, and keep being reported
    next_matching(&mut events, &mut seen, |e| {
        matches!(e, ImapEvent::State(ConnState::Connecting)).then_some(())
    })
    .await;
    handle.shutdown().await;
    assert_eq!(
        queue.pending().unwrap(),
        vec![op.clone()],
        "the change survives the session"
    );

    // 2. the server is back: the queue is replayed on connect
    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, alice(&stack)),
        MemoryCache::default(),
        queue.clone(),
    );
    let mut seen = Vec::new();
    let replayed = next_matching(&mut events, &mut seen, |e| match e {
        ImapEvent::Replayed(r) => Some(r.clone()),
        _ => None,
    })
    .await;
    assert_eq!(replayed, Replayed::Applied { id: op.id.clone() });
    handle.list_folders(false).await.unwrap();
    handle.shutdown().await;
    assert!(queue.pending().unwrap().is_empty());
    let flags = setup.fetch_flags(&uid.to_string(), None).await.unwrap();
    assert!(flags[0].flags.contains(Flags::FLAGGED) && flags[0].flags.contains(Flags::SEEN));
    let replays = seen
        .iter()
        .filter(|e| matches!(e, ImapEvent::Replayed(_)))
        .count();
    assert_eq!(replays, 1);

    // 3. a later session has nothing left to replay
    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, alice(&stack)),
        MemoryCache::default(),
        queue.clone(),
    );
    handle.list_folders(false).await.unwrap();
    handle.shutdown().await;
    let mut later = Vec::new();
    while let Ok(e) = events.try_recv() {
        later.push(e);
    }
    assert!(later.contains(&ImapEvent::State(ConnState::Online)));
    assert!(
        !later.iter().any(|e| matches!(e, ImapEvent::Replayed(_))),
        "{later:?}"
    );
    setup.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn online_changes_apply_at_once_and_moves_are_idempotent() {
    let Some(stack) = common::stack("online_changes") else {
        return;
    };
    let mut setup = login(&stack, &alice(&stack)).await;
    let folder = unique_folder("Move");
    let dest = format!("{folder}-dest");
    setup.create_folder(&folder).await.unwrap();
    setup.create_folder(&dest).await.unwrap();
    setup
        .append(&folder, &Flags::default(), &message("to move", "mv1@x"))
        .await
        .unwrap();
    let uv = setup
        .select(&folder, false, None)
        .await
        .unwrap()
        .selected
        .uid_validity;
    let uid = setup.uid_search("ALL").await.unwrap()[0];

    let queue = MemoryQueue::default();
    let (handle, mut events) = ImapHandle::spawn(
        config(&stack, alice(&stack)),
        MemoryCache::default(),
        queue.clone(),
    );
    let mv = PendingOp::new(
        &folder,
        uv,
        OpKind::Move {
            uid,
            to: dest.clone(),
            message_id: Some("<mv1@x>".into()),
        },
    );
    assert_eq!(handle.change(mv.clone()).await.unwrap(), Applied::Done);
    assert!(queue.pending().unwrap().is_empty());
    // the same op again (a replay after a crash before the ack) changes nothing
    let mut again = mv.clone();
    again.id = "replayed".into();
    assert_eq!(handle.change(again).await.unwrap(), Applied::Done);
    handle.shutdown().await;

    // the audit trail gets the login, the move and the move that was not redone
    let mut audit = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let ImapEvent::Audit(r) = e {
            audit.push(r);
        }
    }
    assert_eq!(audit[0].action, AuditAction::Login);
    assert_eq!(audit[0].error, None);
    let moves: Vec<&AuditRecord> = audit
        .iter()
        .filter(|r| r.action == AuditAction::Move { to: dest.clone() })
        .collect();
    assert_eq!(moves.len(), 2);
    assert_eq!(
        (
            moves[0].folder.as_deref(),
            moves[0].uids.as_slice(),
            &moves[0].error
        ),
        (Some(folder.as_str()), &[uid][..], &None)
    );
    assert!(
        moves[1]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not applied"))
    );

    setup.select(&folder, true, None).await.unwrap();
    assert!(setup.uid_search("ALL").await.unwrap().is_empty());
    setup.select(&dest, true, None).await.unwrap();
    assert_eq!(
        setup.uid_search("ALL").await.unwrap().len(),
        1,
        "moved once, not twice"
    );
    setup.delete_folder(&folder).await.unwrap();
    setup.delete_folder(&dest).await.unwrap();
}
