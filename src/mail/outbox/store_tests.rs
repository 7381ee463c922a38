//! The store-backed outbox and sent log over a real encrypted profile (a
//! software card key): the same contract as the memory store, and records
//! that survive closing and reopening the profile.

use super::testing::*;
use super::*;
use crate::mail::compose::{BuiltMessage, Envelope};
use crate::mail::mdn::{ReportFields, ReportKind, TrackedStatus};
use crate::store::{CreateOptions, Profiles, SoftwareUnwrapper, StoreHandle};

fn built(n: u32) -> BuiltMessage {
    let id = format!("{n}.store@example.test");
    BuiltMessage {
        bytes: format!("Message-ID: <{id}>\r\n\r\nbody \u{e9}\r\n").into_bytes(),
        message_id: id,
        envelope: Envelope {
            from: "alice@example.test".into(),
            recipients: vec!["bob@example.test".into()],
        },
    }
}

struct Profile {
    dir: tempfile::TempDir,
    card: SoftwareUnwrapper,
}

impl Profile {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let card = SoftwareUnwrapper::generate("810100000017").unwrap();
        Profiles::new(dir.path())
            .create(
                &card,
                CreateOptions {
                    with_recovery_code: false,
                },
            )
            .unwrap();
        Self { dir, card }
    }

    /// Opens the profile; a handle dropped just before releases the
    /// database lock when its thread ends, so wait for that.
    fn open(&self) -> StoreHandle {
        let profiles = Profiles::new(self.dir.path());
        for _ in 0..200 {
            if let Ok(s) = profiles.open(&self.card) {
                return StoreHandle::spawn(s).unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        StoreHandle::spawn(profiles.open(&self.card).unwrap()).unwrap()
    }
}

#[tokio::test]
async fn versions_are_compared_and_swapped() {
    let p = Profile::new();
    let store = StoreOutboxStore::new(p.open());
    let r = OutboxRecord::new(built(1), 10);
    store.put(r.clone()).await.unwrap();
    assert!(matches!(store.put(r).await, Err(Error::Exists { .. })));
    let mut got = store.get("1.store@example.test").await.unwrap().unwrap();
    assert_eq!(got.version, 1);
    got.state = OutboxState::Sending { attempt: 1 };
    store.update(got.clone()).await.unwrap();
    // The same (now stale) version again: refused, nothing overwritten.
    got.state = OutboxState::Cancelled;
    assert!(matches!(
        store.update(got).await,
        Err(Error::Conflict { expected: 1, .. })
    ));
    let now = store.get("1.store@example.test").await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.state, OutboxState::Sending { attempt: 1 });
    assert!(matches!(
        store.update(OutboxRecord::new(built(9), 0)).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn records_survive_reopening_and_list_oldest_first() {
    let p = Profile::new();
    {
        let ob = Outbox::new(
            StoreOutboxStore::new(p.open()),
            RetryPolicy::default(),
            false,
        );
        ob.enqueue(built(2), 20).await.unwrap();
        ob.enqueue(built(1), 10).await.unwrap();
    }
    let store = StoreOutboxStore::new(p.open());
    let list = store.list().await.unwrap();
    let ids: Vec<_> = list.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(ids, ["1.store@example.test", "2.store@example.test"]);
    assert_eq!(list[0].bytes, built(1).bytes, "bytes round-trip exactly");
    store.remove("1.store@example.test").await.unwrap();
    assert_eq!(store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_crash_after_sending_does_not_send_twice_after_reopening() {
    let p = Profile::new();
    let t = RecordingTransport::default();
    // Steps: put, Sending, Sent. Crash at the Sent commit: delivered but not recorded.
    {
        let ob = Outbox::new(
            CrashingStore {
                inner: StoreOutboxStore::new(p.open()),
                switch: CrashSwitch::at_step(3),
            },
            RetryPolicy::default(),
            false,
        );
        ob.enqueue(built(1), 0).await.unwrap();
        assert!(
            ob.process_due(&t, &RecordingSentChecker(t.clone()), 0)
                .await
                .is_err()
        );
    }
    let ob = Outbox::new(
        StoreOutboxStore::new(p.open()),
        RetryPolicy::default(),
        false,
    );
    assert_eq!(
        ob.list().await.unwrap()[0].state,
        OutboxState::Sending { attempt: 1 }
    );
    let out = ob
        .process_due(&t, &RecordingSentChecker(t.clone()), 1)
        .await
        .unwrap();
    assert!(
        matches!(out.as_slice(), [Outcome::AlreadySent { .. }]),
        "{out:?}"
    );
    assert_eq!(t.delivered().len(), 1);
}

#[tokio::test]
async fn the_sent_log_tracks_receipts() {
    let p = Profile::new();
    let log = SentLog::new(p.open());
    let m = SentMessage {
        message_id: "1.store@example.test".into(),
        recipients: vec!["bob@example.test".into()],
        subject: Some("CR".into()),
        sent_at: 5,
        receipt_requested: true,
        status: TrackedStatus::Sent,
        updated_at: 5,
    };
    log.record(m.clone()).await.unwrap();
    log.record(m).await.unwrap();
    assert_eq!(log.list().await.unwrap().len(), 1);
    let report = |disposition: &str| ReportFields {
        original_message_id: Some("<1.store@example.test>".into()),
        kind: ReportKind::Mdn {
            disposition: disposition.into(),
        },
    };
    let matched = log
        .apply(
            vec![
                report("manual-action/MDN-sent-manually; displayed"),
                report("automatic-action/MDN-sent-automatically; processed"),
            ],
            9,
        )
        .await
        .unwrap();
    assert_eq!(matched.len(), 2);
    drop(log);
    let again = SentLog::new(p.open()).list().await.unwrap();
    assert_eq!(
        again[0].status,
        TrackedStatus::Read,
        "read is not downgraded"
    );
    assert_eq!(again[0].updated_at, 9);
}
