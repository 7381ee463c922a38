//! `update` tested through the headless harness: messages in, state and effects out.

use super::command::{AppCmd, Command};
use super::i18n::{Lang, T};
use super::keymap::Scope;
use super::msg::Msg;
use super::state::{Level, Notification, Screen};
use super::testing::Harness;
use super::update::update;
use crate::app::mail_msg::MailEvent;
use crate::app::msg::Effect;
use std::time::Duration;

fn demo() -> Harness {
    Harness::demo(Lang::Fr, 100, 30)
}

#[test]
fn the_demo_opens_on_a_populated_inbox() {
    let h = demo();
    assert_eq!(h.state.screen, Screen::Mailbox);
    assert!(h.state.mailbox.entries.len() >= 200);
    assert_eq!(h.state.mailbox.folder_name(), Some("INBOX"));
}

#[test]
fn moving_and_opening_marks_the_message_read() {
    let mut h = demo();
    let unread_index = (0..h.state.mailbox.entries.len())
        .position(|i| h.row(i).is_some_and(|r| !r.flags.seen))
        .expect("an unread message on the first screen");
    for _ in 0..unread_index {
        h.key("j");
    }
    assert_eq!(h.state.mailbox.cursor.selected, unread_index);
    let id = h.state.mailbox.entries[unread_index].id;
    let unread_before = h.state.mailbox.folders[0].unread;
    h.key("enter");
    assert_eq!(h.state.screen, Screen::Reader);
    assert_eq!(h.state.reader.message.as_ref().map(|m| m.id), Some(id));
    assert!(
        h.row(unread_index).expect("loaded").flags.seen,
        "seen locally"
    );
    assert_eq!(
        h.state.mailbox.folders[0].unread,
        unread_before - 1,
        "count follows"
    );
    h.key("q");
    assert_eq!(h.state.screen, Screen::Mailbox, "q in the reader goes back");
}

#[test]
fn stale_answers_are_dropped() {
    let mut h = demo();
    h.key("enter");
    let current = h.state.reader.requested.expect("requested");
    let other = h.state.mailbox.entries[5].id;
    let stale = h.mail_open(other);
    h.send(Msg::Mail(MailEvent::Opened {
        generation: current.1 - 1,
        result: Ok(stale),
    }));
    assert_eq!(
        h.state.reader.message.as_ref().map(|m| m.id),
        Some(current.0),
        "an old answer changes nothing"
    );

    let entries_before = h.state.mailbox.entries.clone();
    h.send(Msg::Mail(MailEvent::Listed {
        generation: 1,
        result: Ok(Default::default()),
        offline: false,
    }));
    assert_eq!(h.state.mailbox.entries, entries_before);
}

impl Harness {
    fn mail_open(
        &self,
        id: crate::domain::mailbox::MessageId,
    ) -> Option<Box<crate::ui::screens::reader::document::ReaderDoc>> {
        let opened = self.mail.open("INBOX", id).ok()??;
        let options = self.state.reader.options();
        crate::ui::screens::reader::document::build("INBOX", &opened, options)
            .ok()
            .map(Box::new)
    }

    /// The row at list position `index`, if it is loaded.
    fn row(&self, index: usize) -> Option<&crate::domain::mailbox::MessageRow> {
        let id = self.state.mailbox.entries.get(index)?.id;
        self.state.mailbox.rows.get(id)
    }

    /// Every row of the current list, asked from the source directly.
    fn all_rows(&self) -> Vec<crate::domain::mailbox::MessageRow> {
        let ids: Vec<_> = self.state.mailbox.entries.iter().map(|e| e.id).collect();
        let folder = self.state.mailbox.folder_name().unwrap_or("INBOX");
        self.mail.rows(folder, &ids).unwrap_or_default()
    }
}

#[test]
fn chords_wait_then_run_and_unknown_keys_reset() {
    let mut h = demo();
    h.key("g");
    assert_eq!(h.state.pending_keys.len(), 1, "g waits for more");
    h.key("d");
    assert_eq!(h.state.screen, Screen::Directory);
    assert!(h.state.pending_keys.is_empty());
    h.keys("g §");
    assert!(
        h.state.pending_keys.is_empty(),
        "a key that fits no chord abandons it"
    );
    h.keys("g i G");
    assert_eq!(h.state.screen, Screen::Mailbox);
    assert_eq!(
        h.state.mailbox.cursor.selected,
        h.state.mailbox.entries.len() - 1
    );
    h.keys("g g");
    assert_eq!(h.state.mailbox.cursor.selected, 0);
}

