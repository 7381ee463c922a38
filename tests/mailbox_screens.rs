//! The mailbox and reader screens driven headless (real `update`, `view`
//! and effect code) against in-memory mail sources:
//! - a generated 100k-message folder, scrolled, paged and jumped through,
//!   checking that only the rows near the window are ever asked for;
//! - every message of the shared MIME corpus opened in the reader, whose
//!   screen and full text must hold no control character or bidi override.
//!
//! These sources are in-memory fakes of the `MailSource` trait (no server
//! is involved in what they test: the screens' windowing and rendering).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

mod common;

use cachet::app::i18n::Lang;
use cachet::app::mail_msg::MailEffect;
use cachet::app::state::Screen;
use cachet::app::testing::Harness;
use cachet::domain::mailbox::{
    Bytes, FlagChange, Flags, FolderInfo, FolderRole, ListEntry, ListQuery, MailSource, MessageId,
    MessageList, MessageRow, OpenedMessage, SourceError,
};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const BIG: u64 = 100_000;

/// A folder of `BIG` generated messages; rows are made on demand and every
/// id asked for is counted.
#[derive(Default)]
struct BigFolder {
    row_calls: AtomicUsize,
    ids_asked: AtomicUsize,
    largest_call: AtomicUsize,
    list_calls: AtomicUsize,
}

fn row(id: MessageId) -> MessageRow {
    MessageRow {
        id,
        from: format!("Correspondant {}", id.0 % 97),
        subject: format!("Message numéro {}", id.0),
        date: 1_795_000_000 - id.0 as i64 * 60,
        size: 1_000 + id.0 % 5_000,
        flags: Flags {
            seen: !id.0.is_multiple_of(3),
            flagged: id.0.is_multiple_of(11),
            ..Flags::default()
        },
        has_attachment: id.0.is_multiple_of(7),
        receipt_requested: id.0.is_multiple_of(13),
    }
}

impl MailSource for BigFolder {
    fn folders(&self) -> Result<Vec<FolderInfo>, SourceError> {
        Ok(vec![FolderInfo {
            name: "INBOX".into(),
            role: FolderRole::Inbox,
            total: BIG as usize,
            unread: (BIG / 3) as usize,
        }])
    }

    fn list(&self, _query: &ListQuery) -> Result<MessageList, SourceError> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        Ok(MessageList {
            entries: (0..BIG)
                .map(|i| ListEntry {
                    id: MessageId(i),
                    depth: 0,
                })
                .collect(),
        })
    }

    fn rows(&self, _folder: &str, ids: &[MessageId]) -> Result<Vec<MessageRow>, SourceError> {
        self.row_calls.fetch_add(1, Ordering::Relaxed);
        self.ids_asked.fetch_add(ids.len(), Ordering::Relaxed);
        self.largest_call.fetch_max(ids.len(), Ordering::Relaxed);
        Ok(ids.iter().map(|id| row(*id)).collect())
    }

    fn open(&self, _folder: &str, id: MessageId) -> Result<Option<OpenedMessage>, SourceError> {
        let raw = format!(
            "From: Correspondant <c@example.test>\r\nTo: moi@example.test\r\nSubject: Message numéro {}\r\nDate: Wed, 18 Nov 2026 10:00:00 +0000\r\n\r\nCorps du message {}.\r\n",
            id.0, id.0
        );
        Ok(Some(OpenedMessage {
            id,
            flags: row(id).flags,
            raw: Bytes::new(raw.into_bytes()),
        }))
    }

    fn set_flags(&self, _: &str, _: &[MessageId], _: FlagChange) -> Result<(), SourceError> {
        Ok(())
    }
    fn move_to(&self, _: &str, _: &[MessageId], _: &str) -> Result<(), SourceError> {
        Ok(())
    }
    fn delete(&self, _: &str, _: &[MessageId]) -> Result<(), SourceError> {
        Ok(())
    }
    fn expunge(&self, _: &str) -> Result<usize, SourceError> {
        Ok(0)
    }
    fn search(&self, _: &str, _: &str) -> Result<Vec<MessageId>, SourceError> {
        Ok(Vec::new())
    }
}

