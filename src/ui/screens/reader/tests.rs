//! Snapshots of the reader screen at 80x24 and 60x20, in French and English.

use crate::app::testing::Harness;
use crate::domain::mailbox::{MessageId, MessageRow};

/// Opens the first inbox message whose row matches.
fn open_where(h: &mut Harness, wanted: impl Fn(&MessageRow) -> bool) {
    let ids: Vec<MessageId> = h.state.mailbox.entries.iter().map(|e| e.id).collect();
    let rows = h.mail.rows("INBOX", &ids).unwrap_or_default();
    let Some(index) = rows.iter().position(wanted) else {
        panic!("no matching message in the demo");
    };
    h.state.mailbox.cursor.selected = index;
    h.state.mailbox.cursor.offset = index;
    h.key("enter");
}

/// A read receipt (MDN) shown as a receipt.
#[test]
fn snapshots() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        h.keys("j enter");
    }) {
        insta::assert_snapshot!(format!("reader_{variant}"), screen);
    }
}

/// A letter with a PDF attachment, scrolled to its end: links listed, the
/// attachment chooser.
#[test]
fn snapshots_attachment_and_links() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        open_where(h, |r| {
            r.has_attachment && r.subject.starts_with("Compte rendu de consultation")
        });
        for _ in 0..40 {
            h.key("j");
        }
    }) {
        insta::assert_snapshot!(format!("reader_attachment_{variant}"), screen);
    }
}

/// The save prompt with its suggested path.
#[test]
fn snapshots_save_prompt() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        open_where(h, |r| r.has_attachment);
        h.key("S");
    }) {
        insta::assert_snapshot!(format!("reader_save_prompt_{variant}"), screen);
    }
}

/// The documents of an IHE XDM package.
#[test]
fn snapshots_xdm_listing() {
    for (variant, screen) in crate::app::testing::variants(|h| {
        let ids: Vec<MessageId> = h.state.mailbox.entries.iter().map(|e| e.id).collect();
        let index = ids.iter().position(|id| {
            h.mail
                .attachment("INBOX", *id, 0)
                .ok()
                .flatten()
                .is_some_and(|a| a.name.as_deref() == Some("IHE_XDM.ZIP"))
        });
        let Some(index) = index else {
            panic!("no XDM message in the demo");
        };
        h.state.mailbox.cursor.selected = index;
        h.state.mailbox.cursor.offset = index;
        h.keys("enter x");
    }) {
        insta::assert_snapshot!(format!("reader_xdm_{variant}"), screen);
    }
}
