//! The reader's commands through the headless harness: headers, HTML
//! alternative, attachments (save with confirmation, viewer refusal), the
//! XDM package opening a CDA in the records viewer.

use crate::app::i18n::{Lang, T};
use crate::app::mail_msg::{MailEffect, MailEvent};
use crate::app::msg::Msg;
use crate::app::state::Screen;
use crate::app::testing::Harness;
use crate::domain::mailbox::MessageId;

fn demo() -> Harness {
    Harness::demo(Lang::Fr, 100, 30)
}

/// Opens the first inbox message whose row matches.
fn open_where(h: &mut Harness, wanted: impl Fn(&crate::domain::mailbox::MessageRow) -> bool) {
    let ids: Vec<MessageId> = h.state.mailbox.entries.iter().map(|e| e.id).collect();
    let rows = h.mail.rows("INBOX", &ids).expect("rows");
    let index = rows.iter().position(wanted).expect("a matching message");
    h.state.mailbox.cursor.selected = index;
    h.state.mailbox.cursor.offset = index;
    h.key("enter");
    assert_eq!(h.state.screen, Screen::Reader);
    assert!(h.state.reader.message.is_some());
}

fn open_xdm_message(h: &mut Harness) {
    let ids: Vec<MessageId> = h.state.mailbox.entries.iter().map(|e| e.id).collect();
    let index = ids
        .iter()
        .position(|id| {
            h.mail
                .attachment("INBOX", *id, 0)
                .ok()
                .flatten()
                .is_some_and(|a| a.name.as_deref() == Some("IHE_XDM.ZIP"))
        })
        .expect("an XDM message");
    h.state.mailbox.cursor.selected = index;
    h.state.mailbox.cursor.offset = index;
    h.key("enter");
}

#[test]
fn full_headers_reopen_with_new_options() {
    let mut h = demo();
    h.key("enter");
    assert!(!h.render().contains("Message-ID"));
    h.key("h");
    assert!(h.state.reader.full_headers);
    let screen = h.render();
    assert!(screen.contains("Message-ID:"), "{screen}");
    assert!(h.state.reader.message.is_some());
}

#[test]
fn html_toggle_without_an_alternative_says_so() {
    let mut h = demo();
    h.key("enter");
    h.key("H");
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyNoAlternative)
    );
}

#[test]
fn a_receipt_reads_as_a_receipt() {
    let mut h = demo();
    open_where(&mut h, |r| r.subject.starts_with("Accusé de lecture"));
    let doc = h.state.reader.message.as_ref().expect("open");
    assert!(doc.is_report);
    assert!(h.render().contains("Lu le"));
}

#[test]
fn save_asks_for_a_path_and_never_overwrites_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = demo();
    open_where(&mut h, |r| r.has_attachment);
    h.key("S");
    let suggestion = h
        .state
        .mailbox
        .prompt
        .as_ref()
        .map(|p| p.input.clone())
        .expect("save prompt");
    assert!(suggestion.starts_with("~/"), "{suggestion}");
    assert!(h.render().contains("Enregistrer sous"));
    // Replace the suggestion with a path in the scratch folder.
    let target = dir.path().join("copie.bin");
    if let Some(prompt) = &mut h.state.mailbox.prompt {
        prompt.input = target.display().to_string();
    }
    h.key("enter");
    let saved = std::fs::read(&target).expect("saved");
    assert!(!saved.is_empty());
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifySaved)
    );
    // Same path again: a confirmation, and "n" keeps the file.
    std::fs::write(&target, b"mine").expect("write");
    h.key("S");
    if let Some(prompt) = &mut h.state.mailbox.prompt {
        prompt.input = target.display().to_string();
    }
    h.key("enter");
    assert!(
        matches!(
            h.state.mailbox.prompt.as_ref().map(|p| &p.kind),
            Some(crate::ui::screens::mailbox::prompt::PromptKind::ConfirmOverwrite { .. })
        ),
        "asks before replacing"
    );
    assert!(h.render().contains("Le remplacer"));
    h.key("n");
    assert_eq!(std::fs::read(&target).expect("kept"), b"mine");
    // And "o" (oui) replaces it.
    h.key("S");
    if let Some(prompt) = &mut h.state.mailbox.prompt {
        prompt.input = target.display().to_string();
    }
    h.keys("enter o");
    assert_eq!(std::fs::read(&target).expect("replaced"), saved);
    assert!(h.mail_log.iter().any(|e| matches!(
        e,
        MailEffect::SaveAttachment {
            overwrite: true,
            ..
        }
    )));
}

#[test]
fn a_message_without_attachment_has_nothing_to_save() {
    let mut h = demo();
    open_where(&mut h, |r| !r.has_attachment);
    h.key("S");
    assert!(h.state.mailbox.prompt.is_none());
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyNoAttachment)
    );
}

#[test]
fn viewing_asks_the_runtime_and_a_failure_is_shown() {
    let mut h = demo();
    open_where(&mut h, |r| r.has_attachment);
    h.send(Msg::Mail(MailEvent::Viewed {
        result: Err("no XDG_RUNTIME_DIR".into()),
    }));
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyViewFailed)
    );
}

#[test]
fn the_xdm_package_lists_its_documents_and_opens_the_cda() {
    let mut h = demo();
    open_xdm_message(&mut h);
    assert_eq!(h.state.screen, Screen::Reader);
    h.key("x");
    let listing = h
        .state
        .reader
        .xdm
        .as_ref()
        .and_then(|x| x.listing.clone())
        .expect("listed");
    assert_eq!(listing.documents.len(), 1);
    let doc = &listing.documents[0];
    assert!(doc.is_cda && !doc.patient.is_empty() && !doc.date.is_empty());
    let screen = h.render();
    assert!(screen.contains("Documents du paquet IHE XDM"), "{screen}");
    assert!(screen.contains("Patient"), "{screen}");
    h.key("enter");
    assert_eq!(h.state.screen, Screen::Records);
    let viewer = h.state.records.viewer.as_ref().expect("CDA shown");
    assert!(viewer.text.to_plain_string(80).contains("Biochimie"));
    // Back to the message, then out of the listing.
    h.key("esc");
    h.key("esc");
    assert_eq!(h.state.screen, Screen::Reader);
    assert!(h.state.reader.xdm.is_some());
    h.key("esc");
    assert!(h.state.reader.xdm.is_none());
    assert_eq!(h.state.screen, Screen::Reader);
}
