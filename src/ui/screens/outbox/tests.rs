//! The outbox screen: snapshots and its commands.

use super::*;
use crate::app::mail_effects::ComposeMsg;
use crate::app::msg::Msg;
use crate::app::testing::{Harness, NOW};

fn entries() -> Vec<OutboxEntry> {
    vec![
        OutboxEntry {
            message_id: "a1@cabinet-exemple.mssante.test".into(),
            recipients: vec!["bernard.durand@hopital-exemple.mssante.test".into()],
            state: OutboxState::Queued,
            attempts: 2,
            next_attempt_at: NOW + 120,
            last_error: Some("connexion refusée".into()),
            created_at: NOW - 600,
            size: 48_500,
            subject: "Compte rendu de consultation".into(),
        },
        OutboxEntry {
            message_id: "a2@cabinet-exemple.mssante.test".into(),
            recipients: vec!["claire.dupont@cabinet-exemple.mssante.test".into()],
            state: OutboxState::Failed {
                reason: "550 boîte inconnue".into(),
                permanent: true,
            },
            attempts: 1,
            next_attempt_at: NOW,
            last_error: Some("550 boîte inconnue".into()),
            created_at: NOW - 300,
            size: 2_100,
            subject: "Demande d'avis".into(),
        },
        OutboxEntry {
            message_id: "a3@cabinet-exemple.mssante.test".into(),
            recipients: vec!["secretariat@clinique-exemple.mssante.test".into()],
            state: OutboxState::Done,
            attempts: 1,
            next_attempt_at: NOW,
            last_error: None,
            created_at: NOW - 60,
            size: 900,
            subject: "Rendez-vous".into(),
        },
    ]
}

fn with_entries(h: &mut Harness) {
    h.keys("g o");
    h.send(Msg::Compose(ComposeMsg::Outbox(Ok(entries()))));
}

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(with_entries) {
        insta::assert_snapshot!(format!("outbox_{variant}"), screen);
    }
    for (variant, screen) in crate::app::testing::variants(|h| {
        with_entries(h);
        h.keys("j c");
    }) {
        insta::assert_snapshot!(format!("outbox_confirm_{variant}"), screen);
    }
}

#[test]
fn cancel_asks_first_and_retry_goes_to_the_outbox() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    with_entries(&mut h);
    assert_eq!(h.state.screen, Screen::Outbox);
    h.keys("j c");
    assert_eq!(
        h.state.outbox.confirm,
        Some(Confirm::Cancel {
            message_id: "a2@cabinet-exemple.mssante.test".into()
        })
    );
    h.keys("n");
    assert!(h.state.outbox.confirm.is_none());
    // A sent message cannot be cancelled or retried.
    h.keys("j c");
    assert!(h.state.outbox.confirm.is_none());
    assert_eq!(
        h.state.notifications.last().map(|n| n.text),
        Some(T::OutboxCannotCancel)
    );
    let effects = on_command(&mut h.state, crate::app::command::OutboxCmd::Retry);
    assert!(effects.is_empty());
    h.keys("k");
    let effects = on_command(&mut h.state, crate::app::command::OutboxCmd::Retry);
    assert!(
        matches!(effects.as_slice(), [Effect::Compose(ComposeEffect::RetryOutbox { message_id })] if message_id.starts_with("a2")),
        "{effects:?}"
    );
}

#[test]
fn a_message_queued_in_the_demo_waits_with_its_error() {
    let mut h = Harness::demo(crate::app::i18n::Lang::En, 80, 24);
    h.keys("m");
    h.state.compose.to =
        crate::ui::screens::compose::area_with("bernard.durand@hopital-exemple.mssante.test");
    h.keys("ctrl-s 2 g o");
    assert_eq!(h.state.outbox.entries.len(), 1);
    let entry = &h.state.outbox.entries[0];
    assert_eq!(entry.state, OutboxState::Queued, "no server: it waits");
    assert_eq!(entry.attempts, 1);
    assert!(
        entry
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no SMTP server"))
    );
    assert!(h.render().contains("queued"));
    // Cancel, confirmed.
    h.keys("c y");
    assert_eq!(h.state.outbox.entries[0].state, OutboxState::Cancelled);
}

#[test]
fn drafts_pane_reopens_a_draft() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("g b");
    assert_eq!(h.state.outbox.pane, Pane::Drafts);
    h.send(Msg::Compose(ComposeMsg::Drafts(Ok(vec![(
        7,
        StoredDraft {
            to: "bob@x.test".into(),
            subject: "Brouillon".into(),
            ..StoredDraft::default()
        },
    )]))));
    assert!(h.render().contains("Brouillon"));
    h.keys("enter");
    assert_eq!(h.state.screen, Screen::Compose);
    assert_eq!(h.state.compose.draft_id, Some(7));
    assert_eq!(
        crate::ui::screens::compose::text_of(&h.state.compose.subject),
        "Brouillon"
    );
}

#[test]
fn receipts_show_on_sent_messages() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    with_entries(&mut h);
    h.send(Msg::Compose(ComposeMsg::Tracked(vec![(
        "a3@cabinet-exemple.mssante.test".into(),
        crate::mail::mdn::TrackedStatus::Read,
    )])));
    let screen = h.render();
    let row = screen
        .lines()
        .find(|l| l.contains("Rendez-vous"))
        .expect("row");
    assert!(row.contains("lu "), "{row}");
    super::clear(&mut h.state);
    assert!(h.state.outbox.tracked.is_empty());
}
