//! The generated demo mailbox and its [`MailSource`] implementation.

use super::corpus::{
    CLOSINGS, COLLEAGUES, Colleague, LETTERS, ME_EMAIL, ME_NAME, PATIENTS, REPLIES,
};
use crate::domain::mailbox::{
    AttachmentInfo, Flags, FolderInfo, FolderRole, ListQuery, MailSource, MessageId, MessageRow,
    OpenedMessage, SortKey,
};
use crate::domain::text::{Emphasis, Line, RichText};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct DemoMessage {
    id: MessageId,
    folder: usize,
    message_id: String,
    thread_root: String,
    depth: u16,
    from: String,
    to: String,
    cc: String,
    date: i64,
    subject: String,
    body: String,
    attachments: Vec<AttachmentInfo>,
    flags: Flags,
    receipt_requested: bool,
}

/// A whole generated mailbox.
pub struct DemoMailbox {
    folders: Vec<(String, FolderRole)>,
    messages: Vec<DemoMessage>,
    flags: Mutex<HashMap<MessageId, Flags>>,
    /// When the mailbox lives in an encrypted profile, flag changes go there too.
    store: Option<crate::store::StoreHandle>,
}

const DAY: i64 = 86_400;

/// The demo's folders, in display order.
fn demo_folders() -> Vec<(String, FolderRole)> {
    [
        ("INBOX", FolderRole::Inbox),
        ("Sent", FolderRole::Sent),
        ("Drafts", FolderRole::Drafts),
        ("Archive", FolderRole::Archive),
        ("Trash", FolderRole::Trash),
    ]
    .into_iter()
    .map(|(name, role)| (name.to_string(), role))
    .collect()
}

/// Generates the demo mailbox for a given `now` (seconds since the epoch)
/// and `seed`. The inbox holds at least 200 messages in threads.
pub fn generate(now: i64, seed: u64) -> DemoMailbox {
    let mut rng = fastrand::Rng::with_seed(seed);
    let folders = demo_folders();
    let mut messages = Vec::new();
    let mut next_id = 1u64;
    let me = format!("{ME_NAME} <{ME_EMAIL}>");
    let threads = 180;
    for thread in 0..threads {
        let letter = &LETTERS[rng.usize(..LETTERS.len())];
        let colleague =
            &COLLEAGUES[letter.senders[rng.usize(..letter.senders.len())] % COLLEAGUES.len()];
        let patient = PATIENTS[rng.usize(..PATIENTS.len())];
        // Older threads first; the newest thread is a few minutes old.
        let age = (threads - thread) as i64 * (80 * DAY / threads as i64) + rng.i64(0..3600);
        let mut date = now - age;
        let folder = if thread < 18 { 3 } else { 0 };
        let root = format!("<demo.{thread}.{seed}@cabinet-exemple.mssante.test>");
        let subject = letter.subject.replace("{patient}", patient);
        let length = if rng.u8(..10) < 6 {
            1
        } else {
            2 + rng.usize(..4)
        };
        for position in 0..length {
            let from_me = position % 2 == 1;
            let sender = if from_me {
                me.clone()
            } else {
                address(colleague)
            };
            let body = if position == 0 {
                letter_body(colleague, patient, letter, &mut rng)
            } else {
                reply_body(colleague, from_me, &mut rng)
            };
            let attachments = match (position, letter.attachment) {
                (0, Some((name, mime))) => {
                    vec![AttachmentInfo {
                        name: name.into(),
                        mime_type: mime.into(),
                        size: 20_000 + rng.u64(..400_000),
                    }]
                }
                _ => Vec::new(),
            };
            let recent = now - date < 4 * DAY;
            let flags = Flags {
                seen: from_me || !recent || rng.u8(..10) < 3,
                flagged: !from_me && rng.u8(..100) < 12,
                answered: position + 1 < length && !from_me,
            };
            let flags = Flags {
                seen: flags.seen || flags.answered,
                ..flags
            };
            let message_id = if position == 0 {
                root.clone()
            } else {
                format!("<demo.{thread}.{position}.{seed}@cabinet-exemple.mssante.test>")
            };
            let message = DemoMessage {
                id: MessageId(next_id),
                folder: if from_me { 1 } else { folder },
                message_id,
                thread_root: root.clone(),
                depth: position as u16,
                from: sender,
                to: if from_me {
                    address(colleague)
                } else {
                    me.clone()
                },
                cc: String::new(),
                date,
                subject: if position == 0 {
                    subject.clone()
                } else {
                    format!("RE: {subject}")
                },
                body,
                attachments,
                flags,
                receipt_requested: position == 0 && rng.u8(..10) < 2,
            };
            next_id += 1;
            messages.push(message);
            date += 3600 + rng.i64(0..DAY);
            if date > now {
                date = now - rng.i64(60..600);
            }
        }
    }
    for (i, subject) in [
        "Brouillon : courrier d'adressage",
        "Brouillon : réponse au laboratoire",
    ]
    .iter()
    .enumerate()
    {
        messages.push(DemoMessage {
            id: MessageId(next_id + i as u64),
            folder: 2,
            message_id: format!("<draft.{i}.{seed}@cabinet-exemple.mssante.test>"),
            thread_root: format!("<draft.{i}.{seed}@cabinet-exemple.mssante.test>"),
            depth: 0,
            from: me.clone(),
            to: address(&COLLEAGUES[i]),
            cc: String::new(),
            date: now - (i as i64 + 1) * 7200,
            subject: (*subject).to_string(),
            body: "À compléter.".into(),
            attachments: Vec::new(),
            flags: Flags {
                seen: true,
                ..Flags::default()
            },
            receipt_requested: false,
        });
    }
    let flags = messages.iter().map(|m| (m.id, m.flags)).collect();
    DemoMailbox {
        folders,
        messages,
        flags: Mutex::new(flags),
        store: None,
    }
}

