//! Snapshots of the mailbox screen at 80x24 and 60x20, in French and English.

use crate::app::mail_msg::MailEvent;
use crate::app::msg::Msg;

#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("j j");
    }) {
        insta::assert_snapshot!(format!("mailbox_{variant}"), screen);
    }
}

/// Threads, a filter (attachments) and the offline marker in the title and status bar.
#[test]
fn snapshots_threads_filters_offline() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("t @");
        let folders = h.mail.folders();
        h.send(Msg::Mail(MailEvent::Folders {
            result: folders,
            offline: true,
        }));
    }) {
        insta::assert_snapshot!(format!("mailbox_filtered_offline_{variant}"), screen);
    }
}

#[test]
fn snapshots_search_results() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("/ f r o m : l a b o r a t o i r e enter");
    }) {
        insta::assert_snapshot!(format!("mailbox_search_{variant}"), screen);
    }
}

#[test]
fn snapshots_move_picker() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.key("s");
    }) {
        insta::assert_snapshot!(format!("mailbox_move_{variant}"), screen);
    }
}
