//! The directory screen: snapshots, as-you-type search with typos and
//! filters, detail, "write to", stale answers.

use crate::app::i18n::Lang;
use crate::app::msg::Msg;
use crate::app::state::Screen;
use crate::app::testing::{Harness, variants};
use crate::directory::search::Query;

#[test]
fn snapshots() {
    for (variant, screen) in variants(|h| h.keys("g d")) {
        insta::assert_snapshot!(format!("directory_{variant}"), screen);
    }
}

fn type_text(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(
            if c == ' ' { "space" } else { "" }
                .is_empty()
                .then(|| c.to_string())
                .as_deref()
                .unwrap_or("space"),
        );
    }
}

/// A practitioner of the generated data with a mailbox and a long enough name.
fn someone(h: &Harness) -> crate::directory::model::Entry {
    let (index, _) = h.directory.as_ref().expect("a directory");
    let query = Query {
        department: Some("75".into()),
        with_mailbox: true,
        limit: 500,
        ..Query::default()
    };
    index
        .search(&query)
        .expect("search")
        .into_iter()
        .find(|e| {
            e.family_name.chars().count() >= 6 && e.family_name.chars().all(|c| c.is_alphabetic())
        })
        .expect("someone in Paris with a mailbox")
}

#[test]
fn typo_without_accents_then_filter_then_write_to() {
    let mut h = Harness::demo(Lang::Fr, 100, 30).with_directory(4000);
    let target = someone(&h);
    let plain = deunicode::deunicode(&target.family_name).to_lowercase();
    // Swap two letters in the middle: a typo.
    let mut chars: Vec<char> = plain.chars().collect();
    chars.swap(2, 3);
    let typo: String = chars.into_iter().collect();

    h.keys("g d");
    assert!(h.state.directory.typing, "the search field has the keys");
    type_text(&mut h, &format!("{typo} dept:75"));
    let found = h
        .state
        .directory
        .results
        .iter()
        .position(|e| e.idnps == target.idnps);
    assert!(
        found.is_some(),
        "{typo} finds {} in the 75",
        target.family_name
    );
    assert!(
        h.state
            .directory
            .results
            .iter()
            .all(|e| e.activities.iter().any(|a| a.department == "75"))
    );

    h.key("enter");
    assert!(!h.state.directory.typing, "Enter moves to the results");
    for _ in 0..found.unwrap_or(0) {
        h.key("j");
    }
    h.key("enter");
    assert!(h.state.directory.detail);
    let screen = h.render();
    assert!(screen.contains(&target.mailboxes[0].address), "{screen}");
    h.key("w");
    assert_eq!(h.state.screen, Screen::Compose);
    assert!(
        crate::ui::screens::compose::text_of(&h.state.compose.to)
            .contains(&target.mailboxes[0].address)
    );
}

#[test]
fn every_keystroke_asks_again_and_stale_answers_are_dropped() {
    let mut h = Harness::demo(Lang::Fr, 100, 30).with_directory(1000);
    h.keys("g d");
    type_text(&mut h, "mar");
    let now = h.state.directory.results.clone();
    assert!(!now.is_empty());
    h.send(Msg::DirectoryResults {
        generation: 1,
        result: Ok(Vec::new()),
        online_error: None,
    });
    assert_eq!(
        h.state.directory.results, now,
        "an answer to an older prefix changes nothing"
    );
    h.key("esc");
    assert!(h.state.directory.input.is_empty() && h.state.directory.results.is_empty());
    h.key("esc");
    assert_eq!(
        h.state.screen,
        Screen::Mailbox,
        "Esc on an empty field leaves the screen"
    );
}

#[test]
fn results_snapshot() {
    for (lang, code) in [(Lang::Fr, "fr"), (Lang::En, "en")] {
        let mut h = Harness::demo(lang, 100, 30).with_directory(2000);
        h.keys("g d");
        type_text(&mut h, "mar dept:69");
        h.key("enter");
        h.key("enter");
        insta::assert_snapshot!(format!("directory_results_{code}_100x30"), h.render());
    }
}

#[test]
fn filters_parse_from_the_field() {
    let q =
        super::parse_query("dupont jean dept:2A prof:infirmier spe:cardio ville:Lyon cp:69003 x:y");
    assert_eq!(q.text, "dupont jean x:y");
    assert_eq!(q.department.as_deref(), Some("2A"));
    assert_eq!(q.profession.as_deref(), Some("infirmier"));
    assert_eq!(q.speciality.as_deref(), Some("cardio"));
    assert_eq!(q.city.as_deref(), Some("Lyon"));
    assert_eq!(q.postcode.as_deref(), Some("69003"));
}

#[test]
fn the_online_api_is_an_option_and_its_results_are_marked() {
    use crate::app::i18n::T;
    let mut h = Harness::demo(Lang::Fr, 100, 30).with_directory(500);
    h.keys("g d");
    h.key("ctrl-o");
    assert!(!h.state.directory.online, "no API configured: stays local");
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::DirectoryNoApi)
    );

    h.state.directory.api_configured = true;
    h.key("ctrl-o");
    assert!(h.state.directory.online);
    type_text(&mut h, "ma");
    assert!(
        !h.state.directory.results.is_empty(),
        "local results answer at once"
    );
    let generation = h.state.directory.pending.unwrap_or(0);
    let mut online = h
        .state
        .directory
        .results
        .first()
        .cloned()
        .expect("a local result");
    online.origin = crate::directory::model::Origin::Online;
    online.family_name = "ENLIGNE".into();
    h.send(Msg::DirectoryResults {
        generation: generation + 1000,
        result: Ok(vec![online.clone()]),
        online_error: None,
    });
    assert!(
        h.state
            .directory
            .results
            .iter()
            .all(|e| e.family_name != "ENLIGNE"),
        "an unknown generation is dropped"
    );
    // The answer to the current query, from the API:
    let current = h.state.generation();
    h.state.directory.pending = Some(current);
    h.send(Msg::DirectoryResults {
        generation: current,
        result: Ok(vec![online]),
        online_error: Some("timeout".into()),
    });
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::DirectoryOnlineFailed)
    );
    h.key("enter");
    h.key("enter");
    let screen = h.render();
    assert!(
        screen.contains("ENLIGNE") && screen.contains("API en ligne"),
        "{screen}"
    );
}