fn address(colleague: &Colleague) -> String {
    format!("{} <{}>", colleague.name, colleague.email)
}

fn letter_body(
    colleague: &Colleague,
    patient: &str,
    letter: &super::corpus::LetterKind,
    rng: &mut fastrand::Rng,
) -> String {
    let mut body = format!(
        "{}\n\n",
        colleague
            .salutation
            .replace("Cher confrère,", "Chère consœur,")
    );
    for paragraph in letter.paragraphs {
        body.push_str(&paragraph.replace("{patient}", patient));
        body.push_str("\n\n");
    }
    body.push_str(CLOSINGS[rng.usize(..CLOSINGS.len())]);
    body.push_str(&format!(
        "\n\n-- \n{}\n{}\n",
        colleague.name, colleague.role
    ));
    body
}

fn reply_body(colleague: &Colleague, from_me: bool, rng: &mut fastrand::Rng) -> String {
    let text = REPLIES[rng.usize(..REPLIES.len())];
    let quoted = REPLIES[rng.usize(..REPLIES.len())];
    let signature = if from_me { ME_NAME } else { colleague.name };
    format!(
        "Bonjour,\n\n{text}\n\n{}\n\n-- \n{signature}\n\n> {quoted}\n> \n> Bien cordialement,\n",
        CLOSINGS[0]
    )
}

const DEMO_ACCOUNT: &str = "demo";

impl DemoMailbox {
    /// Writes every message into the practitioner's encrypted store.
    pub fn save_to(&self, store: &crate::store::Store) -> Result<(), crate::store::Error> {
        let mut batch = store.batch()?;
        for m in &self.messages {
            let folder = crate::store::FolderRef {
                account: DEMO_ACCOUNT,
                folder: &self.folders[m.folder].0,
            };
            batch.put_envelope(folder, m.id.0 as u32, Some(&m.message_id), m)?;
        }
        batch.commit(crate::store::Durability::Flush)
    }

    /// The mailbox as read back from the encrypted store: the demo opens its
    /// generated data through the store, like a cached mailbox.
    pub fn load_from(
        handle: crate::store::StoreHandle,
    ) -> Result<DemoMailbox, crate::store::Error> {
        let folders = demo_folders();
        let names: Vec<String> = folders.iter().map(|(n, _)| n.clone()).collect();
        let messages = handle.call(
            move |store| -> Result<Vec<DemoMessage>, crate::store::Error> {
                let mut all = Vec::new();
                for name in &names {
                    let folder = crate::store::FolderRef {
                        account: DEMO_ACCOUNT,
                        folder: name,
                    };
                    let page = store.envelopes_page::<DemoMessage>(folder, None, usize::MAX)?;
                    all.extend(page.items.into_iter().map(|(_, m)| m));
                }
                Ok(all)
            },
        )??;
        let flags = messages.iter().map(|m| (m.id, m.flags)).collect();
        Ok(DemoMailbox {
            folders,
            messages,
            flags: Mutex::new(flags),
            store: Some(handle),
        })
    }

