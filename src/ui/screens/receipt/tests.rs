//! The read-receipt prompt: when it appears, what yes and no do, snapshots.

use super::*;
use crate::app::testing::Harness;
use crate::domain::mailbox::OpenedMessage;
use crate::domain::text::RichText;

fn message(return_path: Option<&str>) -> OpenedMessage {
    let mut headers = vec![
        (
            "Message-ID".to_string(),
            "<m1@hopital-exemple.mssante.test>".to_string(),
        ),
        (
            "Disposition-Notification-To".to_string(),
            "Dr Bernard DURAND <bernard.durand@hopital-exemple.mssante.test>".to_string(),
        ),
    ];
    if let Some(rp) = return_path {
        headers.push(("Return-Path".to_string(), rp.to_string()));
    }
    OpenedMessage {
        id: crate::domain::mailbox::MessageId(1),
        from: "Dr Bernard DURAND <bernard.durand@hopital-exemple.mssante.test>".into(),
        to: "alice.martin@cabinet-exemple.mssante.test".into(),
        cc: String::new(),
        date: crate::app::testing::NOW,
        subject: "Résultats".into(),
        attachments: Vec::new(),
        receipt_requested: true,
        all_headers: headers,
        body: {
            let mut body = RichText::default();
            body.push_line(crate::domain::text::Line::plain("Bonjour"));
            body
        },
    }
}

fn open(h: &mut Harness, m: OpenedMessage) {
    h.keys("enter");
    h.state.reader.message = Some(Box::new(m));
    offer(&mut h.state);
}

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        open(h, message(Some("<other@elsewhere.test>")));
    }) {
        insta::assert_snapshot!(format!("receipt_{variant}"), screen);
    }
}

#[test]
fn a_matching_return_path_still_asks_but_without_warning() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    open(
        &mut h,
        message(Some("<bernard.durand@hopital-exemple.mssante.test>")),
    );
    let prompt = h.state.receipt.prompt.clone().expect("asked");
    assert_eq!(prompt.warning, None);
    assert_eq!(
        prompt.receipt.to,
        "bernard.durand@hopital-exemple.mssante.test"
    );
    assert_eq!(
        prompt.receipt.original_message_id,
        "m1@hopital-exemple.mssante.test"
    );
    open(&mut h, message(Some("<other@elsewhere.test>")));
    assert_eq!(
        h.state
            .receipt
            .prompt
            .as_ref()
            .and_then(|p| p.warning.clone()),
        Some(AskReason::DiffersFromReturnPath)
    );
}

#[test]
fn yes_queues_an_mdn_and_the_question_is_not_asked_again() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    open(&mut h, message(None));
    assert_eq!(
        h.state
            .receipt
            .prompt
            .as_ref()
            .and_then(|p| p.warning.clone()),
        Some(AskReason::NoReturnPath)
    );
    h.keys("o");
    assert!(h.state.receipt.prompt.is_none());
    let records = h.sending.outbox_store.records().expect("records");
    assert_eq!(records.len(), 1);
    let raw = String::from_utf8_lossy(&records[0].bytes);
    assert!(raw.contains("disposition-notification"), "an MDN");
    assert!(raw.contains("m1@hopital-exemple.mssante.test"));
    assert_eq!(
        records[0].envelope.recipients,
        ["bernard.durand@hopital-exemple.mssante.test"]
    );
    offer(&mut h.state);
    assert!(
        h.state.receipt.prompt.is_none(),
        "answered once per message"
    );
}

#[test]
fn no_sends_nothing() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    open(&mut h, message(None));
    h.keys("n");
    assert!(h.state.receipt.prompt.is_none());
    assert!(
        h.sending
            .outbox_store
            .records()
            .expect("records")
            .is_empty()
    );
}
