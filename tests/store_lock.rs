//! Locking drops the keys: nothing can be read or written until the card
//! unlocks the profile again, directly and through the store thread.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use cachet::audit::{self, Action, AuditEvent, Outcome};
use cachet::error::{ErrorKind, HasKind};
use cachet::store::{
    CreateOptions, Error, FolderRef, Order, Profiles, SoftwareUnwrapper, StoreHandle, TailRange,
    Tree,
};

const INBOX: FolderRef<'static> = FolderRef {
    account: "alice@example.test",
    folder: "INBOX",
};

fn locked<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Locked) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn after_lock_nothing_is_readable_until_unlocked_by_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let card = SoftwareUnwrapper::generate("810100000017").unwrap();
    let (mut store, _) = profiles.create(&card, CreateOptions::default()).unwrap();
    store
        .put_envelope(INBOX, 1, Some("<a@x>"), &"subject")
        .unwrap();
    store.put_body(INBOX, 1, b"body").unwrap();
    assert!(!store.is_locked());

    store.lock();
    assert!(store.is_locked());
    locked(store.envelope::<String>(INBOX, 1));
    locked(store.body(INBOX, 1));
    locked(store.envelopes_page::<String>(INBOX, None, 10));
    locked(store.envelope_count(INBOX));
    locked(store.uid_for_message_id(INBOX, "<a@x>"));
    locked(store.put_envelope(INBOX, 2, None, &"x"));
    locked(store.batch().map(|_| ()));
    locked(store.outbox());
    locked(store.setting::<String>("k"));
    locked(store.verify());
    locked(store.scan(Tree::Envelopes, TailRange::all(), Order::Ascending, 10));
    locked(store.keyed_hash_hex("x", b"y"));
    let err = audit::append(
        &store,
        &AuditEvent {
            action: Action::Read,
            target: None,
            request: "x".into(),
            response: None,
            outcome: Outcome::Success,
        },
    )
    .unwrap_err();
    assert!(matches!(err, audit::Error::Store(Error::Locked)));
    assert_eq!(Error::Locked.kind(), ErrorKind::Auth);
    // The Debug form never shows key material.
    assert!(format!("{store:?}").contains("locked: true"));

    // Another card does not unlock it.
    let other = SoftwareUnwrapper::generate("810100000017").unwrap();
    assert!(matches!(store.unlock(&other), Err(Error::WrongCard)));
    assert!(store.is_locked());
    let other_holder = SoftwareUnwrapper::generate("810100000025").unwrap();
    assert!(matches!(store.unlock(&other_holder), Err(Error::WrongCard)));

    store.unlock(&card).unwrap();
    assert_eq!(
        store.envelope::<String>(INBOX, 1).unwrap().as_deref(),
        Some("subject")
    );
}

#[test]
fn lock_through_the_handle_blocks_blocking_and_async_calls() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let card = std::sync::Arc::new(SoftwareUnwrapper::generate("810100000017").unwrap());
    let (store, _) = profiles.create(&*card, CreateOptions::default()).unwrap();
    let handle = StoreHandle::spawn(store).unwrap();
    let h2 = handle.clone();
    handle.call(|s| s.put_setting("k", &7)).unwrap().unwrap();
    assert_eq!(
        h2.call(|s| s.setting::<i32>("k")).unwrap().unwrap(),
        Some(7)
    );

    handle.lock().unwrap();
    locked(h2.call(|s| s.setting::<i32>("k")).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let h3 = handle.clone();
    let r = rt.block_on(async move { h3.call_async(|s| s.setting::<i32>("k")).await });
    locked(r.unwrap());

    let c = card.clone();
    handle.call(move |s| s.unlock(&*c)).unwrap().unwrap();
    let h4 = handle.clone();
    let v = rt.block_on(async move { h4.call_async(|s| s.setting::<i32>("k")).await });
    assert_eq!(v.unwrap().unwrap(), Some(7));
}
