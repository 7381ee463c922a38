//! The demo mailbox through the `MailSource` trait.

use super::generate;
use crate::domain::mailbox::{
    Flag, FlagChange, FolderRole, ListFilters, ListQuery, MailSource, MessageId, SortKey,
    SourceErrorKind,
};

const NOW: i64 = 1_795_000_000;

fn inbox(threaded: bool) -> ListQuery {
    ListQuery {
        folder: "INBOX".into(),
        sort: SortKey::Date,
        threaded,
        filters: ListFilters::default(),
    }
}

fn ids(source: &dyn MailSource, query: &ListQuery) -> Vec<MessageId> {
    source
        .list(query)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn the_inbox_is_populated_and_deterministic() {
    let a = generate(NOW, 7);
    let b = generate(NOW, 7);
    let list = ids(&a, &inbox(false));
    assert!(list.len() >= 200, "only {} messages", list.len());
    assert_eq!(list, ids(&b, &inbox(false)));
    let rows = a.rows("INBOX", &list).unwrap();
    assert_eq!(rows.len(), list.len(), "every id has a row");
    assert!(rows.iter().any(|r| !r.flags.seen), "some unread");
    assert!(rows.iter().any(|r| r.flags.flagged), "some flagged");
    assert!(rows.iter().any(|r| r.has_attachment), "some attachments");
    assert!(
        rows.windows(2).all(|w| w[0].date >= w[1].date),
        "newest first"
    );
}

#[test]
fn rows_come_in_the_order_asked_and_skip_other_folders() {
    let mailbox = generate(NOW, 7);
    let list = ids(&mailbox, &inbox(false));
    let asked = [list[5], list[2], MessageId(999_999), list[9]];
    let rows = mailbox.rows("INBOX", &asked).unwrap();
    let got: Vec<MessageId> = rows.iter().map(|r| r.id).collect();
    assert_eq!(got, vec![list[5], list[2], list[9]]);
    assert!(mailbox.rows("Sent", &asked).unwrap().is_empty());
    let err = mailbox.rows("Nowhere", &asked).unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::NotFound);
}

#[test]
fn threads_group_replies_under_their_root() {
    let mailbox = generate(NOW, 7);
    let entries = mailbox.list(&inbox(true)).unwrap().entries;
    let replies = entries.iter().filter(|e| e.depth > 0).count();
    assert!(replies > 10, "threads exist");
    for (i, entry) in entries.iter().enumerate().filter(|(_, e)| e.depth > 0) {
        assert!(
            i > 0 && entries[i - 1].depth < entry.depth + 1,
            "a reply follows its thread"
        );
    }
}

#[test]
fn filters_select_and_combine() {
    let mailbox = generate(NOW, 7);
    let with = |filters: ListFilters| {
        let list = ids(
            &mailbox,
            &ListQuery {
                filters,
                ..inbox(false)
            },
        );
        mailbox.rows("INBOX", &list).unwrap()
    };
    let unread = with(ListFilters {
        unread: true,
        ..ListFilters::default()
    });
    assert!(!unread.is_empty() && unread.iter().all(|r| !r.flags.seen));
    let flagged_attached = with(ListFilters {
        flagged: true,
        has_attachment: true,
        ..ListFilters::default()
    });
    assert!(
        flagged_attached
            .iter()
            .all(|r| r.flags.flagged && r.has_attachment)
    );
    let from = with(ListFilters {
        from: Some("lefèvre".into()),
        ..ListFilters::default()
    });
    assert!(!from.is_empty() && from.iter().all(|r| r.from.contains("Lefèvre")));
    let all = with(ListFilters::default());
    let newest = all[0].date;
    let recent = with(ListFilters {
        date_from: Some(newest - 86_400 * 7),
        ..ListFilters::default()
    });
    assert!(!recent.is_empty() && recent.len() < all.len());
    assert!(recent.iter().all(|r| r.date >= newest - 86_400 * 7));
}

