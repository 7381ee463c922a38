#![allow(clippy::expect_used, clippy::unwrap_used)]
//! `cachet send`, `outbox`, `receipts` and `mdn` against the real Postfix →
//! Dovecot stack, each run as `main` runs it (encrypted profile opened by a
//! software card, settings of alice's or bob's account), delivered mail read
//! back over IMAP by Message-ID. Other helpers use the same mailboxes at the
//! same time: every check goes by this test's own Message-IDs.
//!
//! The crash test re-runs this test binary as a child (`child_process`)
//! that kills itself with SIGKILL at a named point (`CACHET_TEST_FAULT`).

mod common;
mod smtp_support;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;

use cachet::mail::outbox::OutboxState;
use cachet::mail::xdm::XdmPackage;
use mail_parser::{MessageParser, MimeHeaders};
use smtp_support::cli::{Profile, closed_port, message_id_in};
use smtp_support::*;

const CHILD_DIR: &str = "CACHET_TEST_CHILD_DIR";
const CHILD_ARGS: &str = "CACHET_TEST_CHILD_ARGS";

fn attachments_of(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let msg = MessageParser::default().parse(raw).unwrap();
    msg.attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                a.contents().to_vec(),
            )
        })
        .collect()
}

/// Counts of `id` in bob's INBOX and alice's Sent, after Postfix's queue drained.
fn copies(stack: &common::Stack, id: &str) -> (usize, usize) {
    block_on(async {
        settle(stack).await;
        (
            messages_in(stack, "BOB_USER", "INBOX", id).await.len(),
            messages_in(stack, "ALICE_USER", "Sent", id).await.len(),
        )
    })
}

#[test]
fn text_and_attachments_arrive_byte_exact_and_a_copy_is_in_sent() {
    let Some(stack) = common::stack("mail_send::round_trip") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    let files = tempfile::tempdir().unwrap();
    let pdf: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let odd = b"line\r\nbare\nlf\rcr\0nul  trailing  \r\n\r\n.\r\n".to_vec();
    std::fs::write(files.path().join("compte-rendu.pdf"), &pdf).unwrap();
    std::fs::write(files.path().join("notes.bin"), &odd).unwrap();
    let subject = format!("Envoi CLI {}", now());
    let body = "Bonjour,\n\nCi-joint le compte rendu. Ça va ?\n";
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            &subject,
            "--attach",
            files.path().join("compte-rendu.pdf").to_str().unwrap(),
            "--attach",
            files.path().join("notes.bin").to_str().unwrap(),
            "--outside-trust-space",
        ],
        body,
    );
    assert_eq!(code, 0, "{out}{err}");
    let id = message_id_in(&out);
    let raw = block_on(wait_delivered(&stack, "BOB_USER", &id));
    assert_eq!(raw.len(), 1);
    let got = attachments_of(&raw[0]);
    assert_eq!(
        got,
        vec![
            ("compte-rendu.pdf".to_string(), pdf),
            ("notes.bin".to_string(), odd)
        ]
    );
    let msg = MessageParser::default().parse(&raw[0]).unwrap();
    assert_eq!(msg.subject(), Some(subject.as_str()));
    assert!(msg.body_text(0).unwrap().contains("Ça va ?"));
    assert_eq!(copies(&stack, &id), (1, 1));
    assert!(
        alice.outbox_records().is_empty(),
        "a filed message leaves the outbox"
    );
    let audit = alice.audit_about(&id);
    let requests: Vec<&str> = audit.iter().map(|e| e.request.as_str()).collect();
    assert!(
        requests[0].starts_with("outbox enqueue (1 recipient(s)"),
        "{requests:?}"
    );
    assert_eq!(requests[1..], ["SMTP submission", "IMAP APPEND Sent"]);
    assert!(
        audit[1]
            .response
            .as_deref()
            .is_some_and(|r| r.contains("queued as")),
        "the server's answer is kept: {:?}",
        audit[1].response
    );
    for e in &audit {
        let text = format!("{e:?}");
        assert!(
            !text.contains(&subject) && !text.contains("Ça va"),
            "content in the audit: {text}"
        );
        assert!(
            !text.contains(&id),
            "the message is named by a keyed hash only"
        );
    }
    let (code, out, _) = alice.run(&["outbox", "--sent", "--json"], "");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["message_id"], id.as_str());
    assert_eq!(v[0]["status"], "Sent");
}

#[test]
fn outside_the_trust_space_is_refused_without_the_flag() {
    let Some(stack) = common::stack("mail_send::trust_space") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    let (code, _, err) = alice.run(
        &["send", "--to", &stack.get("BOB_USER"), "--subject", "x"],
        "x",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("outside the MSSanté trust space") && err.contains(&stack.get("BOB_USER")),
        "{err}"
    );
    assert!(alice.outbox_records().is_empty(), "nothing was queued");
}

