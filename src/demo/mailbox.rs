//! The generated demo mailbox: fictional French clinical correspondence in
//! threads, with attachments (PDF letters, an IHE XDM package), read
//! receipts and a few drafts. Messages are kept as fields and turned into
//! real RFC 822 bytes when opened (`raw`), so the reader shows them through
//! the same MIME parser and renderer as mail from a server.

use super::corpus::{
    CLOSINGS, COLLEAGUES, Colleague, LETTERS, ME_EMAIL, ME_NAME, PATIENTS, REPLIES,
};
use crate::domain::mailbox::{Flags, FolderRole, MessageId};
use std::collections::HashMap;
use std::sync::Mutex;

/// An attachment of a demo message: its bytes are generated when asked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct DemoAttachment {
    pub name: String,
    pub mime_type: String,
    pub size: u64,
}

/// What kind of message the raw form is built as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum DemoKind {
    #[default]
    Letter,
    /// A read receipt (MDN) for the message with `in_reply_to`.
    Receipt,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct DemoMessage {
    pub id: MessageId,
    pub folder: usize,
    pub message_id: String,
    pub thread_root: String,
    pub depth: u16,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub date: i64,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<DemoAttachment>,
    pub flags: Flags,
    pub receipt_requested: bool,
    #[serde(default)]
    pub kind: DemoKind,
    /// The message this one answers (`In-Reply-To`), if any.
    #[serde(default)]
    pub in_reply_to: Option<String>,
}

/// The mutable part of the mailbox: messages move, change flags, disappear.
pub(super) struct Live {
    pub messages: Vec<DemoMessage>,
    pub index: HashMap<MessageId, usize>,
}

impl Live {
    pub fn reindex(&mut self) {
        self.index = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id, i))
            .collect();
    }

    pub fn get(&self, id: MessageId) -> Option<&DemoMessage> {
        self.index.get(&id).and_then(|i| self.messages.get(*i))
    }

    pub fn get_mut(&mut self, id: MessageId) -> Option<&mut DemoMessage> {
        let i = *self.index.get(&id)?;
        self.messages.get_mut(i)
    }
}

/// A whole generated mailbox.
pub struct DemoMailbox {
    pub(super) folders: Vec<(String, FolderRole)>,
    pub(super) live: Mutex<Live>,
    /// When the mailbox lives in an encrypted profile, changes go there too.
    pub(super) store: Option<crate::store::StoreHandle>,
    /// The search index over the generated messages (built on first search).
    pub(super) search: Mutex<Option<super::mailbox_search::DemoSearch>>,
}