#[test]
fn sort_thread_and_filter_reload_the_list() {
    let mut h = demo();
    h.key("u");
    assert!(h.state.mailbox.filters.unread);
    assert!(h.all_rows().iter().all(|r| !r.flags.seen));
    h.key("u");
    h.key("t");
    assert!(h.state.mailbox.threaded);
    assert!(h.state.mailbox.entries.iter().any(|e| e.depth > 0));
    h.key("o");
    assert_eq!(
        h.state.mailbox.sort,
        crate::domain::mailbox::SortKey::Sender
    );
    let names: Vec<String> = h.all_rows().iter().map(|r| r.from.to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted by sender");
    h.key("J");
    assert_eq!(h.state.mailbox.folder_name(), Some("Sent"));
}

#[test]
fn toggles_flag_and_read_with_a_notification() {
    let mut h = demo();
    let before = h.row(0).expect("loaded").flags;
    h.key("F");
    assert_eq!(h.row(0).expect("loaded").flags.flagged, !before.flagged);
    assert!(h.state.notifications.iter().any(|n| n.level == Level::Info));
    h.key("N");
    assert_eq!(h.row(0).expect("loaded").flags.seen, !before.seen);
}

#[test]
fn the_palette_completes_and_runs_commands() {
    let mut h = demo();
    h.keys(": h e l p");
    assert_eq!(
        h.state.palette.as_ref().map(|p| p.input.as_str()),
        Some("help")
    );
    h.key("enter");
    assert!(h.state.palette.is_none());
    assert_eq!(h.state.screen, Screen::Help);
    h.keys(": z z z enter");
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyUnknownCommand)
    );
}

#[test]
fn lock_hides_patient_data_and_the_pin_resumes_where_we_were() {
    let mut h = demo();
    h.keys("j j enter");
    let open = h.state.reader.message.as_ref().map(|m| m.id);
    h.key("ctrl-l");
    assert_eq!(h.state.screen, Screen::Lock);
    assert!(
        h.state.mailbox.entries.is_empty()
            && h.state.mailbox.rows.is_empty()
            && h.state.reader.message.is_none(),
        "data gone from the state"
    );
    assert!(h.outside.iter().any(|e| e.contains("DropSecrets")));
    let screen = h.render();
    assert!(
        !screen.contains("Transmission") && !screen.contains("Résultats"),
        "{screen}"
    );

    h.keys("g i");
    assert_eq!(
        h.state.screen,
        Screen::Lock,
        "nothing behind the lock is reachable"
    );
    h.keys("0 0 0 0 enter");
    assert_eq!(h.state.login.tries_left, Some(2));
    assert_eq!(h.state.screen, Screen::Lock);
    h.keys("1 2 3 4 enter");
    assert_eq!(
        h.state.screen,
        Screen::Reader,
        "resumed exactly where we were"
    );
    assert_eq!(h.state.reader.message.as_ref().map(|m| m.id), open);
    assert!(!h.state.mailbox.entries.is_empty() && !h.state.mailbox.rows.is_empty());
    assert_eq!(h.state.mailbox.cursor.selected, 2, "selection kept");
}

#[test]
fn the_pin_never_shows_in_debug_output_or_effects() {
    let mut h = demo();
    h.key("ctrl-l");
    h.keys("9 8 7 6");
    let debug = format!("{:?}", h.state);
    assert!(!debug.contains("9876"), "state Debug leaks the PIN");
    let effects = update(
        &mut h.state,
        Msg::Key(crate::app::keys::KeyPress::parse("enter").expect("key")),
        h.clock,
    );
    let debug = format!("{effects:?}");
    assert!(
        debug.contains("Pin(****)") && !debug.contains("9876"),
        "{debug}"
    );
}

#[test]
fn idle_lock_fires_after_the_delay_only() {
    let mut h = demo();
    h.state.idle_lock = Some(Duration::from_secs(600));
    h.key("j");
    let effects = update(
        &mut h.state,
        Msg::Tick(h.clock + Duration::from_secs(599)),
        h.clock + Duration::from_secs(599),
    );
    assert_eq!(h.state.screen, Screen::Mailbox);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::TickAfter(d) if *d <= Duration::from_secs(1)))
    );
    update(
        &mut h.state,
        Msg::Tick(h.clock + Duration::from_secs(600)),
        h.clock + Duration::from_secs(600),
    );
    assert_eq!(h.state.screen, Screen::Lock);
}

