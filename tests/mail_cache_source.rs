//! The mailbox screens' `MailSource` over the encrypted cache, filled with the
//! generated demo mailbox through the same cache code a sync uses (what
//! `cachet demo` runs): folder counts, threaded windowed lists, rows for the
//! ids on screen, messages opened from cached bodies, flags, delete to
//! Trash, expunge, filters and search. No server: the demo has none.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use cachet::domain::mailbox::{
    Flag, FlagChange, FolderRole, ListFilters, ListQuery, MailSource, SortKey,
};
use cachet::mail::cache::CachedMailSource;
use cachet::mail::cache::import::{RawFolder, RawMessage, import_account};
use cachet::mail::imap::types::{Flags, SpecialUse};

fn demo_source() -> (tempfile::TempDir, CachedMailSource, usize) {
    let (dir, store) = common::new_store("810000000099");
    let demo = cachet::demo::generate(1_795_000_000, 2026).raw_folders();
    let total = demo.iter().map(|f| f.messages.len()).sum();
    let folders = demo
        .into_iter()
        .map(|f| RawFolder {
            special_use: match f.role {
                FolderRole::Inbox => Some(SpecialUse::Inbox),
                FolderRole::Sent => Some(SpecialUse::Sent),
                FolderRole::Drafts => Some(SpecialUse::Drafts),
                FolderRole::Trash => Some(SpecialUse::Trash),
                FolderRole::Archive => Some(SpecialUse::Archive),
                FolderRole::Other => None,
            },
            name: f.name,
            messages: f
                .messages
                .into_iter()
                .map(|(uid, flags, raw)| RawMessage {
                    uid,
                    flags: if flags.seen {
                        Flags::of([Flags::SEEN])
                    } else {
                        Flags::default()
                    },
                    raw,
                })
                .collect(),
        })
        .collect();
    import_account(&store, "demo", folders).unwrap();
    (dir, CachedMailSource::local(store, "demo"), total)
}

fn query(folder: &str) -> ListQuery {
    ListQuery {
        folder: folder.into(),
        sort: SortKey::Date,
        threaded: true,
        filters: ListFilters::default(),
    }
}

#[test]
fn the_demo_mailbox_is_served_by_the_cache() {
    let (_dir, source, total) = demo_source();
    let folders = source.folders().unwrap();
    assert_eq!(folders[0].name, "INBOX");
    assert_eq!(folders[0].role, FolderRole::Inbox);
    assert_eq!(folders.iter().map(|f| f.total).sum::<usize>(), total);
    let inbox_total = folders[0].total;
    assert!(inbox_total >= 200, "the demo inbox holds at least 200");

    // windowed: all ids with depth, rows only for the screen
    let list = source.list(&query("INBOX")).unwrap();
    assert_eq!(list.entries.len(), inbox_total);
    assert!(list.entries.iter().any(|e| e.depth > 0), "threads");
    let screen: Vec<_> = list.entries.iter().take(20).map(|e| e.id).collect();
    let rows = source.rows("INBOX", &screen).unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), screen);
    assert!(rows.iter().all(|r| !r.from.is_empty() && r.date > 0));

    // open: the raw message parses
    let id = screen[0];
    let opened = source.open("INBOX", id).unwrap().expect("cached body");
    let parsed = cachet::mail::mime::parse_message(
        opened.raw.as_slice(),
        &cachet::mail::mime::Limits::default(),
    )
    .unwrap();
    assert_eq!(
        parsed.headers.subject.as_deref(),
        Some(rows[0].subject.as_str())
    );

    // flags, then the unread filter
    let unread_before = source
        .list(&ListQuery {
            filters: ListFilters {
                unread: true,
                ..ListFilters::default()
            },
            ..query("INBOX")
        })
        .unwrap()
        .entries
        .len();
    let unread_id = source
        .list(&ListQuery {
            filters: ListFilters {
                unread: true,
                ..ListFilters::default()
            },
            ..query("INBOX")
        })
        .unwrap()
        .entries[0]
        .id;
    source
        .set_flags(
            "INBOX",
            &[unread_id],
            FlagChange {
                flag: Flag::Seen,
                set: true,
            },
        )
        .unwrap();
    let unread_after = source
        .list(&ListQuery {
            filters: ListFilters {
                unread: true,
                ..ListFilters::default()
            },
            ..query("INBOX")
        })
        .unwrap()
        .entries
        .len();
    assert_eq!(unread_after + 1, unread_before);
    source
        .set_flags(
            "INBOX",
            &[id],
            FlagChange {
                flag: Flag::Flagged,
                set: true,
            },
        )
        .unwrap();
    let flagged = source
        .list(&ListQuery {
            filters: ListFilters {
                flagged: true,
                ..ListFilters::default()
            },
            ..query("INBOX")
        })
        .unwrap();
    assert!(flagged.entries.iter().any(|e| e.id == id));

    // search: the sender of the first row is found by from:
    let word = rows[0].from.split_whitespace().last().unwrap().to_string();
    let found = source.search("INBOX", &format!("from:{word}")).unwrap();
    assert!(found.contains(&id), "from:{word}");

    // delete goes to Trash; expunge in Trash removes for good
    let trash_before = source.list(&query("Trash")).unwrap().entries.len();
    source.delete("INBOX", &[id]).unwrap();
    assert!(
        !source
            .list(&query("INBOX"))
            .unwrap()
            .entries
            .iter()
            .any(|e| e.id == id)
    );
    let trash = source.list(&query("Trash")).unwrap();
    assert_eq!(trash.entries.len(), trash_before + 1);
    let moved = trash.entries[0].id;
    let row = &source.rows("Trash", &[moved]).unwrap()[0];
    assert_eq!(row.subject, rows[0].subject);
    assert!(
        source.open("Trash", moved).unwrap().is_some(),
        "body moved too"
    );
    source.delete("Trash", &[moved]).unwrap();
    assert_eq!(source.expunge("Trash").unwrap(), 1);
    assert_eq!(
        source.list(&query("Trash")).unwrap().entries.len(),
        trash_before
    );
    let counts = source.folders().unwrap();
    assert_eq!(counts[0].total, inbox_total - 1);
}