    fn folder_index(&self, name: &str) -> Option<usize> {
        self.folders.iter().position(|(n, _)| n == name)
    }

    fn current_flags(&self, message: &DemoMessage) -> Flags {
        self.flags
            .lock()
            .map(|f| f.get(&message.id).copied().unwrap_or(message.flags))
            .unwrap_or(message.flags)
    }

    pub fn message_count(&self) -> usize {
        self.messages.len()
    }
}

fn display_name(address: &str) -> String {
    match address.split_once(" <") {
        Some((name, _)) => name.to_string(),
        None => address.to_string(),
    }
}

fn body_to_rich_text(body: &str) -> RichText {
    let mut text = RichText::default();
    let mut in_signature = false;
    for line in body.lines() {
        if line == "-- " {
            in_signature = true;
        }
        let depth = line.chars().take_while(|c| *c == '>').count();
        let emphasis = if depth > 0 {
            Emphasis::Quote(depth.min(9) as u8)
        } else if in_signature {
            Emphasis::Muted
        } else {
            Emphasis::Plain
        };
        text.push_line(Line::styled(line, emphasis));
    }
    text
}

impl MailSource for DemoMailbox {
    fn folders(&self) -> Vec<FolderInfo> {
        self.folders
            .iter()
            .enumerate()
            .map(|(index, (name, role))| {
                let in_folder = self.messages.iter().filter(|m| m.folder == index);
                let (total, unread) = in_folder.fold((0, 0), |(t, u), m| {
                    (t + 1, u + usize::from(!self.current_flags(m).seen))
                });
                FolderInfo {
                    name: name.clone(),
                    role: *role,
                    total,
                    unread,
                }
            })
            .collect()
    }

    fn list(&self, query: &ListQuery) -> Vec<MessageRow> {
        let Some(folder) = self.folder_index(&query.folder) else {
            return Vec::new();
        };
        let mut selected: Vec<&DemoMessage> = self
            .messages
            .iter()
            .filter(|m| m.folder == folder)
            .filter(|m| !query.unread_only || !self.current_flags(m).seen)
            .collect();
        let sort_key = |m: &DemoMessage| -> (String, i64) {
            match query.sort {
                SortKey::Date => (String::new(), -m.date),
                SortKey::Sender => (display_name(&m.from).to_lowercase(), -m.date),
                SortKey::Subject => (m.subject.trim_start_matches("RE: ").to_lowercase(), -m.date),
                SortKey::Size => (String::new(), -(m.body.len() as i64)),
            }
        };
        if query.threaded {
            // Threads ordered by their latest message; messages in a thread by date.
            let mut latest: HashMap<&str, i64> = HashMap::new();
            for m in &selected {
                let entry = latest.entry(m.thread_root.as_str()).or_insert(m.date);
                *entry = (*entry).max(m.date);
            }
            selected.sort_by(|a, b| {
                let la = latest
                    .get(a.thread_root.as_str())
                    .copied()
                    .unwrap_or(a.date);
                let lb = latest
                    .get(b.thread_root.as_str())
                    .copied()
                    .unwrap_or(b.date);
                lb.cmp(&la)
                    .then_with(|| a.thread_root.cmp(&b.thread_root))
                    .then_with(|| a.date.cmp(&b.date))
            });
        } else {
            selected.sort_by_key(|m| sort_key(m));
        }
        selected
            .into_iter()
            .map(|m| MessageRow {
                id: m.id,
                from: display_name(&m.from),
                subject: m.subject.clone(),
                date: m.date,
                size: (m.body.len() as u64) + m.attachments.iter().map(|a| a.size).sum::<u64>(),
                flags: self.current_flags(m),
                has_attachment: !m.attachments.is_empty(),
                receipt_requested: m.receipt_requested,
                depth: if query.threaded { m.depth } else { 0 },
            })
            .collect()
    }

