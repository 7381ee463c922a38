//! Snapshots of the records screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("g r");
    }) {
        insta::assert_snapshot!(format!("records_{variant}"), screen);
    }
}