#[test]
fn flags_change_and_counts_follow() {
    let mailbox = generate(NOW, 7);
    let unread_query = ListQuery {
        filters: ListFilters {
            unread: true,
            ..ListFilters::default()
        },
        ..inbox(false)
    };
    let before = ids(&mailbox, &unread_query);
    mailbox
        .set_flags(
            "INBOX",
            &before[..1],
            FlagChange {
                flag: Flag::Seen,
                set: true,
            },
        )
        .unwrap();
    assert_eq!(ids(&mailbox, &unread_query).len(), before.len() - 1);
    let info = mailbox
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.role == FolderRole::Inbox)
        .expect("inbox");
    assert_eq!(info.unread, before.len() - 1);
}

#[test]
fn delete_goes_to_trash_and_expunge_empties_it() {
    let mailbox = generate(NOW, 7);
    let list = ids(&mailbox, &inbox(false));
    let victim = list[3];
    let count = |folder: &str| {
        mailbox
            .folders()
            .unwrap()
            .into_iter()
            .find(|f| f.name == folder)
            .map_or(0, |f| f.total)
    };
    let (inbox_before, trash_before) = (count("INBOX"), count("Trash"));
    mailbox.delete("INBOX", &[victim]).unwrap();
    assert_eq!(count("INBOX"), inbox_before - 1);
    assert_eq!(count("Trash"), trash_before + 1);
    assert_eq!(mailbox.expunge("Trash").unwrap(), 0, "nothing marked yet");
    mailbox.delete("Trash", &[victim]).unwrap();
    let row = &mailbox.rows("Trash", &[victim]).unwrap()[0];
    assert!(row.flags.deleted, "deleting in Trash marks \\Deleted");
    assert_eq!(mailbox.expunge("Trash").unwrap(), 1);
    assert_eq!(count("Trash"), trash_before);
    assert!(mailbox.open("Trash", victim).unwrap().is_none());
}

#[test]
fn moves_change_folder_and_refuse_the_same_one() {
    let mailbox = generate(NOW, 7);
    let id = ids(&mailbox, &inbox(false))[0];
    let err = mailbox.move_to("INBOX", &[id], "INBOX").unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Invalid);
    mailbox.move_to("INBOX", &[id], "Archive").unwrap();
    assert!(mailbox.open("INBOX", id).unwrap().is_none());
    assert!(mailbox.open("Archive", id).unwrap().is_some());
}

#[test]
fn opened_messages_are_real_rfc822_and_parse() {
    let mailbox = generate(NOW, 7);
    let list = ids(&mailbox, &inbox(false));
    for id in list {
        let opened = mailbox.open("INBOX", id).unwrap().expect("opens");
        let parsed = crate::mail::mime::parse_message(
            opened.raw.as_slice(),
            &crate::mail::mime::Limits::default(),
        )
        .expect("parses");
        assert!(parsed.headers.subject.is_some());
    }
}

#[test]
fn attachments_decode_and_the_xdm_package_reads() {
    let mailbox = generate(NOW, 7);
    let list = ids(&mailbox, &inbox(false));
    let rows = mailbox.rows("INBOX", &list).unwrap();
    let mut saw_xdm = false;
    for row in rows.iter().filter(|r| r.has_attachment) {
        let data = mailbox
            .attachment("INBOX", row.id, 0)
            .unwrap()
            .expect("first attachment");
        if data.name.as_deref() == Some("IHE_XDM.ZIP") {
            let package =
                crate::mail::xdm::XdmPackage::read(data.bytes.as_slice().to_vec()).expect("xdm");
            assert!(!package.documents.is_empty());
            saw_xdm = true;
        } else {
            assert!(data.bytes.as_slice().starts_with(b"%PDF"));
        }
    }
    assert!(saw_xdm, "the demo carries an IHE XDM package");
}

#[test]
fn search_uses_field_prefixes() {
    let mailbox = generate(NOW, 7);
    let found = mailbox.search("INBOX", "from:lefèvre").unwrap();
    assert!(!found.is_empty());
    let rows = mailbox.rows("INBOX", &found).unwrap();
    assert!(rows.iter().all(|r| r.from.contains("Lefèvre")));
    assert!(mailbox.search("INBOX", "zzzzqqq").unwrap().is_empty());
    let err = mailbox.search("INBOX", "date:notadate").unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Invalid);
}
