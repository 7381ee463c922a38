//! Snapshots of the help screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.key("?");
    }) {
        insta::assert_snapshot!(format!("help_{variant}"), screen);
    }
}