    fn open(&self, id: MessageId) -> Option<OpenedMessage> {
        let m = self.messages.iter().find(|m| m.id == id)?;
        let all_headers = vec![
            ("Message-ID".to_string(), m.message_id.clone()),
            ("From".to_string(), m.from.clone()),
            ("To".to_string(), m.to.clone()),
            ("Subject".to_string(), m.subject.clone()),
            ("MIME-Version".to_string(), "1.0".to_string()),
        ];
        Some(OpenedMessage {
            id,
            from: m.from.clone(),
            to: m.to.clone(),
            cc: m.cc.clone(),
            date: m.date,
            subject: m.subject.clone(),
            attachments: m.attachments.clone(),
            receipt_requested: m.receipt_requested,
            all_headers,
            body: body_to_rich_text(&m.body),
        })
    }

    fn set_flags(&self, id: MessageId, flags: Flags) {
        if let Ok(mut map) = self.flags.lock() {
            map.insert(id, flags);
        }
        let (Some(store), Some(message)) = (&self.store, self.messages.iter().find(|m| m.id == id))
        else {
            return;
        };
        let mut updated = message.clone();
        updated.flags = flags;
        let folder_name = self.folders[message.folder].0.clone();
        let result = store.call(move |s| {
            let folder = crate::store::FolderRef {
                account: DEMO_ACCOUNT,
                folder: &folder_name,
            };
            s.put_envelope(
                folder,
                updated.id.0 as u32,
                Some(&updated.message_id),
                &updated,
            )
        });
        if !matches!(result, Ok(Ok(()))) {
            tracing::warn!("a flag change could not be written to the store");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn inbox(threaded: bool) -> ListQuery {
        ListQuery {
            folder: "INBOX".into(),
            sort: SortKey::Date,
            threaded,
            unread_only: false,
        }
    }

    #[test]
    fn the_inbox_is_populated_and_deterministic() {
        let a = generate(NOW, 7);
        let b = generate(NOW, 7);
        let rows = a.list(&inbox(false));
        assert!(rows.len() >= 200, "only {} messages", rows.len());
        assert_eq!(rows, b.list(&inbox(false)));
        assert!(rows.iter().any(|r| !r.flags.seen), "some unread");
        assert!(rows.iter().any(|r| r.flags.flagged), "some flagged");
        assert!(rows.iter().any(|r| r.has_attachment), "some attachments");
        assert!(
            rows.windows(2).all(|w| w[0].date >= w[1].date),
            "newest first"
        );
    }

    #[test]
    fn threads_group_replies_under_their_root() {
        let mailbox = generate(NOW, 7);
        let rows = mailbox.list(&inbox(true));
        let replies = rows.iter().filter(|r| r.depth > 0).count();
        assert!(replies > 10, "threads exist");
        for (i, row) in rows.iter().enumerate().filter(|(_, r)| r.depth > 0) {
            assert!(
                i > 0 && rows[i - 1].depth < row.depth + 1,
                "a reply follows its thread"
            );
        }
    }

    #[test]
    fn flags_change_and_unread_filter_follows() {
        let mailbox = generate(NOW, 7);
        let unread = |m: &DemoMailbox| {
            m.list(&ListQuery {
                unread_only: true,
                ..inbox(false)
            })
            .len()
        };
        let before = unread(&mailbox);
        let first = mailbox.list(&ListQuery {
            unread_only: true,
            ..inbox(false)
        })[0]
            .clone();
        mailbox.set_flags(
            first.id,
            Flags {
                seen: true,
                ..first.flags
            },
        );
        assert_eq!(unread(&mailbox), before - 1);
        let info = mailbox
            .folders()
            .into_iter()
            .find(|f| f.role == FolderRole::Inbox)
            .expect("inbox");
        assert_eq!(info.unread, before - 1);
    }

    #[test]
    fn opened_messages_are_terminal_safe_french_letters() {
        let mailbox = generate(NOW, 7);
        let row = &mailbox.list(&inbox(false))[0];
        let message = mailbox.open(row.id).expect("opens");
        let text = message.body.to_plain_string(80);
        assert!(
            text.contains("confra")
                || text.contains("cordialement")
                || text.contains("remerciements"),
            "{text}"
        );
    }
}
