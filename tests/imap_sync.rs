//! The sync engine against the real Dovecot: first sync, QRESYNC resync after changes by
//! a second client, the full-scan fallback, UIDVALIDITY change, flags both ways, bodies,
//! server-side search, and a 2,000-message folder fetched in batches newest first.
// helpers outside #[test] functions panic on a broken setup, like the tests themselves
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imap_common;

use cachet::mail::imap::ImapConn;
use cachet::mail::imap::memory::MemoryCache;
use cachet::mail::imap::sync::{
    Strategy, SyncCache, SyncOptions, SyncPoint, SyncProgress, sync_folder,
};
use cachet::mail::imap::types::Flags;
use imap_common::*;

async fn sync(
    conn: &mut ImapConn,
    cache: &mut MemoryCache,
    folder: &str,
) -> (cachet::mail::imap::SyncReport, Vec<SyncProgress>) {
    let mut seen = Vec::new();
    let report = sync_folder(
        conn,
        cache,
        folder,
        SyncOptions {
            batch_size: 2,
            ..SyncOptions::default()
        },
        &mut |p| seen.push(p),
    )
    .await
    .unwrap();
    (report, seen)
}

fn subjects(cache: &MemoryCache, folder: &str) -> Vec<String> {
    cache
        .folder(folder)
        .unwrap()
        .envelopes
        .values()
        .map(|e| {
            let text = String::from_utf8_lossy(&e.header).to_string();
            text.lines()
                .find(|l| l.starts_with("Subject: "))
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn first_sync_then_qresync_picks_up_another_clients_changes() {
    let Some(stack) = common::stack("qresync") else {
        return;
    };
    let mut other = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut other, "Sync", 5).await;

    let mut conn = login(&stack, &alice(&stack)).await;
    let mut cache = MemoryCache::default();
    let (first, progress) = sync(&mut conn, &mut cache, &folder).await;
    assert_eq!(
        (first.strategy, first.new, first.reset),
        (Strategy::Initial, 5, false)
    );
    assert_eq!(progress.len(), 3, "5 messages in batches of 2");
    let cached = cache.folder(&folder).unwrap();
    assert_eq!(cached.envelopes.len(), 5);
    let uids: Vec<u32> = cached.envelopes.keys().copied().collect();
    assert!(cached.envelopes[&uids[0]].flags.contains(Flags::SEEN));
    assert!(!cached.envelopes[&uids[1]].flags.contains(Flags::SEEN));
    let e = &cached.envelopes[&uids[0]];
    let header = String::from_utf8_lossy(&e.header);
    for field in [
        "Subject: message 1",
        "Message-ID: <m1@",
        "Disposition-Notification-To:",
    ] {
        assert!(header.contains(field), "{field} missing from {header}");
    }
    assert!(e.size > 0 && e.body.mime_type == "text/plain" && !e.body.has_attachment);
    assert!(cached.state.highest_modseq.is_some());

    // another client: flag message 2, expunge message 3, add message 6
    other.select(&folder, false, None).await.unwrap();
    other
        .store_flags(&[uids[1]], &Flags::of([Flags::FLAGGED]), &Flags::default())
        .await
        .unwrap();
    other
        .store_flags(&[uids[0]], &Flags::default(), &Flags::of([Flags::SEEN]))
        .await
        .unwrap();
    other.expunge_uids_after_delete(&[uids[2]]).await;
    other
        .append(&folder, &Flags::default(), &message("message 6", "m6@x"))
        .await
        .unwrap();

    let (second, _) = sync(&mut conn, &mut cache, &folder).await;
    assert_eq!(second.strategy, Strategy::Qresync);
    assert_eq!(
        (second.flag_changes, second.expunged, second.new),
        (2, 1, 1)
    );
    let cached = cache.folder(&folder).unwrap();
    assert_eq!(cached.envelopes.len(), 5);
    assert!(!cached.envelopes.contains_key(&uids[2]));
    assert!(cached.envelopes[&uids[1]].flags.contains(Flags::FLAGGED));
    assert!(!cached.envelopes[&uids[0]].flags.contains(Flags::SEEN));

    // nothing changed: nothing to do
    let (third, _) = sync(&mut conn, &mut cache, &folder).await;
    assert_eq!((third.flag_changes, third.expunged, third.new), (0, 0, 0));

    // our own change reaches the server and the other client
    conn.store_flags(
        &[uids[3]],
        &Flags::of(["$Urgent", Flags::ANSWERED]),
        &Flags::default(),
    )
    .await
    .unwrap();
    other.select(&folder, true, None).await.unwrap();
    let seen = other.fetch_flags(&uids[3].to_string(), None).await.unwrap();
    assert!(seen[0].flags.contains("$Urgent") && seen[0].flags.contains(Flags::ANSWERED));

    other.delete_folder(&folder).await.unwrap();
}

/// Test-only helper: flag \Deleted then UID EXPUNGE (what a delete op does).
trait ExpungeAfterDelete {
    async fn expunge_uids_after_delete(&mut self, uids: &[u32]);
}

impl ExpungeAfterDelete for ImapConn {
    async fn expunge_uids_after_delete(&mut self, uids: &[u32]) {
        self.store_flags(uids, &Flags::of([Flags::DELETED]), &Flags::default())
            .await
            .unwrap();
        self.expunge_uids(uids).await.unwrap();
    }
}

#[tokio::test]
async fn without_a_modseq_the_full_scan_finds_flags_and_expunges() {
    let Some(stack) = common::stack("full_scan") else {
        return;
    };
    let mut conn = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut conn, "Scan", 4).await;
    let mut cache = MemoryCache::default();
    sync(&mut conn, &mut cache, &folder).await;
    // as if the cache came from a server without CONDSTORE
    cache
        .set_sync_point(
            &folder,
            SyncPoint {
                uid_next: None,
                highest_modseq: None,
            },
        )
        .unwrap();
    let uids: Vec<u32> = cache
        .folder(&folder)
        .unwrap()
        .envelopes
        .keys()
        .copied()
        .collect();

    let mut other = login(&stack, &alice(&stack)).await;
    other.select(&folder, false, None).await.unwrap();
    other
        .store_flags(&[uids[1]], &Flags::of([Flags::SEEN]), &Flags::default())
        .await
        .unwrap();
    other.expunge_uids_after_delete(&[uids[3]]).await;

    let (report, _) = sync(&mut conn, &mut cache, &folder).await;
    assert_eq!(report.strategy, Strategy::FullScan);
    assert_eq!(
        (report.flag_changes, report.expunged, report.new),
        (1, 1, 0)
    );
    let cached = cache.folder(&folder).unwrap();
    assert_eq!(
        cached.envelopes.keys().copied().collect::<Vec<_>>(),
        uids[..3].to_vec()
    );
    assert!(cached.envelopes[&uids[1]].flags.contains(Flags::SEEN));
    conn.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn without_qresync_condstore_resyncs_incrementally() {
    let Some(stack) = common::stack("condstore") else {
        return;
    };
    let mut account = alice(&stack);
    account.use_qresync = false;
    let mut conn = login(&stack, &account).await;
    assert!(!conn.has_qresync() && conn.has_condstore());
    let folder = folder_with(&mut conn, "Cond", 4).await;
    let mut cache = MemoryCache::default();
    sync(&mut conn, &mut cache, &folder).await;
    let uids: Vec<u32> = cache
        .folder(&folder)
        .unwrap()
        .envelopes
        .keys()
        .copied()
        .collect();

    let mut other = login(&stack, &alice(&stack)).await;
    other.select(&folder, false, None).await.unwrap();
    other
        .store_flags(&[uids[2]], &Flags::of([Flags::FLAGGED]), &Flags::default())
        .await
        .unwrap();
    other.expunge_uids_after_delete(&[uids[0]]).await;
    other
        .append(&folder, &Flags::default(), &message("late", "late@x"))
        .await
        .unwrap();

    let (report, _) = sync(&mut conn, &mut cache, &folder).await;
    assert_eq!(report.strategy, Strategy::Condstore);
    assert_eq!(
        (report.flag_changes, report.expunged, report.new),
        (1, 1, 1)
    );
    let cached = cache.folder(&folder).unwrap();
    assert!(cached.envelopes[&uids[2]].flags.contains(Flags::FLAGGED));
    assert!(!cached.envelopes.contains_key(&uids[0]));
    assert_eq!(cached.envelopes.len(), 4);
    conn.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn a_uidvalidity_change_resets_the_cached_folder() {
    let Some(stack) = common::stack("uidvalidity") else {
        return;
    };
    let mut conn = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut conn, "Valid", 3).await;
    let mut cache = MemoryCache::default();
    sync(&mut conn, &mut cache, &folder).await;
    let before = cache.folder(&folder).unwrap().state.uid_validity;

    // recreate the folder: same name, new UIDVALIDITY, different content
    let mut other = login(&stack, &alice(&stack)).await;
    other.delete_folder(&folder).await.unwrap();
    // Dovecot derives UIDVALIDITY from the clock: make sure a second passes
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    other.create_folder(&folder).await.unwrap();
    other
        .append(&folder, &Flags::default(), &message("after reset", "r1@x"))
        .await
        .unwrap();

    let (report, _) = sync(&mut conn, &mut cache, &folder).await;
    let cached = cache.folder(&folder).unwrap();
    assert_ne!(cached.state.uid_validity, before);
    assert!(report.reset);
    assert_eq!(report.new, 1);
    assert_eq!(
        subjects(&cache, &folder),
        vec!["Subject: after reset".to_string()]
    );
    other.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn bodies_on_demand_and_server_search() {
    let Some(stack) = common::stack("bodies") else {
        return;
    };
    let mut conn = login(&stack, &alice(&stack)).await;
    let folder = folder_with(&mut conn, "Body", 3).await;
    conn.select(&folder, false, None).await.unwrap();
    let all = conn.uid_search("ALL").await.unwrap();
    let body = conn.fetch_body(all[1]).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&body).contains("body of message 2"));
    // BODY.PEEK leaves \Seen alone
    let flags = conn.fetch_flags(&all[1].to_string(), None).await.unwrap();
    assert!(!flags[0].flags.contains(Flags::SEEN));
    assert_eq!(
        conn.search_text("body of message 3").await.unwrap(),
        vec![all[2]]
    );
    assert!(
        conn.search_text("nowhere to be found")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(conn.fetch_body(999_999).await.unwrap(), None);
    conn.delete_folder(&folder).await.unwrap();
}

#[tokio::test]
async fn two_thousand_messages_arrive_in_batches_newest_first() {
    let Some(stack) = common::stack("big_folder") else {
        return;
    };
    let mut conn = login(&stack, &bob(&stack)).await;
    let folder = unique_folder("Big");
    conn.create_folder(&folder).await.unwrap();
    for chunk in 0..8 {
        let messages: Vec<(Flags, Vec<u8>)> = (1..=250)
            .map(|i| {
                let n = chunk * 250 + i;
                (
                    Flags::default(),
                    message(&format!("bulk {n}"), &format!("b{n}@x")),
                )
            })
            .collect();
        conn.append_many(&folder, &messages).await.unwrap();
    }
    let mut cache = MemoryCache::default();
    let mut batches: Vec<SyncProgress> = Vec::new();
    let report = sync_folder(
        &mut conn,
        &mut cache,
        &folder,
        SyncOptions {
            batch_size: 250,
            ..SyncOptions::default()
        },
        &mut |p| batches.push(p),
    )
    .await
    .unwrap();
    assert_eq!(report.new, 2000);
    assert_eq!(batches.len(), 8);
    let cached = cache.folder(&folder).unwrap();
    let newest = *cached.envelopes.keys().next_back().unwrap();
    assert_eq!(
        batches[0].batch_newest, newest,
        "the first batch holds the newest message"
    );
    for pair in batches.windows(2) {
        assert!(
            pair[0].batch_oldest > pair[1].batch_newest,
            "batches go newest first"
        );
        assert!(pair[0].fetched < pair[1].fetched);
    }
    assert_eq!(batches.last().unwrap().fetched, 2000);
    assert!(batches.iter().all(|b| b.total == 2000));
    assert_eq!(cached.envelopes.len(), 2000);
    conn.delete_folder(&folder).await.unwrap();
}