#[test]
fn notifications_expire_with_a_scheduled_tick() {
    let mut h = demo();
    let effects = update(
        &mut h.state,
        Msg::Notify(Notification::new(Level::Info, T::NotifyDraftUpdated)),
        h.clock,
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::TickAfter(_))),
        "{effects:?}"
    );
    update(
        &mut h.state,
        Msg::Tick(h.clock + Duration::from_secs(5)),
        h.clock + Duration::from_secs(5),
    );
    assert!(h.state.notifications.is_empty());
}

#[test]
fn mouse_click_selects_then_opens_and_wheel_scrolls() {
    use crate::app::msg::MouseInput;
    let mut h = demo();
    // Row 2 of the list: the body starts at y=1, the border takes one line.
    h.send(Msg::Mouse(MouseInput::Click { column: 40, row: 4 }));
    assert_eq!(h.state.mailbox.cursor.selected, 2);
    h.send(Msg::Mouse(MouseInput::ScrollDown { column: 40, row: 4 }));
    assert_eq!(h.state.mailbox.cursor.offset, 3);
    let selected = h.state.mailbox.cursor.selected;
    let row_on_screen = (selected - h.state.mailbox.cursor.offset) as u16 + 2;
    h.send(Msg::Mouse(MouseInput::Click {
        column: 40,
        row: row_on_screen,
    }));
    assert_eq!(
        h.state.screen,
        Screen::Reader,
        "a click on the selected row opens it"
    );
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut h = demo();
    h.keys("G");
    h.send(Msg::Resize {
        width: 60,
        height: 12,
    });
    let cursor = h.state.mailbox.cursor;
    let height = crate::ui::screens::mailbox::page_height(&h.state);
    assert!(cursor.selected >= cursor.offset && cursor.selected < cursor.offset + height);
}

#[test]
fn quit_and_suspend_are_effects() {
    let mut h = demo();
    let effects = update(
        &mut h.state,
        Msg::Command(Command::App(AppCmd::Suspend)),
        h.clock,
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Suspend)));
    h.key("q");
    assert!(h.state.quitting);
    assert!(h.outside.iter().any(|e| e == "Quit"));
}

#[test]
fn reply_fills_the_composer_and_the_editor_result_lands() {
    let mut h = demo();
    h.keys("enter r");
    assert_eq!(h.state.screen, Screen::Compose);
    let subject = crate::ui::screens::compose::text_of(&h.state.compose.subject);
    assert!(subject.to_uppercase().starts_with("RE"), "{subject}");
    assert_eq!(
        subject.to_uppercase().matches("RE:").count(),
        1,
        "{subject}"
    );
    h.key("ctrl-e");
    assert!(h.outside.iter().any(|e| e.starts_with("EditText")));
    h.send(Msg::EditorFinished(Ok("Merci, bien reçu.".into())));
    assert_eq!(
        crate::ui::screens::compose::text_of(&h.state.compose.body),
        "Merci, bien reçu."
    );
    h.send(Msg::EditorFinished(Err("exit status: 1".into())));
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::NotifyEditorFailed)
    );
    assert_eq!(
        crate::ui::screens::compose::text_of(&h.state.compose.body),
        "Merci, bien reçu.",
        "a failed edit loses nothing"
    );
}

#[test]
fn help_lists_user_rebinds() {
    let mut h = demo();
    h.state
        .keymap
        .patch("[global]\n\"ctrl-q\" = \"app.quit\"\n", "keymap.toml")
        .expect("valid");
    let rows = crate::ui::screens::help::rows(&h.state.keymap);
    assert!(rows.iter().any(|r| matches!(r, crate::ui::screens::help::HelpRow::Binding { keys, .. } if keys.contains("ctrl-q"))));
    assert!(
        h.state
            .keymap
            .keys_for(Scope::Global, Command::App(AppCmd::Quit))
            .contains(&"ctrl-q".to_string())
    );
}

