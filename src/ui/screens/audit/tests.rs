//! The audit screen: snapshots of its empty state, and the trail of a real
//! (temporary) profile shown with filters.

use crate::app::i18n::Lang;
use crate::app::msg::Msg;
use crate::app::testing::{Harness, variants};
use crate::audit::{Action, AuditEvent, Outcome, Target};

#[test]
fn snapshots() {
    for (variant, screen) in variants(|h| h.keys("g a")) {
        insta::assert_snapshot!(format!("audit_{variant}"), screen);
    }
}

#[test]
fn entries_show_hashed_targets_and_filter_by_action() {
    let folder = crate::app::testing::tempfile_free::Folder::new("audit-screen");
    let card = crate::store::SoftwareUnwrapper::generate("810100000017").expect("a software card");
    let (store, _) = crate::store::Profiles::new(&folder.path)
        .create(
            &card,
            crate::store::CreateOptions {
                with_recovery_code: false,
            },
        )
        .expect("profile");
    for (action, outcome) in [
        (Action::Read, Outcome::Success),
        (Action::RecordOpen, Outcome::Success),
        (Action::Unlock, Outcome::Denied),
    ] {
        let event = AuditEvent {
            action,
            target: Some(Target::Patient {
                ins: "280037511234595".into(),
            }),
            request: format!("{} request", action.as_str()),
            response: None,
            outcome,
        };
        crate::audit::append(&store, &event).expect("appended");
    }
    let all = crate::audit::query(
        &store,
        &crate::audit::AuditQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .expect("query");

    let mut h = Harness::demo(Lang::Fr, 120, 30);
    h.state.audit.available = true;
    h.keys("g a");
    let generation = h.state.audit.loading.expect("a load was asked");
    h.send(Msg::AuditLoaded {
        generation,
        result: Ok(all.entries.clone()),
    });
    let screen = h.render();
    assert!(
        screen.contains("record_open") && screen.contains("unlock"),
        "{screen}"
    );
    assert!(
        !screen.contains("280037511234595"),
        "the INS never shows in clear:\n{screen}"
    );
    assert!(screen.contains("patient:"), "{screen}");

    h.key("f");
    assert!(
        h.outside
            .iter()
            .any(|e| e.contains("LoadAudit") && e.contains("Read")),
        "{:?}",
        h.outside
    );
}