/// A minimal CDA with a production-format INS whose key checks (fake patient).
const CDA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="1.2.250.1.999.7" extension="CR-2026-042"/>
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="CR d'examens biologiques"/>
  <title>Compte rendu de biologie</title>
  <effectiveTime value="20260115103000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
    <patient><name><family>Exemple</family><given>Camille</given></name>
    <administrativeGenderCode code="F"/><birthTime value="19790328"/></patient></patientRole></recordTarget>
  <author><time value="20260115"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810100000017"/>
    <assignedPerson><name><family>MARTIN</family><given>Alice</given></name></assignedPerson></assignedAuthor></author>
  <component><structuredBody><component><section><title>Résultats</title><text>Normal.</text></section></component></structuredBody></component>
</ClinicalDocument>"#;

#[test]
fn an_xdm_received_parses_back_to_the_same_metadata() {
    let Some(stack) = common::stack("mail_send::xdm") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    let files = tempfile::tempdir().unwrap();
    let cda_path = files.path().join("cr.xml");
    std::fs::write(&cda_path, CDA).unwrap();
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--xdm",
            cda_path.to_str().unwrap(),
            "--outside-trust-space",
        ],
        "Compte rendu en pièce jointe.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let id = message_id_in(&out);
    let raw = block_on(wait_delivered(&stack, "BOB_USER", &id)).remove(0);
    let msg = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        msg.subject(),
        Some("XDM/1.0/DDM+CR d'examens biologiques EXEMPLE CAMILLE 28/03/1979")
    );
    assert_eq!(
        msg.header_raw("X-MSS-CODECDA").map(str::trim),
        Some("11502-2")
    );
    assert_eq!(msg.header_raw("X-MSS-INS").map(str::trim), Some("O"));
    let (name, zip) = attachments_of(&raw).remove(0);
    assert_eq!(name, "IHE_XDM.ZIP");
    // Same metadata as the sender's own XDM code computes from the CDA.
    let expected = cachet::mail::xdm::cda_entry(
        &cachet::records::cda::parse(CDA.as_bytes()).unwrap(),
        Default::default(),
    )
    .unwrap();
    let xdm = XdmPackage::read(zip.clone()).unwrap();
    let doc = &xdm.documents[0];
    assert_eq!(doc.entry.patient_id, expected.patient_id);
    assert_eq!(doc.entry.unique_id, expected.unique_id);
    assert_eq!(doc.entry.type_code, expected.type_code);
    assert_eq!(doc.entry.title, expected.title);
    assert_eq!(doc.entry.creation_time, expected.creation_time);
    assert_eq!(doc.entry.authors, expected.authors);
    let verified = xdm.document_bytes(doc).unwrap();
    assert!(verified.hash_checked && verified.size_checked);
    assert_eq!(verified.bytes, CDA.as_bytes());
    let set = &xdm.submission_sets[0];
    assert_eq!(set.patient_id, expected.patient_id);
    assert_eq!(
        set.intended_recipients,
        [format!("||^^Internet^{}", stack.get("BOB_USER"))]
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    for name in ["README.TXT", "INDEX.HTM", "IHE_XDM/SUBSET01/METADATA.XML"] {
        let mut s = String::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert!(!s.is_empty(), "{name}");
    }
}

#[test]
fn receipt_round_trip_alice_asks_bob_accepts_alice_sees_read() {
    let Some(stack) = common::stack("mail_send::mdn") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    let bob = Profile::new(&stack, "BOB_USER");
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            &format!("Accusé demandé {}", now()),
            "--receipt",
            "--outside-trust-space",
        ],
        "Merci de confirmer la lecture.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let id = message_id_in(&out);
    block_on(wait_delivered(&stack, "BOB_USER", &id));
    let uid = block_on(inbox_uid(&stack, "BOB_USER", &id)).unwrap();

    // Bob declines first: nothing is sent.
    let (code, out, err) = bob.run(&["mdn", &uid.to_string()], "n\n");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Send a read receipt to"), "{err}");
    assert!(out.contains("No receipt sent"), "{out}");
    // Then accepts.
    let (code, out, err) = bob.run(&["mdn", &uid.to_string()], "o\n");
    assert_eq!(code, 0, "{out}{err}");
    let mdn_id = message_id_in(&out);
    block_on(wait_delivered(&stack, "ALICE_USER", &mdn_id));
    // A second answer is refused ($MDNSent).
    let (code, _, err) = bob.run(&["mdn", &uid.to_string(), "--yes"], "");
    assert_eq!(code, 1, "{err}");

    let (code, out, err) = alice.run(&["receipts", "--json"], "");
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mine = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == id.as_str())
        .unwrap();
    assert_eq!(mine["status"], "Read", "{mine}");
    assert_eq!(mine["receipt_requested"], true);
    let (_, out, _) = alice.run(&["outbox", "--sent"], "");
    assert!(
        out.lines()
            .any(|l| l.starts_with("read") && l.contains(&id)),
        "{out}"
    );
}

