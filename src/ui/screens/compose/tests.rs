//! The composer: snapshots (80x24, 60x20, fr, en) and its state changes.

use super::*;
use crate::app::keys::KeyPress;
use crate::app::mail_effects::{ComposeMsg, Queued, ShownOnce, Suggestion};
use crate::app::msg::Msg;
use crate::app::testing::Harness;

fn type_text(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.send(Msg::Key(KeyPress::ch(c)));
    }
}

fn suggestions() -> Vec<Suggestion> {
    vec![
        Suggestion {
            name: Some("Dr Bernard DURAND".into()),
            address: "bernard.durand@hopital-exemple.mssante.test".into(),
            detail: "Médecin, LYON".into(),
        },
        Suggestion {
            name: Some("Claire DUPONT".into()),
            address: "claire.dupont@cabinet-exemple.mssante.test".into(),
            detail: "Infirmier, PARIS".into(),
        },
    ]
}

fn attachment(name: &str, len: usize) -> crate::mail::compose::Attachment {
    crate::mail::compose::Attachment {
        name: name.into(),
        content_type: "application/pdf".into(),
        bytes: vec![b'x'; len],
    }
}

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("m");
    }) {
        insta::assert_snapshot!(format!("compose_{variant}"), screen);
    }
}

#[test]
fn snapshot_completion_popup() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("m");
        type_text(h, "du");
        h.state.compose.completion = Some(Completion {
            items: suggestions(),
            selected: 1,
        });
    }) {
        insta::assert_snapshot!(format!("compose_completion_{variant}"), screen);
    }
}

#[test]
fn snapshot_attachments_and_receipt() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("m");
        type_text(
            h,
            "Dr Bernard DURAND <bernard.durand@hopital-exemple.mssante.test>",
        );
        h.keys("tab tab tab");
        type_text(h, "Compte rendu");
        h.keys("tab");
        h.state.compose.attachments = vec![
            attachment("compte-rendu.pdf", 48_000),
            attachment("IHE_XDM.ZIP", 9_100),
        ];
        h.state.compose.mss.codecda = vec!["11488-4".into()];
        h.keys("ctrl-r tab");
        type_text(h, "Bonjour,");
    }) {
        insta::assert_snapshot!(format!("compose_attachments_{variant}"), screen);
    }
}

#[test]
fn snapshot_trust_warning() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("m");
        h.state.compose.dialog = Some(Dialog::TrustWarning {
            outside: vec!["patient@mail-exemple.test".into()],
        });
    }) {
        insta::assert_snapshot!(format!("compose_trust_{variant}"), screen);
    }
}

#[test]
fn snapshot_password_shown() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("m");
        h.state.compose.dialog = Some(Dialog::Password {
            password: ShownOnce(zeroize::Zeroizing::new("Kt7-pWq2-Zr9x-M4ab".into())),
        });
    }) {
        insta::assert_snapshot!(format!("compose_password_{variant}"), screen);
    }
}

#[test]
fn letters_type_text_and_tab_moves_between_fields() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("m");
    assert_eq!(h.state.screen, crate::app::state::Screen::Compose);
    type_text(&mut h, "q:?m");
    assert_eq!(
        text_of(&h.state.compose.to),
        "q:?m",
        "letters are text, not commands"
    );
    assert!(!h.state.quitting);
    h.keys("tab");
    assert_eq!(h.state.compose.focus, Field::Cc);
    h.keys("backtab backtab");
    assert_eq!(h.state.compose.focus, Field::Body);
    h.keys("enter");
    type_text(&mut h, "x");
    assert_eq!(
        text_of(&h.state.compose.body),
        "\nx",
        "enter is a new line in the body"
    );
    assert!(h.state.compose.changed_at.is_some());
}

#[test]
fn completion_answers_for_older_prefixes_are_dropped_and_enter_accepts() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("m");
    type_text(&mut h, "bob@x.test, d");
    let effects = on_key(&mut h.state, &KeyPress::ch('u'), h.clock).unwrap_or_default();
    assert!(
        matches!(effects.as_slice(), [Effect::Compose(ComposeEffect::Complete { prefix, .. })] if prefix == "du"),
        "two letters ask for completion: {effects:?}"
    );
    let pending = h.state.compose.completion_pending;
    h.send(Msg::Compose(ComposeMsg::Completions {
        generation: 0,
        items: suggestions(),
    }));
    assert!(h.state.compose.completion.is_none(), "stale answer dropped");
    h.send(Msg::Compose(ComposeMsg::Completions {
        generation: pending.unwrap_or_default(),
        items: suggestions(),
    }));
    assert_eq!(
        h.state.compose.completion.as_ref().map(|c| c.items.len()),
        Some(2)
    );
    h.keys("down enter");
    assert_eq!(
        text_of(&h.state.compose.to),
        "bob@x.test, Claire DUPONT <claire.dupont@cabinet-exemple.mssante.test>, "
    );
    assert!(h.state.compose.completion.is_none());
    assert_eq!(
        h.state.compose.focus,
        Field::To,
        "enter in the popup stays in the field"
    );
}

