//! Composing and sending through the real `update`, `view` and mail effects
//! (headless harness): a directory completion, an attachment, a receipt
//! request, the send into the outbox; a lock while composing keeps the draft
//! in the encrypted store and brings it back after the PIN.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

use cachet::app::i18n::Lang;
use cachet::app::keys::KeyPress;
use cachet::app::msg::Msg;
use cachet::app::state::Screen;
use cachet::app::testing::Harness;
use cachet::ui::screens::compose::{StoredDraft, text_of};
use mail_parser::{MessageParser, MimeHeaders};

fn type_text(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.send(Msg::Key(KeyPress::ch(c)));
    }
}

/// A prefix the generated directory completes, and its first answer.
fn some_completion(h: &Harness) -> (String, String) {
    let (index, _) = h.directory.as_ref().expect("a directory");
    for prefix in [
        "mar", "ber", "dur", "lau", "mor", "pet", "ber", "ro", "ma", "le", "da",
    ] {
        if let Ok(found) = index.completions(prefix, 8)
            && let Some(first) = found.into_iter().next()
        {
            return (prefix.to_string(), first.address);
        }
    }
    panic!("the generated directory completes none of the prefixes");
}

#[test]
fn compose_to_a_directory_completion_attach_request_a_receipt_send() {
    let mut h = Harness::demo(Lang::Fr, 100, 30)
        .with_directory(400)
        .with_store();
    let (prefix, address) = some_completion(&h);

    h.keys("m");
    assert_eq!(h.state.screen, Screen::Compose);
    type_text(&mut h, &prefix);
    let completion = h.state.compose.completion.clone().expect("suggestions");
    assert_eq!(completion.items[0].address, address);
    assert!(h.render().contains("Suggestions"));
    h.keys("enter");
    assert!(text_of(&h.state.compose.to).contains(&format!("<{address}>")));

    // Attach a file through the path prompt, with completion.
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..=255u8).chain(*b"\r\n\0 fin\n").collect();
    std::fs::write(dir.path().join("compte-rendu.pdf"), &bytes).unwrap();
    h.keys("ctrl-t");
    type_text(&mut h, &format!("{}/comp", dir.path().display()));
    h.keys("tab");
    let prompt = h.state.compose.path_prompt.as_ref().expect("prompt");
    assert_eq!(
        text_of(&prompt.input),
        format!("{}/compte-rendu.pdf", dir.path().display()),
        "tab completes the path"
    );
    h.keys("enter");
    assert_eq!(h.state.compose.attachments.len(), 1);
    assert!(h.render().contains("compte-rendu.pdf"));

    h.keys("ctrl-r");
    assert!(h.state.compose.receipt);
    h.keys("tab tab tab");
    let subject = format!("Flux TUI {:x}", fastrand::u64(..));
    type_text(&mut h, &subject);
    h.keys("tab tab");
    type_text(&mut h, "Bonjour,");

    h.keys("ctrl-s");
    assert!(
        h.state.compose.dialog.is_none(),
        "a directory domain is inside the trust space: no warning"
    );
    assert_eq!(h.state.screen, Screen::Mailbox, "back where we came from");

    let records = h.sending.outbox_store.records().unwrap();
    assert_eq!(records.len(), 1, "exactly one message in the outbox");
    let record = &records[0];
    assert_eq!(record.envelope.recipients, std::slice::from_ref(&address));
    assert_eq!(
        record.envelope.from,
        "alice.martin@cabinet-exemple.mssante.test"
    );
    let msg = MessageParser::default().parse(&record.bytes).unwrap();
    assert_eq!(msg.subject(), Some(subject.as_str()));
    assert_eq!(msg.message_id(), Some(record.message_id.as_str()));
    assert!(
        msg.header_raw("Disposition-Notification-To")
            .unwrap()
            .contains("alice.martin@cabinet-exemple.mssante.test")
    );
    assert!(msg.to().unwrap().first().unwrap().address().unwrap() == address);
    let att = msg.attachment(0).unwrap();
    assert_eq!(att.attachment_name(), Some("compte-rendu.pdf"));
    assert_eq!(att.contents(), bytes.as_slice(), "byte-exact");
    let text = msg.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(text.contains("\n-- \nDr Alice Martin, médecin généraliste"));

    // The outbox screen shows it waiting (no server in the harness).
    h.keys("g o");
    assert_eq!(h.state.outbox.entries.len(), 1);
    assert!(h.render().contains(&subject[..10]));

    // The address is remembered for the next completion.
    h.keys("m");
    type_text(&mut h, &address[..4]);
    let items = &h
        .state
        .compose
        .completion
        .as_ref()
        .expect("suggestions")
        .items;
    assert!(items.iter().any(|s| s.address == address));

    // The send is in the audit trail (no content).
    let store = h.sending.store().unwrap();
    let entries = store
        .call(|s| {
            cachet::audit::query(
                s,
                &cachet::audit::AuditQuery {
                    actions: vec![cachet::audit::Action::Send],
                    since: None,
                    until: None,
                    outcome: None,
                    target: None,
                    before_seq: None,
                    limit: 10,
                },
            )
        })
        .unwrap()
        .unwrap();
    assert!(!entries.entries.is_empty());
    assert!(
        entries
            .entries
            .iter()
            .all(|e| !e.request.contains(&subject) && !e.request.contains("Bonjour"))
    );
}

#[test]
fn lock_while_composing_keeps_the_draft_encrypted_and_brings_it_back() {
    let mut h = Harness::demo(Lang::En, 80, 24).with_store();
    h.keys("m");
    type_text(&mut h, "bob@example.test");
    h.keys("tab tab tab");
    type_text(&mut h, "Locked draft");
    h.keys("ctrl-l");
    assert_eq!(h.state.screen, Screen::Lock);
    assert!(h.state.compose.is_blank(), "the lock forgets the draft");
    assert!(!h.render().contains("Locked draft"));
    let store = h.sending.store().unwrap();
    assert!(
        store.call(|s| s.drafts::<StoredDraft>()).unwrap().is_err(),
        "the store is locked too"
    );

    type_text(&mut h, cachet::demo::DEMO_PIN);
    h.keys("enter");
    assert_eq!(h.state.screen, Screen::Compose, "back to the composer");
    assert_eq!(text_of(&h.state.compose.subject), "Locked draft");
    assert_eq!(text_of(&h.state.compose.to), "bob@example.test");
    let drafts = store.call(|s| s.drafts::<StoredDraft>()).unwrap().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].1.subject, "Locked draft");
    assert_eq!(h.state.compose.draft_id, Some(drafts[0].0));

    // Sending removes the draft.
    h.keys("ctrl-s");
    h.keys("2"); // example.test is outside the trust space: send anyway
    assert_eq!(h.sending.outbox_store.records().unwrap().len(), 1);
    let drafts = store.call(|s| s.drafts::<StoredDraft>()).unwrap().unwrap();
    assert!(drafts.is_empty(), "removed after send");
}
