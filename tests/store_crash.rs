//! Crash safety: a child process writing batches in a loop is killed with
//! SIGKILL at random moments, 20 times. After each kill the profile opens,
//! `verify` finds no problem, the audit chain verifies, and every batch the
//! child acknowledged (printed after a durable commit) is present.
//!
//! Re-exec pattern: the test runs this same test binary with `--exact
//! child_writer --ignored`, and `CACHET_CRASH_CHILD` enables the child.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cachet::audit::{self, Action, AuditEvent, Outcome, Target};
use cachet::store::{CreateOptions, Durability, FolderRef, Profiles, SoftwareUnwrapper};

const HOLDER: &str = "810100000017";
const ENV_CHILD: &str = "CACHET_CRASH_CHILD";
const ROUNDS: usize = 20;
const INBOX: FolderRef<'static> = FolderRef {
    account: "alice@example.test",
    folder: "INBOX",
};

fn card(root: &Path) -> SoftwareUnwrapper {
    let der = std::fs::read(root.join("test-card.der")).unwrap();
    SoftwareUnwrapper::from_pkcs8_der(HOLDER, &der).unwrap()
}

fn envelope(seq: u64) -> serde_json::Value {
    serde_json::json!({ "seq": seq, "subject": format!("message {seq}"), "pad": "x".repeat(50) })
}

/// The child: append batches forever, printing `ACK n` after each durable one.
#[test]
#[ignore = "run only as the crash test's child process"]
fn child_writer() {
    let Ok(root) = std::env::var(ENV_CHILD) else {
        return;
    };
    let root = Path::new(&root);
    let profiles = Profiles::new(root.join("profiles"));
    let store = profiles.open(&card(root)).unwrap();
    let mut seq = store.setting::<u64>("last").unwrap().unwrap_or(0);
    let stdout = std::io::stdout();
    loop {
        seq += 1;
        let uid = u32::try_from(seq).unwrap();
        let mut b = store.batch().unwrap();
        b.put_envelope(
            INBOX,
            uid,
            Some(&format!("<{seq}@crash.test>")),
            &envelope(seq),
        )
        .unwrap();
        b.put_body(INBOX, uid, &vec![b'b'; 100 + (seq as usize % 7) * 50])
            .unwrap();
        b.put_setting("last", &seq).unwrap();
        b.commit(Durability::Flush).unwrap();
        audit::append(
            &store,
            &AuditEvent {
                action: Action::Sync,
                target: Some(Target::Mailbox {
                    address: "alice@example.test".into(),
                }),
                request: format!("UID FETCH {seq}"),
                response: Some("OK".into()),
                outcome: Outcome::Success,
            },
        )
        .unwrap();
        let mut out = stdout.lock();
        writeln!(out, "ACK {seq}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn killed_writer_leaves_a_verifiable_store_with_every_acknowledged_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let c = SoftwareUnwrapper::generate(HOLDER).unwrap();
    std::fs::write(
        root.join("test-card.der"),
        c.to_pkcs8_der().unwrap().as_slice(),
    )
    .unwrap();
    let profiles = Profiles::new(root.join("profiles"));
    drop(profiles.create(&c, CreateOptions::default()).unwrap());

    let exe = std::env::current_exe().unwrap();
    let mut acked_total: u64 = 0;
    let mut all_acked: Vec<u64> = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_CHILD, root)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let last_ack = Arc::new(Mutex::new(Vec::<u64>::new()));
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = {
            let last_ack = last_ack.clone();
            let stdout = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(n) = line.strip_prefix("ACK ") {
                        last_ack.lock().unwrap().push(n.trim().parse().unwrap());
                        let _ = first_tx.send(());
                    }
                }
            })
        };
        // Even rounds: kill at a random moment from spawn (may hit start-up
        // or recovery). Odd rounds: kill at a random moment while writing.
        if round % 2 == 1 {
            let _ = first_rx.recv_timeout(Duration::from_secs(60));
        }
        std::thread::sleep(Duration::from_millis(fastrand::u64(5..300)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        let round_acks = std::mem::take(&mut *last_ack.lock().unwrap());
        let acked = round_acks.last().copied();
        all_acked.extend(&round_acks);
        // This round's batches each time; every batch so far at the end.
        let to_check = if round + 1 == ROUNDS {
            all_acked.clone()
        } else {
            round_acks
        };

        let store = profiles.open(&c).unwrap();
        let report = store.verify().unwrap();
        assert!(report.is_ok(), "round {round}: {report:?}");
        let trail = audit::verify(&store).unwrap();
        assert!(trail.is_ok(), "round {round}: {trail:?}");
        if let Some(n) = acked {
            let last: u64 = store.setting("last").unwrap().unwrap();
            assert!(
                last >= n,
                "round {round}: acknowledged {n}, store holds {last}"
            );
            for &seq in &to_check {
                let uid = u32::try_from(seq).unwrap();
                let env: serde_json::Value = store
                    .envelope(INBOX, uid)
                    .unwrap()
                    .unwrap_or_else(|| panic!("round {round}: batch {seq} lost"));
                assert_eq!(env["seq"], seq);
                assert!(store.body(INBOX, uid).unwrap().is_some());
                assert_eq!(
                    store
                        .uid_for_message_id(INBOX, &format!("<{seq}@crash.test>"))
                        .unwrap(),
                    Some(uid)
                );
            }
            // Every acknowledged batch has its audit entry (a batch killed
            // between its commit and its audit append was never acknowledged).
            let page = audit::query(
                &store,
                &audit::AuditQuery {
                    limit: usize::MAX,
                    ..Default::default()
                },
            )
            .unwrap();
            let audited: std::collections::HashSet<&str> =
                page.entries.iter().map(|e| e.request.as_str()).collect();
            for seq in &to_check {
                assert!(
                    audited.contains(format!("UID FETCH {seq}").as_str()),
                    "round {round}: no audit entry for {seq}"
                );
            }
            acked_total = n;
        }
    }
    assert!(acked_total > 0, "the child never acknowledged a batch");
    eprintln!("crash test: {ROUNDS} kills, {acked_total} batches acknowledged in total");
}