#[test]
fn a_100k_folder_scrolls_asking_only_for_the_rows_near_the_window() {
    let source = Arc::new(BigFolder::default());
    let mut h = Harness::with_mail(Lang::Fr, 100, 30, source.clone());
    assert_eq!(h.state.mailbox.entries.len(), BIG as usize);
    assert_eq!(source.list_calls.load(Ordering::Relaxed), 1);
    let height = cachet::ui::screens::mailbox::page_height(&h.state);
    // The window plus a margin on each side: the most any request may ask.
    let bound = height + 2 * cachet::ui::screens::mailbox::window::margin(height);

    // Line by line, page by page, to the end and back, and a few jumps.
    for _ in 0..200 {
        h.key("j");
    }
    for _ in 0..50 {
        h.key("ctrl-d");
    }
    h.key("G");
    assert_eq!(h.state.mailbox.cursor.selected, BIG as usize - 1);
    let screen = h.render();
    assert!(
        screen.contains(&format!("Message numéro {}", BIG - 1)),
        "{screen}"
    );
    for _ in 0..30 {
        h.key("ctrl-u");
    }
    h.keys("g g");
    assert_eq!(h.state.mailbox.cursor.selected, 0);
    assert!(h.render().contains("Message numéro 0"));

    let calls = source.row_calls.load(Ordering::Relaxed);
    let asked = source.ids_asked.load(Ordering::Relaxed);
    let largest = source.largest_call.load(Ordering::Relaxed);
    eprintln!(
        "100k folder: {calls} row requests, {asked} ids in all, at most {largest} at once (window {height}, bound {bound})"
    );
    assert!(
        largest <= bound,
        "one request asked {largest} ids (> {bound})"
    );
    // 283 moves; each may ask for at most one window's worth.
    assert!(
        asked <= calls * bound && asked < 283 * bound,
        "{asked} ids in {calls} requests"
    );
    assert!(
        asked < (BIG as usize) / 10,
        "{asked} ids asked for a {BIG}-message folder"
    );
    assert!(
        h.state.mailbox.rows.len()
            <= height + 4 * cachet::ui::screens::mailbox::window::margin(height),
        "the row cache stays small: {}",
        h.state.mailbox.rows.len()
    );
    // Every Rows effect the update emitted was bounded too.
    for effect in &h.mail_log {
        if let MailEffect::Rows { ids, .. } = effect {
            assert!(ids.len() <= bound);
        }
    }

    // Opening the last message from a jump works like any other.
    h.key("G");
    h.key("enter");
    assert_eq!(h.state.screen, Screen::Reader);
    assert!(
        h.render()
            .contains(&format!("Corps du message {}", BIG - 1))
    );
}

/// The shared MIME corpus as one folder, message by message.
struct CorpusFolder {
    messages: Vec<Vec<u8>>,
}

fn messages_of(path: &Path, bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if path.extension().and_then(|e| e.to_str()) != Some("mbox") {
        return vec![bytes];
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
            continue;
        }
        if let Some(current) = out.last_mut() {
            current.extend_from_slice(line);
        }
    }
    out
}

