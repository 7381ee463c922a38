//! Snapshots of the compose screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("enter r");
    }) {
        insta::assert_snapshot!(format!("compose_{variant}"), screen);
    }
}
