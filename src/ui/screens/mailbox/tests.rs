//! Snapshots of the mailbox screen at 80x24 and 60x20, in French and English.

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("j j");
    }) {
        insta::assert_snapshot!(format!("mailbox_{variant}"), screen);
    }
}
