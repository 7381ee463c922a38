//! The audit trail in a real profile: hashed targets, queries, tampering of
//! each kind detected, export round trip, retention that keeps the chain
//! verifiable.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use cachet::audit::{
    self, Action, AuditEvent, AuditQuery, ChainFault, ExportFormat, ExportRecord, Outcome,
    Retention, Target,
};
use cachet::store::{CreateOptions, Profiles, SoftwareUnwrapper, Store, Tree};
use time::{Duration, OffsetDateTime};

const HOLDER: &str = "810100000017";

struct Fixture {
    _dir: tempfile::TempDir,
    profiles: Profiles,
    card: SoftwareUnwrapper,
}

fn fixture() -> (Fixture, Store) {
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let card = SoftwareUnwrapper::generate(HOLDER).unwrap();
    let (store, _) = profiles.create(&card, CreateOptions::default()).unwrap();
    (
        Fixture {
            _dir: dir,
            profiles,
            card,
        },
        store,
    )
}

fn event(i: u32) -> AuditEvent {
    let (action, outcome) = match i % 4 {
        0 => (Action::Send, Outcome::Success),
        1 => (Action::Read, Outcome::Success),
        2 => (Action::Delete, Outcome::Failure),
        _ => (Action::RecordOpen, Outcome::Denied),
    };
    AuditEvent {
        action,
        target: Some(Target::Patient {
            ins: format!("1 84 12 75 123 456 {i:02}"),
        }),
        request: format!("REQ {i}"),
        response: Some(
            if outcome == Outcome::Success {
                "OK"
            } else {
                "NO"
            }
            .into(),
        ),
        outcome,
    }
}

/// Appends `n` events one hour apart, ending now.
fn fill(store: &Store, n: u32) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        audit::append_at(store, &event(i), now - Duration::hours(i64::from(n - i))).unwrap();
    }
    now
}

/// Raw access to the closed profile's sled database (tampering).
fn raw(fx: &Fixture) -> sled::Db {
    sled::open(fx.profiles.profile_dir(HOLDER).unwrap().join("db")).unwrap()
}

