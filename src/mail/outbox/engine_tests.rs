//! State machine tests with the in-memory store and recording doubles.

use super::testing::*;
use super::*;
use crate::error::ErrorKind;
use crate::mail::compose::{BuiltMessage, Envelope};

fn built(n: u32) -> BuiltMessage {
    let id = format!("{n}.test@example.test");
    BuiltMessage {
        bytes: format!("Message-ID: <{id}>\r\nSubject: {n}\r\n\r\nbody\r\n").into_bytes(),
        message_id: id,
        envelope: Envelope {
            from: "alice@example.test".into(),
            recipients: vec!["bob@example.test".into()],
        },
    }
}

fn transient(unknown: bool) -> SendFailure {
    SendFailure {
        permanent: false,
        outcome_unknown: unknown,
        kind: ErrorKind::Network,
        reason: "down".into(),
    }
}

const POLICY: RetryPolicy = RetryPolicy {
    base_delay_secs: 30,
    max_delay_secs: 100,
    max_attempts: 4,
};

fn outbox(store: MemoryOutboxStore) -> Outbox<MemoryOutboxStore> {
    Outbox::new(store, POLICY, false)
}

#[tokio::test]
async fn queued_is_committed_before_sending_then_sent_then_done() {
    let ob = outbox(MemoryOutboxStore::new());
    let t = RecordingTransport::default();
    let id = ob.enqueue(built(1), 1000).await.unwrap();
    let r = ob.list().await.unwrap();
    assert_eq!((r.len(), &r[0].state), (1, &OutboxState::Queued));
    assert!(t.delivered().is_empty());

    let out = ob
        .process_due(&t, &RecordingSentChecker(t.clone()), 1000)
        .await
        .unwrap();
    assert!(
        matches!(out.as_slice(), [Outcome::Sent { message_id, server_reply }]
            if *message_id == id && server_reply.starts_with("250")),
        "{out:?}"
    );
    assert_eq!(t.delivered(), std::slice::from_ref(&id));
    assert_eq!(
        ob.store().get(&id).await.unwrap().unwrap().state,
        OutboxState::Sent
    );
    // Nothing left to do on a second pass.
    assert!(
        ob.process_due(&t, &RecordingSentChecker(t.clone()), 2000)
            .await
            .unwrap()
            .is_empty()
    );
    let to_file = ob.awaiting_filing().await.unwrap();
    assert_eq!(to_file.len(), 1);
    assert_eq!(to_file[0].bytes, built(1).bytes);
    ob.mark_filed(&id).await.unwrap();
    assert!(ob.awaiting_filing().await.unwrap().is_empty());
    assert_eq!(
        ob.store().get(&id).await.unwrap().unwrap().state,
        OutboxState::Done
    );
    assert_eq!(ob.purge_finished().await.unwrap(), 1);
    assert!(ob.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn server_filing_goes_straight_to_done() {
    let ob = Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), true);
    let t = RecordingTransport::default();
    let id = ob.enqueue(built(1), 0).await.unwrap();
    ob.process_due(&t, &RecordingSentChecker(t.clone()), 0)
        .await
        .unwrap();
    assert_eq!(
        ob.store().get(&id).await.unwrap().unwrap().state,
        OutboxState::Done
    );
}

#[tokio::test]
async fn transient_failures_back_off_exponentially_then_give_up() {
    let ob = outbox(MemoryOutboxStore::new());
    let t = RecordingTransport::default();
    let c = RecordingSentChecker(t.clone());
    let id = ob.enqueue(built(1), 0).await.unwrap();
    let mut now = 0;
    let mut delays = Vec::new();
    for _ in 0..3 {
        t.fail_next(transient(false));
        let out = ob.process_due(&t, &c, now).await.unwrap();
        let [
            Outcome::Deferred {
                next_attempt_at, ..
            },
        ] = out.as_slice()
        else {
            panic!("{out:?}")
        };
        delays.push(next_attempt_at - now);
        // Not due one second early.
        assert!(
            ob.process_due(&t, &c, next_attempt_at - 1)
                .await
                .unwrap()
                .is_empty()
        );
        now = *next_attempt_at;
    }
    assert_eq!(delays, [30, 60, 100], "doubling, capped at max_delay");
    t.fail_next(transient(false));
    let out = ob.process_due(&t, &c, now).await.unwrap();
    assert!(
        matches!(
            out.as_slice(),
            [Outcome::Failed {
                permanent: false,
                ..
            }]
        ),
        "{out:?}"
    );
    assert!(t.delivered().is_empty());
    // A user retry re-queues it and it goes.
    ob.retry(&id, now).await.unwrap();
    ob.process_due(&t, &c, now).await.unwrap();
    assert_eq!(t.delivered(), [id]);
}