#[test]
fn progress_shows_as_a_gauge_until_cleared() {
    use crate::app::msg::Progress;
    let mut h = demo();
    h.send(Msg::Progress(Some(Progress {
        label: T::ProgressDemoDirectory,
        done: 5,
        total: 10,
    })));
    let screen = h.render();
    assert!(
        screen.contains("Annuaire de démonstration [█████░░░░░]"),
        "{screen}"
    );
    h.send(Msg::Progress(None));
    assert!(!h.render().contains("Annuaire de démonstration"));
}

#[test]
fn card_removal_locks_and_another_card_starts_its_own_session() {
    use crate::card::CardEvent;
    let mut h = demo();
    h.state.login.session_holder = Some("810100000017".into());
    h.keys("j enter");
    h.send(Msg::Card(CardEvent::Removed { reader: "r".into() }));
    assert_eq!(
        h.state.screen,
        Screen::Lock,
        "pulling the card locks at once"
    );
    assert!(h.state.reader.message.is_none() && h.state.mailbox.entries.is_empty());
    // Another practitioner's card: same PIN in this harness, but their own session.
    h.state.login.card_holder_id = Some("810100000099".into());
    h.state.login.card_present = true;
    h.keys("1 2 3 4 enter");
    assert_eq!(
        h.state.screen,
        Screen::Mailbox,
        "not the first practitioner's reader"
    );
    assert!(
        h.state.reader.requested.is_none(),
        "the first practitioner's open message is out of reach"
    );
    assert_eq!(
        h.state.login.session_holder.as_deref(),
        Some("810100000099")
    );
}

#[test]
fn three_wrong_pins_block_and_nothing_more_is_sent() {
    let mut h = demo();
    h.key("ctrl-l");
    h.keys("0 0 0 0 enter");
    h.keys("0 0 0 0 enter");
    assert_eq!(h.state.login.tries_left, Some(1));
    h.keys("0 0 0 0 enter");
    assert!(h.state.login.blocked);
    assert!(h.render().contains("Carte bloquée"));
    let effects = update(
        &mut h.state,
        Msg::Key(crate::app::keys::KeyPress::ch('1')),
        h.clock,
    );
    assert!(effects.is_empty());
    let effects = update(
        &mut h.state,
        Msg::Key(crate::app::keys::KeyPress::plain(
            crate::app::keys::Key::Enter,
        )),
        h.clock,
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::VerifyPin(_))),
        "a blocked card gets no PIN"
    );
}

#[test]
fn several_readers_tab_chooses_whose_card_is_used() {
    use crate::card::CardEvent;
    let fake_info = |name: &str, id: &str| {
        let pki_dir = crate::app::testing::tempfile_free::Folder::new("reader-choice");
        let pki = crate::card::sim::pki::ensure(&pki_dir.path).expect("pki");
        let sim =
            crate::card::sim::Simulator::new(&pki, crate::card::CardKind::Cps3Contact, "1234");
        let mut transport = sim.transport();
        let mut info = crate::card::cps::identify(&mut transport).expect("identified");
        info.holder.display_name = name.to_string();
        info.holder.national_id = Some(id.to_string());
        Box::new(info)
    };
    let mut h = demo();
    h.state.screen = Screen::Login;
    h.send(Msg::Card(CardEvent::Recognized {
        reader: "Lecteur A".into(),
        info: fake_info("MARTIN Alice", "810100000017"),
    }));
    h.send(Msg::Card(CardEvent::Recognized {
        reader: "Lecteur B".into(),
        info: fake_info("DURAND Paul", "810100000099"),
    }));
    assert_eq!(h.state.login.holder.as_deref(), Some("MARTIN Alice"));
    let effects = update(
        &mut h.state,
        Msg::Key(crate::app::keys::KeyPress::plain(
            crate::app::keys::Key::Tab,
        )),
        h.clock,
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::PreferReader { reader } if reader == "Lecteur B")),
        "{effects:?}"
    );
    assert_eq!(h.state.login.holder.as_deref(), Some("DURAND Paul"));
    assert!(h.render().contains("DURAND Paul"));
    // The other reader's card leaving does not lock the chosen session.
    h.state.login.session_holder = Some("810100000099".into());
    h.state.screen = Screen::Mailbox;
    h.send(Msg::Card(CardEvent::Removed {
        reader: "Lecteur A".into(),
    }));
    assert_eq!(h.state.screen, Screen::Mailbox);
    h.send(Msg::Card(CardEvent::Removed {
        reader: "Lecteur B".into(),
    }));
    assert_eq!(h.state.screen, Screen::Lock);
}