#[test]
fn send_refuses_bad_addresses_and_cancel_closes_the_warning() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("m");
    h.keys("ctrl-s");
    assert!(
        h.state.compose.dialog.is_none(),
        "no recipient: nothing sent"
    );
    type_text(&mut h, "pas une adresse");
    h.keys("ctrl-s");
    assert!(h.state.compose.dialog.is_none());
    assert_eq!(
        h.state.notifications.last().map(|n| n.text),
        Some(T::ComposeBadAddress)
    );
    h.state.compose.to = area_with("patient@mail-exemple.test");
    // No directory in this harness: the domain is unknown, hence outside.
    h.keys("ctrl-s");
    assert!(matches!(
        &h.state.compose.dialog,
        Some(Dialog::TrustWarning { outside }) if outside == &["patient@mail-exemple.test"]
    ));
    h.keys("esc");
    assert!(h.state.compose.dialog.is_none());
    assert_eq!(
        h.sending.outbox_store.records().map(|r| r.len()).ok(),
        Some(0)
    );
    h.keys("ctrl-s 2");
    assert_eq!(
        h.sending.outbox_store.records().map(|r| r.len()).ok(),
        Some(1),
        "sent anyway"
    );
    assert_eq!(h.state.screen, crate::app::state::Screen::Mailbox);
    assert!(h.state.compose.is_blank());
}

#[test]
fn a_queued_message_with_a_password_shows_it_until_enter() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("m");
    h.send(Msg::Compose(ComposeMsg::Queued(Ok(Queued {
        message_id: "1@x.test".into(),
        password: Some(ShownOnce(zeroize::Zeroizing::new("secret-pw".into()))),
    }))));
    assert!(h.render().contains("secret-pw"));
    h.keys("enter");
    assert!(h.state.compose.dialog.is_none());
    assert!(!h.render().contains("secret-pw"), "shown once");
}

#[test]
fn reply_all_and_forward_start_from_the_message_read() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("enter");
    let subject = h.state.reader.message.as_ref().map(|m| m.subject.clone());
    let Some(subject) = subject else {
        panic!("the demo opens a message");
    };
    h.keys("R");
    assert_eq!(h.state.screen, crate::app::state::Screen::Compose);
    assert!(text_of(&h.state.compose.subject).starts_with("RE"));
    assert!(text_of(&h.state.compose.body).contains("> "), "quoted");
    assert!(
        h.state.compose.in_reply_to.is_some() || h.state.compose.references.is_empty(),
        "threaded when the original has an id"
    );
    h.keys("esc f");
    assert!(text_of(&h.state.compose.subject).contains(subject.trim_start_matches("RE: ")));
    assert!(
        text_of(&h.state.compose.to).is_empty(),
        "forward: recipients to choose"
    );
}

#[test]
fn autosave_waits_for_a_pause_then_saves() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24).with_store();
    h.keys("m");
    type_text(&mut h, "bob@x.test");
    assert!(h.state.compose.draft_id.is_none());
    h.clock += AUTOSAVE_AFTER;
    h.send(Msg::Tick(h.clock));
    assert!(h.state.compose.draft_id.is_some(), "saved and numbered");
    assert!(h.state.compose.changed_at.is_none());
    let store = h.sending.store().expect("store");
    let drafts = store
        .call(|s| s.drafts::<StoredDraft>())
        .expect("call")
        .expect("drafts");
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].1.to, "bob@x.test");
}

#[test]
fn sending_protected_puts_the_files_in_an_archive_and_shows_its_password_once() {
    let mut h = Harness::demo(crate::app::i18n::Lang::Fr, 80, 24);
    h.keys("m");
    type_text(&mut h, "patient@mail-exemple.test");
    h.state.compose.attachments = vec![attachment("compte-rendu.pdf", 2_000)];
    h.keys("ctrl-s");
    assert!(matches!(
        h.state.compose.dialog,
        Some(Dialog::TrustWarning { .. })
    ));
    h.keys("3");
    let Some(Dialog::Password { password }) = h.state.compose.dialog.clone() else {
        panic!("the password is shown: {:?}", h.state.compose.dialog);
    };
    assert!(password.0.len() >= 16);
    assert!(!format!("{password:?}").contains(password.0.as_str()));
    let records = h.sending.outbox_store.records().expect("records");
    assert_eq!(records.len(), 1);
    let msg = mail_parser::MessageParser::default()
        .parse(&records[0].bytes)
        .expect("parses");
    use mail_parser::MimeHeaders;
    let names: Vec<_> = msg
        .attachments()
        .filter_map(|a| a.attachment_name())
        .collect();
    assert_eq!(names.len(), 1);
    assert_ne!(
        names[0], "compte-rendu.pdf",
        "the file travels inside the archive"
    );
    assert!(!String::from_utf8_lossy(&records[0].bytes).contains(password.0.as_str()));
    h.keys("enter");
    assert!(h.state.compose.dialog.is_none());
    assert_eq!(h.state.screen, crate::app::state::Screen::Mailbox);
}
