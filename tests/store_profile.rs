//! Profiles end to end with software cards: typed API round trips, paging,
//! wrong card, tampered values, card renewal and recovery.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use cachet::error::{ErrorKind, HasKind};
use cachet::store::{
    CreateOptions, Durability, Error, FolderRef, Profiles, RecoveryCode, SoftwareUnwrapper, Tree,
};
use serde::{Deserialize, Serialize};

const HOLDER: &str = "810100000017";
const INBOX: FolderRef<'static> = FolderRef {
    account: "alice@example.test",
    folder: "INBOX",
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Env {
    subject: String,
    from: String,
}

fn env(i: u32) -> Env {
    Env {
        subject: format!("Compte rendu {i}"),
        from: format!("dr{i}@example.test"),
    }
}

fn card(holder: &str) -> SoftwareUnwrapper {
    SoftwareUnwrapper::generate(holder).unwrap()
}

#[test]
fn typed_api_round_trips_and_pages_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let c = card(HOLDER);
    let (store, code) = profiles.create(&c, CreateOptions::default()).unwrap();
    assert!(code.is_none());

    let mut b = store.batch().unwrap();
    for uid in 1..=25 {
        b.put_envelope(
            INBOX,
            uid,
            Some(&format!("<m{uid}@example.test>")),
            &env(uid),
        )
        .unwrap();
        b.put_body(INBOX, uid, format!("body {uid}").as_bytes())
            .unwrap();
    }
    b.commit(Durability::Flush).unwrap();

    assert_eq!(store.envelope_count(INBOX).unwrap(), 25);
    let other = FolderRef {
        account: "alice@example.test",
        folder: "Sent",
    };
    assert_eq!(store.envelope_count(other).unwrap(), 0);

    let p1 = store.envelopes_page::<Env>(INBOX, None, 10).unwrap();
    assert_eq!(
        p1.items.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        (16..=25).rev().collect::<Vec<_>>()
    );
    assert_eq!(p1.items[0].1, env(25));
    let p2 = store
        .envelopes_page::<Env>(INBOX, p1.next_before, 10)
        .unwrap();
    assert_eq!(p2.items.first().map(|x| x.0), Some(15));
    let p3 = store
        .envelopes_page::<Env>(INBOX, p2.next_before, 10)
        .unwrap();
    assert_eq!(p3.items.len(), 5);
    assert_eq!(p3.next_before, None);

    assert_eq!(
        store
            .uid_for_message_id(INBOX, "<m7@example.test>")
            .unwrap(),
        Some(7)
    );
    assert_eq!(
        store
            .uid_for_message_id(other, "<m7@example.test>")
            .unwrap(),
        None
    );
    assert_eq!(&store.body(INBOX, 7).unwrap().unwrap()[..], b"body 7");

    store
        .remove_message(INBOX, 7, Some("<m7@example.test>"))
        .unwrap();
    assert_eq!(store.envelope::<Env>(INBOX, 7).unwrap(), None);
    assert!(store.body(INBOX, 7).unwrap().is_none());
    assert_eq!(
        store
            .uid_for_message_id(INBOX, "<m7@example.test>")
            .unwrap(),
        None
    );

    let o1 = store.outbox_push(b"raw 1").unwrap();
    let o2 = store.outbox_push(b"raw 2").unwrap();
    assert_eq!(
        store
            .outbox()
            .unwrap()
            .iter()
            .map(|(i, _)| *i)
            .collect::<Vec<_>>(),
        vec![o1, o2]
    );
    store.outbox_remove(o1).unwrap();
    assert_eq!(&store.outbox().unwrap()[0].1[..], b"raw 2");

    let d = store.save_draft(None, &"brouillon".to_string()).unwrap();
    store
        .save_draft(Some(d), &"brouillon v2".to_string())
        .unwrap();
    assert_eq!(
        store.drafts::<String>().unwrap(),
        vec![(d, "brouillon v2".to_string())]
    );

    for q in ["martin", "dupont", "durand"] {
        store.push_directory_search(&q).unwrap();
    }
    assert_eq!(
        store.recent_directory_searches::<String>(2).unwrap(),
        vec!["durand", "dupont"]
    );

    store
        .put_record("1 84 12 75 123 456 78", "doc-1", &"CR opératoire")
        .unwrap();
    store
        .put_record("1 84 12 75 123 456 78", "doc-2", &"Biologie")
        .unwrap();
    store
        .put_record("2 90 01 13 055 001 44", "doc-3", &"Autre")
        .unwrap();
    let mut recs = store
        .records_for::<String>("1 84 12 75 123 456 78")
        .unwrap();
    recs.sort();
    assert_eq!(recs, vec!["Biologie", "CR opératoire"]);

    store.put_setting("theme", &"dark").unwrap();
    assert_eq!(
        store.setting::<String>("theme").unwrap().as_deref(),
        Some("dark")
    );
    assert_eq!(store.setting::<String>("absent").unwrap(), None);

    let report = store.verify().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.per_tree.get("envelopes"), Some(&24));

    // Clearing another folder leaves INBOX alone; clearing INBOX empties it
    // and its index, and the store still verifies.
    store
        .put_envelope(other, 1, Some("<s1@example.test>"), &env(1))
        .unwrap();
    assert_eq!(store.clear_folder(other).unwrap(), 1);
    assert_eq!(store.envelope_count(INBOX).unwrap(), 24);
    assert_eq!(
        store
            .uid_for_message_id(other, "<s1@example.test>")
            .unwrap(),
        None
    );
    store
        .put_envelope(other, 1, Some("<s1@example.test>"), &env(1))
        .unwrap();
    assert_eq!(store.clear_folder(INBOX).unwrap(), 24);
    assert_eq!(store.envelope_count(INBOX).unwrap(), 0);
    assert!(store.body(INBOX, 3).unwrap().is_none());
    assert_eq!(
        store
            .uid_for_message_id(INBOX, "<m3@example.test>")
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .uid_for_message_id(other, "<s1@example.test>")
            .unwrap(),
        Some(1)
    );
    let report = store.verify().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.per_tree.get("envelopes"), Some(&1));
    assert_eq!(report.per_tree.get("message-ids"), Some(&1));
    for uid in 1..=25 {
        put_inbox_envelope(&store, uid);
    }
    drop(store);

    // Reopen: everything is still there.
    let store = profiles.open(&c).unwrap();
    assert_eq!(store.envelope::<Env>(INBOX, 3).unwrap(), Some(env(3)));
    assert!(store.verify().unwrap().is_ok());
}

