//! Snapshots of the audit screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("g a");
    }) {
        insta::assert_snapshot!(format!("audit_{variant}"), screen);
    }
}
