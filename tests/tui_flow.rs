//! Key-sequence flows through the real `update` and `view` (headless).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

use cachet::app::i18n::Lang;
use cachet::app::state::Screen;
use cachet::app::testing::Harness;

#[test]
fn open_demo_move_open_back_quit() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    let screen = h.render();
    assert!(screen.contains("Boîte de réception"), "{screen}");

    h.keys("j j");
    assert_eq!(h.state.mailbox.cursor.selected, 2);
    let id = h.state.mailbox.entries[2].id;
    let subject = h
        .state
        .mailbox
        .rows
        .get(id)
        .expect("row on screen")
        .subject
        .clone();

    h.key("enter");
    assert_eq!(h.state.screen, Screen::Reader);
    let screen = h.render();
    assert!(
        screen.contains("De ") && screen.contains(&subject),
        "{screen}"
    );

    h.key("q");
    assert_eq!(h.state.screen, Screen::Mailbox);
    assert_eq!(h.state.mailbox.cursor.selected, 2, "back where we were");

    h.key("?");
    assert!(h.render().contains("Raccourcis clavier"));
    h.key("q");
    assert_eq!(h.state.screen, Screen::Mailbox);

    h.key("q");
    assert!(h.state.quitting);
}

#[test]
fn english_flow_and_folder_switch() {
    let mut h = Harness::demo(Lang::En, 80, 24);
    assert!(h.render().contains("Inbox"));
    h.keys("J");
    assert!(h.render().contains("Sent"));
    h.keys("K K");
    let screen = h.render();
    assert!(screen.contains("Trash"), "{screen}");
}