#[test]
fn another_card_cannot_open_and_holders_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let alice = card(HOLDER);
    let (store, _) = profiles.create(&alice, CreateOptions::default()).unwrap();
    store.put_setting("k", &1).unwrap();
    drop(store);

    // Same holder id, another key: refused with a clear error.
    let forged = card(HOLDER);
    let err = profiles.open(&forged).unwrap_err();
    assert!(matches!(err, Error::WrongCard), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("another card"));

    // Another holder has no profile, then gets a separate one.
    let bob = card("810100000025");
    assert!(matches!(profiles.open(&bob).unwrap_err(), Error::NoProfile));
    let (bob_store, _) = profiles.create(&bob, CreateOptions::default()).unwrap();
    assert_eq!(bob_store.setting::<i32>("k").unwrap(), None);
    assert_ne!(
        profiles.profile_dir(HOLDER).unwrap(),
        profiles.profile_dir("810100000025").unwrap()
    );
    // Folder names do not contain the holder id.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains("81010000"), "{name}");
    }
    assert!(matches!(
        profiles
            .create(&alice, CreateOptions::default())
            .unwrap_err(),
        Error::ProfileExists
    ));
}

#[test]
fn flipped_byte_in_a_stored_value_is_an_integrity_error() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let c = card(HOLDER);
    let (store, _) = profiles.create(&c, CreateOptions::default()).unwrap();
    store.put_envelope(INBOX, 1, None, &env(1)).unwrap();
    store.put_envelope(INBOX, 2, None, &env(2)).unwrap();
    drop(store);

    // Tamper with one sealed value directly in sled (the store is closed).
    let db_path = profiles.profile_dir(HOLDER).unwrap().join("db");
    {
        let db = sled::open(&db_path).unwrap();
        let (k, v) = db
            .iter()
            .map(|r| r.unwrap())
            .find(|(k, _)| k[0] == Tree::Envelopes as u8 && k.ends_with(&1u32.to_be_bytes()))
            .unwrap();
        let mut bad = v.to_vec();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        db.insert(k, bad).unwrap();
        db.flush().unwrap();
    }
    let store = profiles.open(&c).unwrap();
    let err = store.envelope::<Env>(INBOX, 1).unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert_eq!(store.envelope::<Env>(INBOX, 2).unwrap(), Some(env(2)));
    let report = store.verify().unwrap();
    assert_eq!(report.problem_count, 1);
    assert_eq!(report.problems[0].tree, "envelopes");

    // A value copied under another key fails too (the key is authenticated).
    drop(store);
    {
        let db = sled::open(&db_path).unwrap();
        let items: Vec<_> = db
            .iter()
            .map(|r| r.unwrap())
            .filter(|(k, _)| k[0] == Tree::Envelopes as u8)
            .collect();
        db.insert(items[0].0.clone(), items[1].1.clone()).unwrap();
        db.flush().unwrap();
    }
    let store = profiles.open(&c).unwrap();
    // UID 1 now holds UID 2's (valid) sealed value: refused, never "env(2)".
    assert!(matches!(
        store.envelope::<Env>(INBOX, 1).unwrap_err(),
        Error::Integrity { .. }
    ));
    assert_eq!(store.envelope::<Env>(INBOX, 2).unwrap(), Some(env(2)));
    let report = store.verify().unwrap();
    assert_eq!(report.problem_count, 1);
    assert!(report.problems[0].key.ends_with("00000001"));
}