fn audit_key(seq: u64) -> Vec<u8> {
    let mut k = vec![Tree::Audit as u8];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

#[test]
fn entries_are_chained_hashed_and_queryable() {
    let (_fx, store) = fixture();
    let now = fill(&store, 20);
    let report = audit::verify(&store).unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, 20);

    let all = audit::query(
        &store,
        &AuditQuery {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.entries.len(), 20);
    assert_eq!(all.entries[0].seq, 20, "newest first");
    let e = &all.entries[0];
    assert_eq!(e.holder, HOLDER);
    let target = e.target.as_deref().unwrap();
    assert!(target.starts_with("patient:"));
    assert!(!target.contains("1 84 12"), "INS must be hashed: {target}");

    // Paging: three pages of 8, 8, 4.
    let p1 = audit::query(
        &store,
        &AuditQuery {
            limit: 8,
            ..Default::default()
        },
    )
    .unwrap();
    let p2 = audit::query(
        &store,
        &AuditQuery {
            limit: 8,
            before_seq: p1.next_before_seq,
            ..Default::default()
        },
    )
    .unwrap();
    let p3 = audit::query(
        &store,
        &AuditQuery {
            limit: 8,
            before_seq: p2.next_before_seq,
            ..Default::default()
        },
    )
    .unwrap();
    let seqs: Vec<u64> = [p1.entries, p2.entries, p3.entries]
        .concat()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=20).rev().collect::<Vec<_>>());

    // Filters: target (by its hash), action, outcome, date range.
    let about = audit::query(
        &store,
        &AuditQuery {
            target: Some(Target::Patient {
                ins: "1 84 12 75 123 456 07".into(),
            }),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        about.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![8]
    );
    let sends = audit::query(
        &store,
        &AuditQuery {
            actions: vec![Action::Send],
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(sends.entries.len(), 5);
    assert!(sends.entries.iter().all(|e| e.action == Action::Send));
    let denied = audit::query(
        &store,
        &AuditQuery {
            outcome: Some(Outcome::Denied),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(denied.entries.len(), 5);
    let window = audit::query(
        &store,
        &AuditQuery {
            since: Some(now - Duration::minutes(5 * 60 + 30)),
            until: Some(now - Duration::minutes(90)),
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    // Entry seq s is at now-(21-s) h: seqs 16..=19 are at -5h..-2h.
    assert_eq!(
        window.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![19, 18, 17, 16]
    );
}

#[test]
fn a_changed_entry_is_detected() {
    let (fx, store) = fixture();
    fill(&store, 6);
    drop(store);
    {
        let db = raw(&fx);
        let mut v = db.get(audit_key(3)).unwrap().unwrap().to_vec();
        let last = v.len() - 20;
        v[last] ^= 1;
        db.insert(audit_key(3), v).unwrap();
        db.flush().unwrap();
    }
    let store = fx.profiles.open(&fx.card).unwrap();
    let r = audit::verify(&store).unwrap();
    let fault = r.fault.unwrap();
    assert_eq!((fault.seq, fault.fault), (3, ChainFault::Unreadable));
}

#[test]
fn a_removed_entry_is_detected() {
    let (fx, store) = fixture();
    fill(&store, 6);
    drop(store);
    raw(&fx).remove(audit_key(4)).unwrap();
    let store = fx.profiles.open(&fx.card).unwrap();
    let fault = audit::verify(&store).unwrap().fault.unwrap();
    assert_eq!((fault.seq, fault.fault), (5, ChainFault::Missing));
}

#[test]
fn a_removed_last_entry_is_detected() {
    let (fx, store) = fixture();
    fill(&store, 6);
    drop(store);
    raw(&fx).remove(audit_key(6)).unwrap();
    let store = fx.profiles.open(&fx.card).unwrap();
    let fault = audit::verify(&store).unwrap().fault.unwrap();
    assert_eq!((fault.seq, fault.fault), (6, ChainFault::Truncated));
}

#[test]
fn reordered_entries_are_detected() {
    let (fx, store) = fixture();
    fill(&store, 6);
    drop(store);
    {
        let db = raw(&fx);
        let a = db.get(audit_key(2)).unwrap().unwrap();
        let b = db.get(audit_key(3)).unwrap().unwrap();
        db.insert(audit_key(2), b).unwrap();
        db.insert(audit_key(3), a).unwrap();
        db.flush().unwrap();
    }
    let store = fx.profiles.open(&fx.card).unwrap();
    let fault = audit::verify(&store).unwrap().fault.unwrap();
    // The sealed values are bound to their keys: a swap cannot authenticate.
    assert_eq!((fault.seq, fault.fault), (2, ChainFault::Unreadable));
}

#[test]
fn export_round_trips_as_jsonl_and_csv() {
    let (_fx, store) = fixture();
    let now = fill(&store, 10);
    let mut out = Vec::new();
    let n = audit::export(&store, None, ExportFormat::Jsonl, &mut out).unwrap();
    assert_eq!(n, 10);
    let records: Vec<ExportRecord> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 10);
    let stored = audit::query(
        &store,
        &AuditQuery {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    for (r, e) in records.iter().zip(stored.entries.iter().rev()) {
        assert_eq!(r.seq, e.seq);
        assert_eq!(r.request, e.request);
        assert_eq!(r.action, e.action.as_str());
        assert_eq!(r.outcome, e.outcome.as_str());
        assert_eq!(r.target, e.target);
        let t =
            OffsetDateTime::parse(&r.time, &time::format_description::well_known::Rfc3339).unwrap();
        assert_eq!((t.unix_timestamp_nanos() / 1_000_000) as i64, e.at_ms);
    }
    // The exported hashes still chain.
    for w in records.windows(2) {
        assert_eq!(w[1].prev, w[0].hash);
    }

    let mut since_out = Vec::new();
    let n = audit::export(
        &store,
        Some(now - Duration::minutes(150)),
        ExportFormat::Jsonl,
        &mut since_out,
    )
    .unwrap();
    assert_eq!(n, 2);

    let mut csv = Vec::new();
    audit::export(&store, None, ExportFormat::Csv, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 11);
    assert!(lines[0].starts_with("seq,time,holder,action"));
    assert!(lines[1].starts_with("1,"));
    assert_eq!(lines[1].split(',').count(), 10);
}

#[test]
fn retention_prunes_old_entries_and_the_rest_still_verifies() {
    let (fx, store) = fixture();
    let now = OffsetDateTime::now_utc();
    for (i, days_ago) in [400i64, 300, 200, 190, 100, 10, 1].iter().enumerate() {
        audit::append_at(&store, &event(i as u32), now - Duration::days(*days_ago)).unwrap();
    }
    let removed = audit::apply_retention(&store, Retention::default(), now).unwrap();
    assert_eq!(removed, 4);
    let r = audit::verify(&store).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.pruned_upto, 4);
    assert_eq!(r.entries, 4, "3 kept + the prune record");
    let newest = audit::query(
        &store,
        &AuditQuery {
            limit: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(newest.entries[0].action, Action::Prune);
    assert!(newest.entries[0].request.contains("prune up to 4"));

    // Appending after a prune keeps chaining; a second prune is a no-op.
    audit::append(&store, &event(99)).unwrap();
    assert_eq!(
        audit::apply_retention(&store, Retention::default(), now).unwrap(),
        0
    );
    assert!(audit::verify(&store).unwrap().is_ok());

    // Removing the first kept entry (just after the anchor) is still caught.
    drop(store);
    raw(&fx).remove(audit_key(5)).unwrap();
    let store = fx.profiles.open(&fx.card).unwrap();
    let fault = audit::verify(&store).unwrap().fault.unwrap();
    assert_eq!(fault.fault, ChainFault::Missing);
}
