//! Nothing stored leaks to disk in clear: a unique canary written through
//! every kind of value (message, body, directory query, records, settings,
//! audit target) must not appear in any file of the profiles root, in UTF-8,
//! UTF-16LE/BE or base64 at any alignment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cachet::audit::{self, Action, AuditEvent, Outcome, Target};
use cachet::store::{CreateOptions, Durability, FolderRef, Profiles, SoftwareUnwrapper};

/// Every byte pattern under which the canary could be written.
fn needles(canary: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("utf-8".to_string(), canary.as_bytes().to_vec()),
        (
            "utf-8 upper".to_string(),
            canary.to_uppercase().into_bytes(),
        ),
        (
            "utf-16le".to_string(),
            canary
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect(),
        ),
        (
            "utf-16be".to_string(),
            canary
                .encode_utf16()
                .flat_map(|u| u.to_be_bytes())
                .collect(),
        ),
    ];
    // base64 of the canary preceded by 0, 1 or 2 bytes: keep the part that
    // does not depend on the neighbouring bytes.
    for shift in 0..3 {
        let mut buf = vec![b'x'; shift];
        buf.extend_from_slice(canary.as_bytes());
        let enc = B64.encode(&buf);
        let start = shift.div_ceil(3) * 4;
        let stable_len = ((shift + canary.len()) / 3) * 4;
        out.push((
            format!("base64+{shift}"),
            enc.as_bytes()[start..stable_len].to_vec(),
        ));
    }
    out
}

fn scan(dir: &Path, needles: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&p).unwrap();
            for (name, n) in needles {
                if bytes.windows(n.len()).any(|w| w == n.as_slice()) {
                    hits.push(format!("{} ({name})", p.display()));
                }
            }
            let name = p.to_string_lossy();
            for (enc, n) in needles {
                if name.as_bytes().windows(n.len()).any(|w| w == n.as_slice()) {
                    hits.push(format!("file name {name} ({enc})"));
                }
            }
        }
    }
    assert!(files > 0, "nothing to scan in {}", dir.display());
    hits
}

#[test]
fn the_scanner_finds_a_planted_canary_in_every_encoding() {
    let canary = format!("CANARY-{:016x}", fastrand::u64(..));
    for (name, n) in needles(&canary) {
        let dir = tempfile::tempdir().unwrap();
        let mut content = b"prefix ".to_vec();
        content.extend_from_slice(&n);
        content.extend_from_slice(b" suffix");
        std::fs::write(dir.path().join("f"), content).unwrap();
        assert!(
            !scan(dir.path(), &needles(&canary)).is_empty(),
            "{name} not found"
        );
    }
    // And a base64 encoding in the middle of a larger base64 text.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), B64.encode(format!("ab{canary}cd"))).unwrap();
    assert!(!scan(dir.path(), &needles(&canary)).is_empty());
}

#[test]
fn no_canary_on_disk_after_closing_the_profile() {
    let canary = format!("CANARY-{:016x}", fastrand::u64(..));
    let dir = tempfile::tempdir().unwrap();
    let profiles = Profiles::new(dir.path());
    let card = SoftwareUnwrapper::generate("810100000017").unwrap();
    let (store, _) = profiles
        .create(
            &card,
            CreateOptions {
                with_recovery_code: true,
            },
        )
        .unwrap();

    let folder_name = format!("Patients/{canary}");
    let folder = FolderRef {
        account: "alice@example.test",
        folder: &folder_name,
    };
    let mid = format!("<{canary}@example.test>");
    let mut b = store.batch().unwrap();
    b.put_envelope(
        folder,
        1,
        Some(&mid),
        &serde_json::json!({ "subject": format!("Re: {canary}") }),
    )
    .unwrap();
    b.put_body(
        folder,
        1,
        format!("Subject: {canary}\r\n\r\nBonjour {canary}\r\n").as_bytes(),
    )
    .unwrap();
    b.commit(Durability::Flush).unwrap();
    store
        .push_directory_search(&serde_json::json!({ "name": canary, "city": "Lyon" }))
        .unwrap();
    store.put_record(&canary, &canary, &canary).unwrap();
    store.put_setting(&canary, &canary).unwrap();
    store.save_draft(None, &canary).unwrap();
    store.outbox_push(canary.as_bytes()).unwrap();
    audit::append(
        &store,
        &AuditEvent {
            action: Action::DirectoryQuery,
            target: Some(Target::Query {
                text: canary.clone(),
            }),
            request: "GET /fhir/Practitioner?name=<hashed>".into(),
            response: Some("200".into()),
            outcome: Outcome::Success,
        },
    )
    .unwrap();
    // The data really is there (so the scan below is meaningful).
    assert_eq!(
        store
            .recent_directory_searches::<serde_json::Value>(1)
            .unwrap()[0]["name"],
        canary
    );
    drop(store);

    let hits = scan(dir.path(), &needles(&canary));
    assert!(hits.is_empty(), "canary found on disk: {hits:#?}");
}
