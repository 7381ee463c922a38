//! Snapshots of the directory screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("g d");
    }) {
        insta::assert_snapshot!(format!("directory_{variant}"), screen);
    }
}