#[test]
fn server_down_queues_with_exit_4_then_flush_delivers_exactly_once() {
    let Some(stack) = common::stack("mail_send::down_then_up") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    alice.point_smtp_at(&stack, "ALICE_USER", closed_port());
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            "serveur arrêté",
            "--outside-trust-space",
        ],
        "x\n",
    );
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("stays in the outbox"), "{err}");
    let id = message_id_in(&err);
    let (code, out, _) = alice.run(&["outbox", "--json"], "");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["message_id"], id.as_str());
    assert_eq!(v[0]["state"], "Queued");

    alice.point_smtp_at(&stack, "ALICE_USER", stack.port("SMTP_SUBMISSION_PORT"));
    let (code, out, err) = alice.run(&["outbox", "--flush"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("Sent <{id}>")), "{out}");
    assert_eq!(copies(&stack, &id), (1, 1));
    // Flushing again sends nothing more.
    let (code, _, _) = alice.run(&["outbox", "--flush"], "");
    assert_eq!(code, 0);
    assert_eq!(copies(&stack, &id), (1, 1));
}

#[test]
fn an_oversized_message_is_refused_before_sending() {
    let Some(stack) = common::stack("mail_send::oversized") else {
        return;
    };
    let limit: usize = stack.get("SMTP_SIZE_LIMIT").parse().unwrap();
    let alice = Profile::new(&stack, "ALICE_USER");
    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("imagerie.dcm");
    // Base64 makes it a third larger: well over the limit.
    std::fs::write(&big, vec![7u8; limit]).unwrap();
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            "trop gros",
            "--attach",
            big.to_str().unwrap(),
            "--outside-trust-space",
        ],
        "x\n",
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("Not sent") && err.contains("over the server limit"),
        "{err}"
    );
    let id = message_id_in(&err);
    let records = alice.outbox_records();
    assert!(matches!(
        records[0].state,
        OutboxState::Failed {
            permanent: true,
            ..
        }
    ));
    assert_eq!(copies(&stack, &id), (0, 0));
}

/// Not a test of its own: the child process of the crash test. Without
/// its environment it does nothing.
#[test]
#[ignore = "the crash test's child process; it runs it itself"]
fn child_process() {
    let (Ok(dir), Ok(args)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_ARGS)) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, _) = Profile::from_dir(std::path::Path::new(&dir)).run(&args, "Texte.\n");
    std::process::exit(i32::from(code));
}

#[test]
fn sigkill_at_each_point_then_restart_delivers_exactly_once() {
    let Some(stack) = common::stack("mail_send::sigkill") else {
        return;
    };
    for point in ["after-commit", "after-data", "after-append"] {
        let alice = Profile::new(&stack, "ALICE_USER");
        let subject = format!("coupure {point} {}", now());
        let args = serde_json::to_string(&[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            &subject,
            "--outside-trust-space",
        ])
        .unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process",
                "--include-ignored",
                "--nocapture",
            ])
            .env(CHILD_DIR, &alice.root)
            .env(CHILD_ARGS, &args)
            .env(cachet::mail::outbox::fault::FAULT_ENV, point)
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(9), "{point}: killed by SIGKILL");
        let records = alice.outbox_records();
        assert_eq!(records.len(), 1, "{point}: the message survived the kill");
        let id = records[0].message_id.clone();
        let expected_state = match point {
            "after-commit" => OutboxState::Queued,
            _ => OutboxState::Sent,
        };
        assert_eq!(records[0].state, expected_state, "{point}");

        // Restart: the next command finishes the job.
        let (code, out, err) = alice.run(&["outbox", "--flush"], "");
        assert_eq!(code, 0, "{point}: {out}{err}");
        assert_eq!(copies(&stack, &id), (1, 1), "{point}: exactly one copy");
        assert!(alice.outbox_records().is_empty(), "{point}");
    }
}

/// The stack's Postfix checks recipients at RCPT time, so an unknown one is
/// a permanent refusal during submission (no bounce comes back later; DSN
/// matching is covered by `mail::mdn::from_mime` and the reports corpus).
#[test]
fn an_unknown_recipient_is_refused_at_submission_and_kept_as_failed() {
    let Some(stack) = common::stack("mail_send::unknown_recipient") else {
        return;
    };
    let alice = Profile::new(&stack, "ALICE_USER");
    let domain = stack
        .get("BOB_USER")
        .rsplit_once('@')
        .unwrap()
        .1
        .to_string();
    let nobody = format!("personne-{}@{domain}", now());
    let (code, out, err) = alice.run(
        &[
            "send",
            "--to",
            &nobody,
            "--subject",
            "destinataire inconnu",
            "--outside-trust-space",
        ],
        "x\n",
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("Not sent") && err.contains("5.1.1"), "{err}");
    let records = alice.outbox_records();
    assert!(
        matches!(&records[0].state, OutboxState::Failed { permanent: true, reason } if reason.contains(&nobody)),
        "{:?}",
        records[0].state
    );
    let (code, out, _) = alice.run(&["outbox"], "");
    assert_eq!(code, 0);
    assert!(out.starts_with("failed ("), "{out}");
    // Withdrawn by the user, it leaves the outbox.
    let id = records[0].message_id.clone();
    let (code, out, err) = alice.run(&["outbox", "--cancel", &id], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cancelled"), "{out}");
    assert!(alice.outbox_records().is_empty());
}