impl MailSource for CorpusFolder {
    fn folders(&self) -> Result<Vec<FolderInfo>, SourceError> {
        Ok(vec![FolderInfo {
            name: "INBOX".into(),
            role: FolderRole::Inbox,
            total: self.messages.len(),
            unread: 0,
        }])
    }
    fn list(&self, _: &ListQuery) -> Result<MessageList, SourceError> {
        Ok(MessageList {
            entries: (0..self.messages.len() as u64)
                .map(|i| ListEntry {
                    id: MessageId(i),
                    depth: 0,
                })
                .collect(),
        })
    }
    fn rows(&self, _: &str, ids: &[MessageId]) -> Result<Vec<MessageRow>, SourceError> {
        let limits = cachet::mail::mime::Limits::default();
        Ok(ids
            .iter()
            .map(|id| {
                let env = self
                    .messages
                    .get(id.0 as usize)
                    .and_then(|raw| cachet::mail::mime::envelope_from_bytes(0, raw, &limits).ok())
                    .unwrap_or_default();
                MessageRow {
                    id: *id,
                    from: env.sender().map(|a| a.to_string()).unwrap_or_default(),
                    subject: env.subject.clone(),
                    date: env.date.map_or(0, |d| d.utc_seconds),
                    size: env.size,
                    flags: Flags {
                        seen: true,
                        ..Flags::default()
                    },
                    has_attachment: env.has_attachment,
                    receipt_requested: env.receipt_requested,
                }
            })
            .collect())
    }
    fn open(&self, _: &str, id: MessageId) -> Result<Option<OpenedMessage>, SourceError> {
        Ok(self.messages.get(id.0 as usize).map(|raw| OpenedMessage {
            id,
            flags: Flags::default(),
            raw: Bytes::new(raw.clone()),
        }))
    }
    fn set_flags(&self, _: &str, _: &[MessageId], _: FlagChange) -> Result<(), SourceError> {
        Ok(())
    }
    fn move_to(&self, _: &str, _: &[MessageId], _: &str) -> Result<(), SourceError> {
        Ok(())
    }
    fn delete(&self, _: &str, _: &[MessageId]) -> Result<(), SourceError> {
        Ok(())
    }
    fn expunge(&self, _: &str) -> Result<usize, SourceError> {
        Ok(0)
    }
    fn search(&self, _: &str, _: &str) -> Result<Vec<MessageId>, SourceError> {
        Ok(Vec::new())
    }
}

/// Control characters (C0 but newline, DEL, C1) and bidi controls.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[test]
fn every_corpus_message_reads_in_the_reader_without_control_characters() {
    let Some(corpus) = common::corpus_dir() else {
        eprintln!("corpus absent, skipped");
        return;
    };
    let paths = common::files_under(&corpus.join("mime"), &["eml", "mbox"]);
    let messages: Vec<Vec<u8>> = paths
        .iter()
        .flat_map(|p| messages_of(p, std::fs::read(p).expect("readable")))
        .collect();
    assert!(messages.len() > 100, "only {} messages", messages.len());
    let count = messages.len();
    let source = Arc::new(CorpusFolder { messages });
    let mut h = Harness::with_mail(Lang::Fr, 80, 24, source);
    let mut opened = 0;
    for index in 0..count {
        h.state.screen = Screen::Mailbox;
        h.state.mailbox.cursor.selected = index;
        h.state.mailbox.cursor.offset = index;
        h.key("enter");
        assert_eq!(h.state.screen, Screen::Reader);
        let screen = h.render();
        if let Some(bad) = screen.chars().find(|c| unsafe_char(*c)) {
            panic!(
                "message {index} ({:?}) shows {bad:?}:\n{screen}",
                paths.get(index)
            );
        }
        if let Some(doc) = &h.state.reader.message {
            opened += 1;
            for width in [80, 60, 20] {
                for line in cachet::ui::screens::reader::view::message_lines(doc, width, &h.ui) {
                    for span in &line.spans {
                        assert!(
                            !span.content.chars().any(unsafe_char),
                            "message {index}: {:?}",
                            span.content
                        );
                    }
                }
            }
        }
        // The list row of every message is terminal-safe too.
        h.state.screen = Screen::Mailbox;
        let list = h.render();
        assert!(!list.chars().any(unsafe_char), "list at {index}:\n{list}");
    }
    assert!(opened * 10 >= count * 9, "only {opened} of {count} opened");
}
