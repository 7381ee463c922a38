//! Snapshots of the reader screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("j enter");
    }) {
        insta::assert_snapshot!(format!("reader_{variant}"), screen);
    }
}