impl DemoMailbox {
    fn new(
        folders: Vec<(String, FolderRole)>,
        messages: Vec<DemoMessage>,
        store: Option<crate::store::StoreHandle>,
    ) -> DemoMailbox {
        let mut live = Live {
            messages,
            index: HashMap::new(),
        };
        live.reindex();
        DemoMailbox {
            folders,
            live: Mutex::new(live),
            store,
            search: Mutex::new(None),
        }
    }
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
        let mut previous: Option<String> = None;
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
                    vec![DemoAttachment {
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
                deleted: false,
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
                kind: DemoKind::Letter,
                in_reply_to: previous.clone(),
            };
            previous = Some(message.message_id.clone());
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
            kind: DemoKind::Letter,
            in_reply_to: None,
        });
    }
    add_receipts(&mut messages, now, seed);
    DemoMailbox::new(folders, messages, None)
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
    let domain = colleague
        .email
        .split_once('@')
        .map_or("exemple.test", |(_, d)| d)
        .replace(".mssante", "");
    body.push_str(&format!(
        "\n\n-- \n{}\n{}\nRendez-vous : https://rdv.{domain}/prise-de-rdv\n",
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

/// Two read receipts (MDN) in the inbox, for messages the practitioner sent.
fn add_receipts(messages: &mut Vec<DemoMessage>, now: i64, seed: u64) {
    let sent: Vec<(String, String, String)> = messages
        .iter()
        .filter(|m| m.folder == 1)
        .rev()
        .take(2)
        .map(|m| (m.message_id.clone(), m.subject.clone(), m.to.clone()))
        .collect();
    let first_id = messages.iter().map(|m| m.id.0).max().unwrap_or(0) + 1;
    for (i, (original, subject, to)) in sent.into_iter().enumerate() {
        let next_id = first_id + i as u64;
        messages.push(DemoMessage {
            id: MessageId(next_id),
            folder: 0,
            message_id: format!("<mdn.{i}.{seed}@chu-exemple.mssante.test>"),
            thread_root: format!("<mdn.{i}.{seed}@chu-exemple.mssante.test>"),
            depth: 0,
            from: to,
            to: format!("{ME_NAME} <{ME_EMAIL}>"),
            cc: String::new(),
            date: now - 1800 * (i as i64 + 1),
            subject: format!("Accusé de lecture : {subject}"),
            body: String::new(),
            attachments: Vec::new(),
            flags: Flags {
                seen: i > 0,
                ..Flags::default()
            },
            receipt_requested: false,
            kind: DemoKind::Receipt,
            in_reply_to: Some(original),
        });
    }
}

const DEMO_ACCOUNT: &str = "demo";

impl DemoMailbox {
    /// Writes every message into the practitioner's encrypted store.
    pub fn save_to(&self, store: &crate::store::Store) -> Result<(), crate::store::Error> {
        let live = self.live.lock().map_err(|_| poisoned())?;
        let mut batch = store.batch()?;
        for m in &live.messages {
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
                for (index, name) in names.iter().enumerate() {
                    let folder = crate::store::FolderRef {
                        account: DEMO_ACCOUNT,
                        folder: name,
                    };
                    let page = store.envelopes_page::<DemoMessage>(folder, None, usize::MAX)?;
                    // The key decides the folder (a move rewrites the key).
                    all.extend(page.items.into_iter().map(|(_, mut m)| {
                        m.folder = index;
                        m
                    }));
                }
                Ok(all)
            },
        )??;
        Ok(DemoMailbox::new(folders, messages, Some(handle)))
    }

    /// Mirrors a changed message into the store: under its (new) folder,
    /// and gone from `old_folder` when it moved. Failures are logged: the
    /// demo keeps working in memory.
    pub(super) fn persist(&self, message: &DemoMessage, old_folder: Option<usize>) {
        let Some(store) = &self.store else {
            return;
        };
        let names: Vec<String> = self.folders.iter().map(|(n, _)| n.clone()).collect();
        let message = message.clone();
        let result = store.call(move |s| -> Result<(), crate::store::Error> {
            if let Some(old) = old_folder.and_then(|i| names.get(i)) {
                let folder = crate::store::FolderRef {
                    account: DEMO_ACCOUNT,
                    folder: old,
                };
                s.remove_message(folder, message.id.0 as u32, Some(&message.message_id))?;
            }
            let Some(name) = names.get(message.folder) else {
                return Ok(());
            };
            let folder = crate::store::FolderRef {
                account: DEMO_ACCOUNT,
                folder: name,
            };
            s.put_envelope(
                folder,
                message.id.0 as u32,
                Some(&message.message_id),
                &message,
            )
        });
        if !matches!(result, Ok(Ok(()))) {
            tracing::warn!("a demo mailbox change could not be written to the store");
        }
    }

    /// Removes an expunged message from the store.
    pub(super) fn persist_removal(&self, message: &DemoMessage) {
        let Some(store) = &self.store else {
            return;
        };
        let Some(name) = self.folders.get(message.folder).map(|(n, _)| n.clone()) else {
            return;
        };
        let (uid, message_id) = (message.id.0 as u32, message.message_id.clone());
        let result = store.call(move |s| {
            let folder = crate::store::FolderRef {
                account: DEMO_ACCOUNT,
                folder: &name,
            };
            s.remove_message(folder, uid, Some(&message_id))
        });
        if !matches!(result, Ok(Ok(()))) {
            tracing::warn!("a demo mailbox removal could not be written to the store");
        }
    }

    pub fn message_count(&self) -> usize {
        self.live.lock().map_or(0, |l| l.messages.len())
    }
}

fn poisoned() -> crate::store::Error {
    crate::store::Error::Invalid {
        reason: "the demo mailbox lock is poisoned".into(),
    }
}