#[tokio::test]
async fn permanent_failure_stops_at_once() {
    let ob = outbox(MemoryOutboxStore::new());
    let t = RecordingTransport::default();
    let c = RecordingSentChecker(t.clone());
    let id = ob.enqueue(built(1), 0).await.unwrap();
    t.fail_next(SendFailure {
        permanent: true,
        outcome_unknown: false,
        kind: ErrorKind::Protocol,
        reason: "550".into(),
    });
    ob.process_due(&t, &c, 0).await.unwrap();
    let r = ob.store().get(&id).await.unwrap().unwrap();
    assert_eq!(
        r.state,
        OutboxState::Failed {
            reason: "550".into(),
            permanent: true
        }
    );
    assert!(ob.process_due(&t, &c, 1_000_000).await.unwrap().is_empty());
    assert!(t.delivered().is_empty());
    ob.cancel(&id).await.unwrap();
    assert!(matches!(
        ob.mark_filed(&id).await,
        Err(Error::BadTransition { .. })
    ));
}

#[tokio::test]
async fn unknown_outcome_is_never_resent_blind() {
    let ob = outbox(MemoryOutboxStore::new());
    let t = RecordingTransport::default();
    let id = ob.enqueue(built(1), 0).await.unwrap();
    // Lost connection during DATA, the server had in fact not accepted it.
    t.fail_next(transient(true));
    ob.process_due(&t, &RecordingSentChecker(t.clone()), 0)
        .await
        .unwrap();
    assert!(ob.store().get(&id).await.unwrap().unwrap().outcome_unknown);
    // The Sent folder cannot be asked: nothing is sent.
    let out = ob
        .process_due(&t, &UnreachableSentChecker, 1000)
        .await
        .unwrap();
    assert!(
        matches!(out.as_slice(), [Outcome::Unverified { .. }]),
        "{out:?}"
    );
    assert!(t.delivered().is_empty());
    // Asked and absent: sent once.
    ob.process_due(&t, &RecordingSentChecker(t.clone()), 1000)
        .await
        .unwrap();
    assert_eq!(t.delivered(), [id]);
}

/// Runs enqueue + one pass with a crash at `step`, then restarts from the
/// serialised records (twice) and returns the deliveries.
async fn crash_then_restart(
    step: Option<usize>,
    deliver_then_crash: bool,
) -> (Vec<String>, usize, bool) {
    let switch = step.map_or_else(CrashSwitch::never, CrashSwitch::at_step);
    let t = RecordingTransport::default();
    let store = MemoryOutboxStore::new();
    let enqueued;
    {
        let ob = Outbox::new(
            CrashingStore {
                inner: store.clone(),
                switch: switch.clone(),
            },
            POLICY,
            false,
        );
        let ct = CrashingTransport {
            inner: t.clone(),
            switch: switch.clone(),
            deliver_then_crash,
        };
        enqueued = ob.enqueue(built(7), 0).await.is_ok();
        if enqueued {
            let _ = ob
                .process_due(&ct, &RecordingSentChecker(t.clone()), 0)
                .await;
        }
        // Everything in memory is dropped here; only committed records survive.
    }
    let mut json = serde_json::to_vec(&store.records().unwrap()).unwrap();
    for _ in 0..2 {
        let records: Vec<OutboxRecord> = serde_json::from_slice(&json).unwrap();
        let ob = outbox(MemoryOutboxStore::from_records(records));
        // Each restart starts from what the previous run committed.
        ob.process_due(&t, &RecordingSentChecker(t.clone()), 1_000_000)
            .await
            .unwrap();
        let final_state = ob.list().await.unwrap();
        json = serde_json::to_vec(&final_state).unwrap();
        if enqueued {
            assert!(
                matches!(final_state[0].state, OutboxState::Sent | OutboxState::Done),
                "{final_state:?}"
            );
        }
    }
    (t.delivered(), switch.steps(), enqueued)
}

#[tokio::test]
async fn a_crash_at_any_step_delivers_exactly_once() {
    let (delivered, steps, _) = crash_then_restart(None, false).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(steps, 4, "put, Sending, send, Sent");
    for step in 1..=steps + 1 {
        for deliver_then_crash in [false, true] {
            let (delivered, _, enqueued) = crash_then_restart(Some(step), deliver_then_crash).await;
            if enqueued {
                assert_eq!(
                    delivered.len(),
                    1,
                    "crash at step {step} (deliver_then_crash={deliver_then_crash})"
                );
            } else {
                // The caller was told the message was not queued.
                assert_eq!(step, 1);
                assert!(delivered.is_empty());
            }
        }
    }
}
