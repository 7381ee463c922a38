//! Filling a cached folder from raw RFC 5322 messages without a server (the
//! demo mailbox, generated benchmark folders), through the same
//! [`SyncCache`] calls the sync engine makes: reset, new envelopes in
//! batches, bodies, sync point. What the mailbox reads afterwards is exactly
//! what a sync would have left.

use crate::mail::imap::sync::{SyncCache, SyncPoint};
use crate::mail::imap::types::{BodySummary, FetchedEnvelope, Flags};
use crate::mail::mime::{Limits, parse_message};

use super::error::Error;
use super::store_cache::StoreSyncCache;

/// One message to import.
pub struct RawMessage {
    pub uid: u32,
    pub flags: Flags,
    pub raw: Vec<u8>,
}

/// The header block of a raw message (up to and including the blank line).
fn header_block(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(raw.len());
    &raw[..end]
}

/// What FETCH would have returned for this message.
pub fn fetched_envelope(m: &RawMessage) -> FetchedEnvelope {
    let body = match parse_message(&m.raw, &Limits::default()) {
        Ok(parsed) => BodySummary {
            mime_type: parsed.root.content_type.mime_type.to_ascii_lowercase(),
            has_attachment: parsed.envelope(m.uid).has_attachment,
            parts: u32::try_from(parsed.attachments().len().max(1)).unwrap_or(u32::MAX),
        },
        Err(_) => BodySummary::default(),
    };
    FetchedEnvelope {
        uid: m.uid,
        flags: m.flags.clone(),
        size: u32::try_from(m.raw.len()).unwrap_or(u32::MAX),
        internal_date: None,
        modseq: None,
        header: header_block(&m.raw).to_vec(),
        body,
    }
}

/// Replaces `folder` in the cache with these messages (bodies included).
pub fn import_folder(
    cache: &mut StoreSyncCache,
    folder: &str,
    uid_validity: u32,
    messages: &[RawMessage],
) -> Result<(), Error> {
    let unbox = |e: crate::mail::imap::sync::BackendError| match e.downcast::<Error>() {
        Ok(e) => *e,
        Err(other) => Error::Imap(crate::mail::imap::Error::Cache { source: other }),
    };
    cache.reset_folder(folder, uid_validity).map_err(unbox)?;
    let mut sorted: Vec<&RawMessage> = messages.iter().collect();
    sorted.sort_unstable_by_key(|m| std::cmp::Reverse(m.uid));
    for chunk in sorted.chunks(500) {
        let batch: Vec<FetchedEnvelope> = chunk.iter().map(|m| fetched_envelope(m)).collect();
        cache.apply_new(folder, batch).map_err(unbox)?;
        for m in chunk {
            cache.store_body(folder, m.uid, &m.raw).map_err(unbox)?;
        }
    }
    let uid_next = messages.iter().map(|m| m.uid).max().map_or(1, |u| u + 1);
    cache
        .set_sync_point(
            folder,
            SyncPoint {
                uid_next: Some(uid_next),
                highest_modseq: None,
            },
        )
        .map_err(unbox)
}

/// A folder to import, with its role.
pub struct RawFolder {
    pub name: String,
    pub special_use: Option<crate::mail::imap::types::SpecialUse>,
    pub messages: Vec<RawMessage>,
}

