//! The records screen: snapshots, the INS → list → open flow, masking,
//! break-glass, stale answers.

use crate::app::i18n::{Lang, T};
use crate::app::msg::Msg;
use crate::app::state::Screen;
use crate::app::testing::{Harness, variants};
use crate::demo::records::demo_patient_ins;

fn type_ins(h: &mut Harness, ins: &str) {
    h.key("/");
    for c in ins.chars() {
        h.key(&c.to_string());
    }
    h.key("enter");
}

#[test]
fn snapshots() {
    for (variant, screen) in variants(|h| h.keys("g r")) {
        insta::assert_snapshot!(format!("records_{variant}"), screen);
    }
}

#[test]
fn list_and_document_snapshots() {
    for (variant, screen) in variants(|h| {
        h.keys("g r");
        type_ins(h, &demo_patient_ins());
    }) {
        insta::assert_snapshot!(format!("records_list_{variant}"), screen);
    }
    for (variant, screen) in variants(|h| {
        h.keys("g r");
        type_ins(h, &demo_patient_ins());
        h.key("enter");
    }) {
        insta::assert_snapshot!(format!("records_biology_{variant}"), screen);
    }
}

#[test]
fn ins_then_list_then_open_a_biology_report_as_a_table() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.keys("g r");
    assert_eq!(h.state.screen, Screen::Records);
    type_ins(&mut h, &demo_patient_ins());
    assert_eq!(
        h.state.records.documents.len(),
        4,
        "the masked document is absent"
    );
    assert!(
        h.state
            .records
            .documents
            .iter()
            .all(|d| !d.masking.hidden_from_professionals)
    );
    h.key("enter");
    let screen = h.render();
    assert!(
        screen.contains("Hémoglobine glyquée") && screen.contains('│'),
        "{screen}"
    );
    h.key("q");
    assert!(
        h.state.records.viewer.is_none(),
        "q closes the document first"
    );
    assert_eq!(h.state.screen, Screen::Records);
}

#[test]
fn a_wrong_ins_key_is_refused_before_any_request() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.keys("g r");
    let ins = demo_patient_ins();
    let wrong = format!(
        "{}{:02}",
        &ins[..13],
        (ins[13..].parse::<u8>().unwrap_or(0) + 1) % 98
    );
    type_ins(&mut h, &wrong);
    assert!(h.state.records.patient.is_none());
    assert!(
        h.state.records.input.is_some(),
        "the field stays open for a correction"
    );
    assert!(
        h.state
            .notifications
            .iter()
            .any(|n| n.text == T::RecordsInvalidIns)
    );
    assert!(!h.outside.iter().any(|e| e.contains("FindRecords")));
}

#[test]
fn break_glass_needs_a_reason_and_stays_visible() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.keys("g r");
    type_ins(&mut h, &demo_patient_ins());
    h.key("!");
    for c in "court".chars() {
        h.key(&c.to_string());
    }
    h.key("enter");
    assert!(
        h.state.records.emergency.is_none(),
        "a reason under 10 characters is refused"
    );
    h.key("esc");
    h.key("!");
    for c in "Patient inconscient aux urgences".chars() {
        h.key(
            if c == ' ' { "space" } else { "" }
                .is_empty()
                .then(|| c.to_string())
                .as_deref()
                .unwrap_or("space"),
        );
    }
    h.key("enter");
    assert!(h.state.records.emergency.is_some());
    assert!(h.render().contains("ACCÈS EN URGENCE"));
    assert_eq!(
        h.state.records.documents.len(),
        4,
        "masking holds under break-glass"
    );
}

#[test]
fn the_lock_clears_documents_and_unlock_lists_them_again() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.keys("g r");
    type_ins(&mut h, &demo_patient_ins());
    h.key("enter");
    h.key("ctrl-l");
    assert!(h.state.records.documents.is_empty() && h.state.records.viewer.is_none());
    h.keys("1 2 3 4 enter");
    assert_eq!(h.state.screen, Screen::Records);
    assert_eq!(h.state.records.documents.len(), 4);
}

#[test]
fn stale_answers_are_dropped() {
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.keys("g r");
    type_ins(&mut h, &demo_patient_ins());
    let before = h.state.records.documents.len();
    h.send(Msg::RecordsListed {
        generation: 1,
        result: Ok(Vec::new()),
        offline: false,
    });
    assert_eq!(h.state.records.documents.len(), before);
}

#[test]
fn a_list_from_the_cache_is_marked_offline() {
    for (variant, screen) in variants(|h| {
        h.keys("g r");
        type_ins(h, &demo_patient_ins());
        let generation = h.state.generation();
        h.state.records.loading = Some(generation);
        let documents = h.state.records.documents.clone();
        h.send(Msg::RecordsListed {
            generation,
            result: Ok(documents),
            offline: true,
        });
    }) {
        insta::assert_snapshot!(format!("records_offline_{variant}"), screen);
    }
    let mut h = Harness::demo(Lang::En, 100, 30);
    h.keys("g r");
    type_ins(&mut h, &demo_patient_ins());
    assert!(!h.state.records.offline);
    assert!(!h.render().contains("Offline"));
    let generation = h.state.generation();
    h.state.records.loading = Some(generation);
    h.send(Msg::RecordsListed {
        generation,
        result: Ok(Vec::new()),
        offline: true,
    });
    assert!(h.state.records.offline);
    assert!(h.render().contains("Offline: local copy"));
    h.key("ctrl-l");
    assert!(!h.state.records.offline, "the lock clears the marker");
}
