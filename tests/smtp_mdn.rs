//! Read receipt round trip between alice and bob through the real stack:
//! alice asks for a receipt, bob's side decides it may answer (same
//! Return-Path), builds the MDN and submits it with a null reverse path,
//! alice's side finds the report and matches it to her sent message as Read.

mod common;
mod smtp_support;

use cachet::mail::compose::Mailbox;
use cachet::mail::mdn::{
    Mdn, ReceiptDecision, ReceiptRequest, ReportFields, ReportKind, SendingMode, TrackedStatus,
    build_mdn, decide, match_report,
};
use cachet::mail::smtp::{Security, submit};
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};
use smtp_support::*;

fn addresses(v: &HeaderValue<'_>) -> Vec<String> {
    v.as_address()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `Name <a@b>, c@d` → the addr-specs (mail-parser keeps this header raw).
fn raw_addresses(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|item| match (item.find('<'), item.rfind('>')) {
            (Some(a), Some(b)) if a < b => item[a + 1..b].trim().to_string(),
            _ => item.trim().to_string(),
        })
        .filter(|a| !a.is_empty())
        .collect()
}

fn return_path(msg: &Message<'_>) -> Option<String> {
    match msg.return_path() {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => l.first().map(|t| t.to_string()),
        other => addresses(other).into_iter().next(),
    }
}

/// What the MIME parser will hand over: the fields of the
/// `message/disposition-notification` part.
#[allow(clippy::unwrap_used, clippy::expect_used)] // test helper
fn report_fields(raw: &[u8]) -> ReportFields {
    let msg = MessageParser::default().parse(raw).unwrap();
    let part = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|c| {
                c.ctype() == "message" && c.subtype() == Some("disposition-notification")
            })
        })
        .expect("a disposition-notification part");
    let body = String::from_utf8_lossy(
        &raw[part.raw_body_offset() as usize..part.raw_end_offset() as usize],
    )
    .to_string();
    let field = |name: &str| {
        body.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    ReportFields {
        original_message_id: field("Original-Message-ID"),
        kind: ReportKind::Mdn {
            disposition: field("Disposition").expect("Disposition field"),
        },
    }
}

#[tokio::test]
async fn alice_asks_bob_answers_alice_sees_read() {
    let Some(stack) = common::stack("smtp_mdn::round_trip") else {
        return;
    };
    let tls = tls_config(&stack);

    // Alice asks for a receipt.
    let mut d = draft(&stack, "Résultats d'analyse");
    d.request_receipt = true;
    let sent = d.build(now()).unwrap();
    submit(
        &settings(&stack, "ALICE_USER", Security::StartTls),
        tls.clone(),
        &sent.envelope,
        &sent.bytes,
    )
    .await
    .unwrap();

    // Bob's side reads it and decides.
    let received = wait_delivered(&stack, "BOB_USER", &sent.message_id)
        .await
        .remove(0);
    let msg = MessageParser::default().parse(&received).unwrap();
    let req = ReceiptRequest {
        disposition_notification_to: raw_addresses(
            msg.header_raw("Disposition-Notification-To").unwrap(),
        ),
        return_path: return_path(&msg),
        is_report: msg
            .content_type()
            .is_some_and(|c| c.ctype() == "multipart" && c.subtype() == Some("report")),
        already_answered: false,
    };
    assert_eq!(
        req.return_path.as_deref(),
        Some("alice@example.test"),
        "Dovecot stamps the envelope sender"
    );
    let ReceiptDecision::Automatic { to } = decide(&req) else {
        panic!("expected an automatic receipt: {req:?}")
    };
    assert_eq!(to, stack.get("ALICE_USER"));

    let mdn = build_mdn(
        &Mdn {
            reporter: Mailbox::parse(&stack.get("BOB_USER")).unwrap(),
            to,
            original_message_id: msg.message_id().unwrap().to_string(),
            original_subject: msg.subject().unwrap_or_default().to_string(),
            original_recipient: Some(stack.get("BOB_USER")),
            reporting_ua: "Cachet 0.1.0".into(),
            mode: SendingMode::Manually,
            original_headers: None,
        },
        now(),
    )
    .unwrap();
    submit(
        &settings(&stack, "BOB_USER", Security::StartTls),
        tls,
        &mdn.envelope,
        &mdn.bytes,
    )
    .await
    .unwrap();

    // Alice's side receives the report and matches it.
    let report = wait_delivered(&stack, "ALICE_USER", &mdn.message_id)
        .await
        .remove(0);
    let report_msg = MessageParser::default().parse(&report).unwrap();
    assert_eq!(
        return_path(&report_msg).as_deref().unwrap_or(""),
        "",
        "an MDN travels with the null reverse path"
    );
    let fields = report_fields(&report);
    let other_sent = "other@example.test".to_string();
    assert_eq!(
        match_report([other_sent.as_str(), sent.message_id.as_str()], &fields),
        Some((sent.message_id.clone(), TrackedStatus::Read))
    );
    // And a receipt is never answered with another receipt.
    let loop_req = ReceiptRequest {
        is_report: true,
        ..req
    };
    assert_eq!(decide(&loop_req), ReceiptDecision::NotRequested);
}