/// Replaces the whole cached account with these folders (listed in this
/// order), as a first sync would have left it.
pub fn import_account(
    store: &crate::store::StoreHandle,
    account: &str,
    folders: Vec<RawFolder>,
) -> Result<(), Error> {
    let mut cache = StoreSyncCache::new(
        store.clone(),
        account,
        super::store_cache::CacheOptions::default(),
    );
    let listed: Vec<crate::mail::imap::types::Folder> = folders
        .iter()
        .map(|f| crate::mail::imap::types::Folder {
            name: f.name.clone(),
            delimiter: Some("/".into()),
            special_use: f.special_use,
            selectable: true,
            status: None,
        })
        .collect();
    for f in &folders {
        import_folder(&mut cache, &f.name, 1, &f.messages)?;
    }
    let account = account.to_string();
    store.call(move |s| super::reader::save_folders(s, &account, &listed))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mailbox::SortKey;
    use crate::mail::cache::reader::{self, ViewOptions};
    use crate::mail::cache::store_cache::CacheOptions;
    use crate::mail::search::parse_query;
    use crate::store::StoreHandle;

    fn mail(id: &str, parent: Option<&str>, from: &str, subject: &str, day: u32) -> Vec<u8> {
        let refs = parent
            .map(|p| format!("In-Reply-To: <{p}>\r\nReferences: <{p}>\r\n"))
            .unwrap_or_default();
        format!(
            "From: {from} <{}@x.test>\r\nTo: moi@x.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{refs}Date: {day:02} Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTexte de {subject}.\r\n",
            from.to_lowercase()
        )
        .into_bytes()
    }

    #[test]
    fn an_imported_folder_reads_back_ordered_threaded_and_searchable() {
        let (_dir, _, store) = crate::store::testing::profile("810000000007");
        let store = StoreHandle::spawn(store).unwrap();
        let mut cache = StoreSyncCache::new(store.clone(), "demo", CacheOptions::default());
        let messages = vec![
            RawMessage {
                uid: 1,
                flags: Flags::of([Flags::SEEN]),
                raw: mail("a@x", None, "Zoé", "Bilan", 2),
            },
            RawMessage {
                uid: 2,
                flags: Flags::default(),
                raw: mail("b@x", None, "Anne", "Ordonnance", 3),
            },
            RawMessage {
                uid: 3,
                flags: Flags::default(),
                raw: mail("c@x", Some("a@x"), "Marc", "Re: Bilan", 4),
            },
        ];
        import_folder(&mut cache, "INBOX", 7, &messages).unwrap();
        let view = |options: ViewOptions| {
            store
                .call(move |s| reader::folder_view(s, "demo", "INBOX", options))
                .unwrap()
                .unwrap()
                .unwrap()
        };
        let threaded = view(ViewOptions::default());
        assert_eq!(threaded.rows, vec![(1, 0), (3, 1), (2, 0)]);
        assert_eq!((threaded.meta.total, threaded.meta.unread), (3, 2));
        let by_sender = view(ViewOptions {
            sort: SortKey::Sender,
            threaded: false,
            unread_only: false,
        });
        // descending: Zoé, Marc, Anne
        assert_eq!(
            by_sender.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            [1, 3, 2]
        );
        let first = store
            .call(|s| reader::first_screen(s, "demo", "INBOX", 2))
            .unwrap()
            .unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].0.subject, "Re: Bilan");
        assert_eq!(first[1].1, 1);

        // a local flag change touches the flag byte and the row, not the order
        cache
            .apply_local_flags(
                "INBOX",
                &[2],
                &Flags::of([Flags::FLAGGED]),
                &Flags::default(),
            )
            .unwrap();
        let unread = view(ViewOptions {
            unread_only: true,
            ..ViewOptions::default()
        });
        assert_eq!(unread.rows, vec![(3, 1), (2, 0)]);
        let rows = store
            .call(|s| reader::summaries(s, "demo", "INBOX", &[2]))
            .unwrap()
            .unwrap();
        assert!(rows[0].flags.flagged);

        // a removal drops the entry everywhere without a rebuild
        cache.apply_local_removal("INBOX", &[1]).unwrap();
        let after = view(ViewOptions::default());
        assert_eq!(after.rows, vec![(3, 1), (2, 0)]);
        assert_eq!(after.meta.total, 2);

        // bodies are indexed; the removed message is not found any more
        let hits = |q: &str| {
            let q = parse_query(q).unwrap();
            store
                .call(move |s| reader::search(s, "demo", "INBOX", &q))
                .unwrap()
                .unwrap()
        };
        assert_eq!(hits("from:anne"), vec![2]);
        assert_eq!(hits("ordonnance"), vec![2]);
        assert_eq!(hits("texte bilan"), vec![3]);
        assert!(hits("from:zoe").is_empty());
        assert!(store.call(|s| s.verify()).unwrap().unwrap().is_ok());
    }
}
