//! Snapshots of the login screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.state.screen = crate::app::state::Screen::Login;
        h.state.login.reader_present = true;
    }) {
        insta::assert_snapshot!(format!("login_{variant}"), screen);
    }
}

#[test]
fn lock_snapshots_show_no_patient_data() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("j enter ctrl-l 0 0");
    }) {
        assert!(
            !screen.contains("Dr ") || screen.contains("Dr Alice Martin"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("lock_{variant}"), screen);
    }
}