#[test]
fn dangling_message_id_index_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let c = card(HOLDER);
    let (store, _) = profiles.create(&c, CreateOptions::default()).unwrap();
    store
        .put_envelope(INBOX, 1, Some("<a@x>"), &env(1))
        .unwrap();
    drop(store);
    {
        let db = sled::open(profiles.profile_dir(HOLDER).unwrap().join("db")).unwrap();
        let k = db
            .iter()
            .keys()
            .map(|k| k.unwrap())
            .find(|k| k[0] == Tree::Envelopes as u8)
            .unwrap();
        db.remove(k).unwrap();
        db.flush().unwrap();
    }
    let store = profiles.open(&c).unwrap();
    let report = store.verify().unwrap();
    assert_eq!(report.problem_count, 1, "{report:?}");
    assert!(report.problems[0].what.contains("without its envelope"));
}

#[test]
fn rewrap_moves_the_profile_to_the_new_card() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let old = card(HOLDER);
    let (store, _) = profiles.create(&old, CreateOptions::default()).unwrap();
    store.put_setting("k", &"v").unwrap();
    drop(store);

    let new = card(HOLDER);
    let wrong = card(HOLDER);
    assert!(matches!(
        profiles.rewrap(&wrong, &new).unwrap_err(),
        Error::WrongCard
    ));
    let other_holder = card("810100000025");
    assert!(matches!(
        profiles.rewrap(&old, &other_holder).unwrap_err(),
        Error::Invalid { .. }
    ));

    profiles.rewrap(&old, &new).unwrap();
    assert!(matches!(profiles.open(&old).unwrap_err(), Error::WrongCard));
    let store = profiles.open(&new).unwrap();
    assert_eq!(store.setting::<String>("k").unwrap().as_deref(), Some("v"));
}

#[test]
fn recovery_code_rewraps_to_a_new_card_after_loss() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let lost = card(HOLDER);
    let (store, code) = profiles
        .create(
            &lost,
            CreateOptions {
                with_recovery_code: true,
            },
        )
        .unwrap();
    let code = code.unwrap();
    store.put_setting("k", &42).unwrap();
    drop(store);

    let new = card(HOLDER);
    let typo = RecoveryCode::generate().unwrap();
    assert!(matches!(
        profiles.recover(&typo, &new).unwrap_err(),
        Error::BadRecoveryCode
    ));
    assert!(matches!(profiles.open(&new).unwrap_err(), Error::WrongCard));

    // The code as a person would type it: lower case, spaces.
    let typed = code.grouped().to_lowercase().replace('-', " ");
    profiles
        .recover(&RecoveryCode::parse(&typed).unwrap(), &new)
        .unwrap();
    let store = profiles.open(&new).unwrap();
    assert_eq!(store.setting::<i32>("k").unwrap(), Some(42));
    assert!(matches!(
        profiles.open(&lost).unwrap_err(),
        Error::WrongCard
    ));
}

#[test]
fn profile_without_recovery_refuses_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let c = card(HOLDER);
    drop(profiles.create(&c, CreateOptions::default()).unwrap());
    let err = profiles
        .recover(&RecoveryCode::generate().unwrap(), &card(HOLDER))
        .unwrap_err();
    assert!(matches!(err, Error::NoRecovery), "{err:?}");
}

#[test]
fn concurrent_first_use_agrees_on_one_workstation_secret() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fresh");
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let root = root.clone();
            std::thread::spawn(move || Profiles::new(root).profile_dir(HOLDER).unwrap())
        })
        .collect();
    let dirs: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(dirs.windows(2).all(|w| w[0] == w[1]), "{dirs:?}");
    // Only the secret is left in the root (no temporary files).
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["workstation.secret"]);
}

fn put_inbox_envelope(store: &cachet::store::Store, uid: u32) {
    store
        .put_envelope(
            INBOX,
            uid,
            Some(&format!("<m{uid}@example.test>")),
            &env(uid),
        )
        .unwrap();
}
