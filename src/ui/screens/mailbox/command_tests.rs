//! The mailbox commands through the headless harness: keys in, state,
//! effects and the demo source's answers out.

use crate::app::i18n::{Lang, T};
use crate::app::mail_msg::{MailEffect, MailEvent};
use crate::app::msg::Msg;
use crate::app::state::Screen;
use crate::app::testing::Harness;
use crate::domain::mailbox::{Flag, MessageId, SourceError, SourceErrorKind};

fn demo() -> Harness {
    Harness::demo(Lang::Fr, 100, 30)
}

fn total(h: &Harness, folder: &str) -> usize {
    h.state
        .mailbox
        .folders
        .iter()
        .find(|f| f.name == folder)
        .map_or(0, |f| f.total)
}

fn rows_of(h: &Harness) -> Vec<crate::domain::mailbox::MessageRow> {
    let ids: Vec<MessageId> = h.state.mailbox.entries.iter().map(|e| e.id).collect();
    let folder = h.state.mailbox.folder_name().unwrap_or("INBOX");
    h.mail.rows(folder, &ids).unwrap_or_default()
}

#[test]
fn search_shows_results_and_esc_returns_to_the_folder() {
    let mut h = demo();
    let folder_len = h.state.mailbox.entries.len();
    h.keys("/ f r o m : l e f è v r e");
    assert_eq!(
        h.state.mailbox.prompt.as_ref().map(|p| p.input.as_str()),
        Some("from:lefèvre")
    );
    h.key("enter");
    let search = h.state.mailbox.search.clone().expect("searching");
    assert_eq!(search.query, "from:lefèvre");
    let found = h.state.mailbox.entries.len();
    assert_eq!(search.count, Some(found));
    assert!(found > 0 && found < folder_len);
    assert!(rows_of(&h).iter().all(|r| r.from.contains("Lefèvre")));
    assert!(h.render().contains("Recherche « from:lefèvre »"));
    h.key("esc");
    assert!(h.state.mailbox.search.is_none());
    assert_eq!(h.state.mailbox.entries.len(), folder_len);
}

#[test]
fn a_stale_search_answer_is_dropped() {
    let mut h = demo();
    h.keys("/ z z z enter");
    let generation = h.state.mailbox.search.as_ref().map(|s| s.generation);
    let before = h.state.mailbox.entries.clone();
    h.send(Msg::Mail(MailEvent::Searched {
        generation: generation.unwrap_or(0) - 1,
        result: Ok(vec![MessageId(1)]),
    }));
    assert_eq!(h.state.mailbox.entries, before);
}

#[test]
fn the_filter_prompt_sets_filters_and_unknown_words_are_refused() {
    let mut h = demo();
    h.keys("l p j space f r o m : l a b o enter");
    let filters = h.state.mailbox.filters.clone();
    assert!(filters.has_attachment);
    assert_eq!(filters.from.as_deref(), Some("labo"));
    let rows = rows_of(&h);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.has_attachment && r.from.contains("Labo"))
    );
    // `l` again shows the current filters for editing.
    h.key("l");
    assert_eq!(
        h.state.mailbox.prompt.as_ref().map(|p| p.input.as_str()),
        Some("pj from:labo")
    );
    h.key("esc");
    assert!(h.state.mailbox.prompt.is_none());
    h.key("l");
    if let Some(prompt) = &mut h.state.mailbox.prompt {
        prompt.input.clear();
    }
    h.keys("x y z enter");
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyBadFilter)
    );
    assert_eq!(
        h.state.mailbox.filters, filters,
        "a bad filter changes nothing"
    );
    h.key("L");
    assert!(h.state.mailbox.filters.is_empty());
}

#[test]
fn date_and_flag_filters_from_keys_and_the_palette() {
    let mut h = demo();
    h.key("!");
    assert!(h.state.mailbox.filters.flagged);
    assert!(rows_of(&h).iter().all(|r| r.flags.flagged));
    h.key("!");
    h.key("@");
    assert!(rows_of(&h).iter().all(|r| r.has_attachment));
    h.keys(": m a i l b o x . c l e a r _ f i l t e r s enter");
    assert!(h.state.mailbox.filters.is_empty());
    // 2026-11-18 is the harness's today: only today's messages.
    h.keys("l d a t e : 2 0 2 6 - 1 1 - 1 8 enter");
    let rows = rows_of(&h);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.date >= 1_794_960_000), "{rows:?}");
    assert!(h.render().contains("période"));
}

