//! The read-receipt prompt: when it appears, what yes and no do, snapshots.

use super::*;
use crate::app::testing::Harness;
use crate::domain::mailbox::{Bytes, MessageId, OpenedMessage};
use crate::ui::screens::reader::document::{ReaderDoc, ReaderOptions, build};

fn message(return_path: Option<&str>) -> ReaderDoc {
    let mut raw = String::new();
    if let Some(rp) = return_path {
        raw.push_str(&format!("Return-Path: {rp}\r\n"));
    }
    raw.push_str(
        "From: Dr Bernard DURAND <bernard.durand@hopital-exemple.mssante.test>\r\n\
         To: alice.martin@cabinet-exemple.mssante.test\r\n\
         Subject: =?utf-8?q?R=C3=A9sultats?=\r\n\
         Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n\
         Message-ID: <m1@hopital-exemple.mssante.test>\r\n\
         Disposition-Notification-To: Dr Bernard DURAND <bernard.durand@hopital-exemple.mssante.test>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n",
    );
    let opened = OpenedMessage {
        id: MessageId(1),
        flags: Default::default(),
        raw: Bytes::new(raw.into_bytes()),
    };
    build("INBOX", &opened, ReaderOptions::default()).expect("parses")
}

fn open(h: &mut Harness, m: ReaderDoc) {
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
