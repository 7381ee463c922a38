//! The outbox against the real Postfix → Dovecot path: a message survives an
//! unreachable server, and a crash at every step of the state machine still
//! ends with exactly one copy in bob's INBOX (counted by Message-ID over IMAP).

mod common;
mod smtp_support;

use cachet::mail::outbox::testing::{CrashSwitch, CrashingStore, CrashingTransport};
use cachet::mail::outbox::{
    MemoryOutboxStore, Outbox, OutboxRecord, OutboxState, OutboxStore, Outcome, RetryPolicy,
    SmtpTransport,
};
use cachet::mail::smtp::Security;
use smtp_support::*;

fn transport(stack: &common::Stack) -> SmtpTransport {
    SmtpTransport {
        settings: settings(stack, "ALICE_USER", Security::StartTls),
        tls: tls_config(stack),
    }
}

#[tokio::test]
async fn unreachable_server_keeps_the_message_queued_then_one_copy_is_delivered() {
    let Some(stack) = common::stack("smtp_outbox::down_then_up") else {
        return;
    };
    let checker = InboxSentChecker {
        stack: stack.clone(),
        user: "BOB_USER",
    };
    let ob = Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false);
    let id = ob
        .enqueue(
            draft(&stack, "serveur injoignable").build(now()).unwrap(),
            0,
        )
        .await
        .unwrap();

    let mut down = transport(&stack);
    down.settings.host = "127.0.0.1".into();
    down.settings.port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = ob.process_due(&down, &checker, 0).await.unwrap();
    let [
        Outcome::Deferred {
            next_attempt_at, ..
        },
    ] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(*next_attempt_at, RetryPolicy::default().base_delay_secs);
    let r = ob.store().get(&id).await.unwrap().unwrap();
    assert_eq!(
        (r.state, r.attempts, r.outcome_unknown),
        (OutboxState::Queued, 1, false)
    );

    let out = ob
        .process_due(&transport(&stack), &checker, *next_attempt_at)
        .await
        .unwrap();
    match out.as_slice() {
        [
            Outcome::Sent {
                message_id,
                server_reply,
            },
        ] => {
            assert_eq!(message_id, &id);
            assert!(
                server_reply.contains("queued as"),
                "Postfix's queue id is kept for the audit: {server_reply}"
            );
        }
        other => panic!("{other:?}"),
    }
    settle(&stack).await;
    assert_eq!(messages_with_id(&stack, "BOB_USER", &id).await.len(), 1);
}

/// One message, a crash at `step` (store writes and the send count as
/// steps), then two restarts from the committed records.
#[allow(clippy::unwrap_used)] // test helper: a failure is a test failure
async fn crash_and_restart(
    stack: &common::Stack,
    step: usize,
    deliver_then_crash: bool,
) -> (String, bool) {
    let checker = InboxSentChecker {
        stack: stack.clone(),
        user: "BOB_USER",
    };
    let committed = MemoryOutboxStore::new();
    let subject = format!("crash at {step} deliver_then_crash={deliver_then_crash}");
    let built = draft(stack, &subject).build(now()).unwrap();
    let id = built.message_id.clone();
    let switch = CrashSwitch::at_step(step);
    let enqueued = {
        let ob = Outbox::new(
            CrashingStore {
                inner: committed.clone(),
                switch: switch.clone(),
            },
            RetryPolicy::default(),
            false,
        );
        let t = CrashingTransport {
            inner: transport(stack),
            switch,
            deliver_then_crash,
        };
        let ok = ob.enqueue(built, 0).await.is_ok();
        if ok {
            let _ = ob.process_due(&t, &checker, 0).await;
        }
        ok
    };
    let mut records = committed.records().unwrap();
    for _ in 0..2 {
        let json = serde_json::to_vec(&records).unwrap();
        let restored: Vec<OutboxRecord> = serde_json::from_slice(&json).unwrap();
        let ob = Outbox::new(
            MemoryOutboxStore::from_records(restored),
            RetryPolicy::default(),
            false,
        );
        ob.process_due(&transport(stack), &checker, 1_000_000)
            .await
            .unwrap();
        records = ob.list().await.unwrap();
    }
    if enqueued {
        assert!(
            matches!(records[0].state, OutboxState::Sent | OutboxState::Done),
            "{records:?}"
        );
    }
    (id, enqueued)
}

#[tokio::test]
async fn a_crash_at_every_step_still_delivers_exactly_one_copy() {
    let Some(stack) = common::stack("smtp_outbox::crash") else {
        return;
    };
    // Steps: put Queued, commit Sending, SMTP send, commit Sent; 5 = no crash.
    let mut cases = Vec::new();
    for step in 1..=5 {
        for deliver_then_crash in [false, true] {
            cases.push((
                step,
                deliver_then_crash,
                crash_and_restart(&stack, step, deliver_then_crash).await,
            ));
        }
    }
    settle(&stack).await;
    for (step, deliver_then_crash, (id, enqueued)) in cases {
        let copies = messages_with_id(&stack, "BOB_USER", &id).await.len();
        let want = usize::from(enqueued);
        assert_eq!(
            copies, want,
            "crash at step {step}, deliver_then_crash={deliver_then_crash}"
        );
        assert!(
            enqueued || step == 1,
            "only a crash while queueing may lose the message (and says so)"
        );
    }
}