#[test]
fn move_goes_through_the_folder_picker() {
    let mut h = demo();
    let id = h.state.mailbox.selected_id().expect("selected");
    let (inbox, archive) = (total(&h, "INBOX"), total(&h, "Archive"));
    h.key("s");
    assert!(h.render().contains("Déplacer vers"));
    h.keys("a r c h");
    h.key("enter");
    assert!(h.state.mailbox.prompt.is_none());
    assert!(h.mail_log.iter().any(|e| matches!(
        e,
        MailEffect::Move { target, ids, .. } if target == "Archive" && ids == &vec![id]
    )));
    assert_eq!(total(&h, "INBOX"), inbox - 1);
    assert_eq!(total(&h, "Archive"), archive + 1);
    assert!(!h.state.mailbox.entries.iter().any(|e| e.id == id));
}

#[test]
fn delete_goes_to_trash_and_expunge_asks_first() {
    let mut h = demo();
    let id = h.state.mailbox.selected_id().expect("selected");
    let trash = total(&h, "Trash");
    h.key("d");
    assert_eq!(total(&h, "Trash"), trash + 1);
    assert!(!h.state.mailbox.entries.iter().any(|e| e.id == id));
    // To the Trash, delete again (marks it), then expunge with confirmation.
    h.keys("K");
    assert_eq!(h.state.mailbox.folder_name(), Some("Trash"));
    let position = h
        .state
        .mailbox
        .entries
        .iter()
        .position(|e| e.id == id)
        .expect("in Trash");
    h.state.mailbox.cursor.selected = position;
    h.key("d");
    assert!(
        h.mail.rows("Trash", &[id]).unwrap()[0]
            .flags
            .get(Flag::Deleted),
        "marked deleted in Trash"
    );
    h.key("$");
    let screen = h.render();
    assert!(screen.contains("Purger définitivement"), "{screen}");
    h.key("n");
    assert!(h.state.mailbox.prompt.is_none());
    assert!(
        !h.mail_log
            .iter()
            .any(|e| matches!(e, MailEffect::Expunge { .. }))
    );
    h.keys("$ o");
    assert!(
        h.mail_log
            .iter()
            .any(|e| matches!(e, MailEffect::Expunge { .. }))
    );
    assert!(h.mail.rows("Trash", &[id]).unwrap().is_empty(), "gone");
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyExpunged)
    );
}

#[test]
fn actions_are_audited_without_content() {
    let mut h = demo();
    h.keys("F d");
    let events: Vec<_> = h
        .mail_log
        .iter()
        .cloned()
        .map(crate::app::msg::Effect::Mail)
        .flat_map(|e| crate::app::audit_log::event_for(&e))
        .collect();
    let actions: Vec<_> = events.iter().map(|e| e.action).collect();
    assert!(actions.contains(&crate::audit::Action::Flag));
    assert!(actions.contains(&crate::audit::Action::Delete));
    for event in &events {
        assert!(!event.request.contains("Compte rendu") && !event.request.contains('@'));
        assert!(!event.request.contains("INBOX") && !event.request.contains("Trash"));
        assert!(
            matches!(&event.target, Some(crate::audit::Target::Mailbox { .. })),
            "the folder goes in as a hashed target"
        );
    }
}

#[test]
fn an_offline_source_shows_the_marker_and_errors_notify() {
    let mut h = demo();
    h.send(Msg::Mail(MailEvent::Folders {
        result: h.mail.folders(),
        offline: true,
    }));
    assert!(h.state.mailbox.offline);
    let screen = h.render();
    assert!(screen.contains("hors ligne"), "{screen}");
    h.send(Msg::Mail(MailEvent::ActionDone {
        kind: crate::app::mail_msg::ActionKind::Move,
        result: Err(SourceError::new(SourceErrorKind::Offline, "no server")),
    }));
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyMailError)
    );
}

#[test]
fn opening_from_the_reader_marks_read_and_next_unread_jumps() {
    let mut h = demo();
    h.key("tab");
    let id = h.state.mailbox.selected_id().expect("selected");
    let row = h.state.mailbox.rows.get(id).expect("loaded").clone();
    assert!(!row.flags.seen, "tab lands on an unread message");
    h.key("enter");
    assert_eq!(h.state.screen, Screen::Reader);
    assert!(h.state.mailbox.rows.get(id).expect("loaded").flags.seen);
}

#[test]
fn a_change_in_the_source_lists_again_and_keeps_the_selection() {
    let mut h = demo();
    h.keys("j j j");
    let id = h.state.mailbox.selected_id();
    let before = h.mail_log.len();
    h.send(Msg::Mail(MailEvent::Changed));
    assert!(
        h.mail_log[before..]
            .iter()
            .any(|e| matches!(e, MailEffect::List { .. })),
        "listed again"
    );
    assert_eq!(h.state.mailbox.selected_id(), id);
    h.key("ctrl-l");
    let before = h.mail_log.len();
    h.send(Msg::Mail(MailEvent::Changed));
    assert_eq!(h.mail_log.len(), before, "nothing asked behind the lock");
}
