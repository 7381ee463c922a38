//! Message summaries stored by page: one sealed value holds the summaries
//! (`Envelope`s in [`summary_codec`]'s form) of the cached messages whose UIDs fall in one block of
//! [`PAGE_UIDS`] consecutive UIDs, keyed by folder and block number.
//!
//! A first sync of 100 000 messages then makes about 1 600 store writes
//! instead of 100 000 (each sled insert copies a tree node, and sled's memory
//! and its replay at the next opening grow with the number of writes), and a
//! screen of rows, being mostly recent UIDs, opens two or three pages.
//! Changing one summary (its flags) rewrites its page: 64 summaries, a few
//! tens of kilobytes. Summaries written one per key by earlier versions
//! (`Tree::Envelopes`) are still read, and removed with their message.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::domain::envelope::Envelope;
use crate::store::{Batch, FolderId, Store, Tree};

use super::error::Error;
use super::index::ThreadKey;
use super::record_reader::RecordReader;
use super::store_cache::message_tail;
use super::summary_codec;

/// UIDs per page: IMAP servers hand out UIDs in sequence, so a page is
/// usually full; sparse UIDs only make pages smaller.
pub const PAGE_UIDS: u32 = 64;

/// A summary as stored ([`summary_codec`]), zeroized when dropped.
pub type Encoded = Zeroizing<Vec<u8>>;

fn page_of(uid: u32) -> u32 {
    uid / PAGE_UIDS
}

fn page_tail(folder: FolderId, page: u32) -> Vec<u8> {
    let mut t = folder.0.to_vec();
    t.extend_from_slice(&page.to_be_bytes());
    t
}

/// The summaries of one page, by UID.
#[derive(Default)]
struct Page {
    entries: BTreeMap<u32, Encoded>,
}

impl Page {
    /// `count` (u32), then per summary: UID (u32), length (u32), summary; all
    /// little-endian, UIDs ascending.
    fn encode(&self) -> Encoded {
        let len = 4 + self.entries.values().map(|v| 8 + v.len()).sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for (uid, summary) in &self.entries {
            out.extend_from_slice(&uid.to_le_bytes());
            out.extend_from_slice(&(summary.len() as u32).to_le_bytes());
            out.extend_from_slice(summary);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Page, Error> {
        Ok(Page {
            entries: entries(bytes)?
                .into_iter()
                .map(|(uid, summary)| (uid, Zeroizing::new(summary.to_vec())))
                .collect(),
        })
    }
}

/// The summaries of an encoded page, borrowed from it, in stored order.
fn entries(bytes: &[u8]) -> Result<Vec<(u32, &[u8])>, Error> {
    let mut r = RecordReader::new(bytes, "summary page");
    let count = r.u32()?;
    let mut out = Vec::with_capacity((count as usize).min(PAGE_UIDS as usize));
    for _ in 0..count {
        let uid = r.u32()?;
        let len = r.u32()? as usize;
        out.push((uid, r.bytes(len)?));
    }
    r.finish()?;
    Ok(out)
}

fn read_page(store: &Store, folder: FolderId, page: u32) -> Result<Page, Error> {
    match store.get(Tree::EnvelopePages, &page_tail(folder, page))? {
        Some(bytes) => Page::decode(&bytes),
        None => Ok(Page::default()),
    }
}

/// The stored summaries of `uids` (missing ones left out), each page read
/// once; in UID order.
pub fn read_encoded(
    store: &Store,
    folder: FolderId,
    uids: &[u32],
) -> Result<BTreeMap<u32, Encoded>, Error> {
    let mut by_page: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for uid in uids {
        by_page.entry(page_of(*uid)).or_default().push(*uid);
    }
    let mut out = BTreeMap::new();
    for (page, wanted) in by_page {
        // Only the summaries asked for are copied out of the page.
        let bytes = store.get(Tree::EnvelopePages, &page_tail(folder, page))?;
        let stored = match &bytes {
            Some(b) => entries(b)?,
            None => Vec::new(),
        };
        for uid in wanted {
            if let Some((_, summary)) = stored.iter().find(|(u, _)| *u == uid) {
                out.insert(uid, Zeroizing::new(summary.to_vec()));
            } else if let Some(legacy) = store.get(Tree::Envelopes, &message_tail(folder, uid))? {
                out.insert(uid, legacy);
            }
        }
    }
    Ok(out)
}

/// The summaries of `uids`, decoded, in the order asked (missing ones left out).
pub fn read_summaries(
    store: &Store,
    folder: FolderId,
    uids: &[u32],
) -> Result<Vec<Envelope>, Error> {
    let mut found = read_encoded(store, folder, uids)?;
    let mut out = Vec::with_capacity(found.len());
    for uid in uids {
        if let Some(bytes) = found.remove(uid) {
            out.push(summary_codec::decode(&bytes)?);
        }
    }
    Ok(out)
}

/// The thread keys of `uids` (missing ones left out), in UID order.
pub fn read_thread_keys(
    store: &Store,
    folder: FolderId,
    uids: &[u32],
) -> Result<Vec<ThreadKey>, Error> {
    read_encoded(store, folder, uids)?
        .values()
        .map(|bytes| summary_codec::thread_key(bytes))
        .collect()
}

/// One summary, if stored.
pub fn read_summary(store: &Store, folder: FolderId, uid: u32) -> Result<Option<Envelope>, Error> {
    Ok(read_summaries(store, folder, &[uid])?.pop())
}

/// Stages new or replaced summaries: each touched page is read once,
/// merged and written once. The batch must not already hold changes to
/// these pages (they would be read as they were before it).
pub fn put_encoded(
    store: &Store,
    batch: &mut Batch<'_>,
    folder: FolderId,
    summaries: impl IntoIterator<Item = (u32, Encoded)>,
) -> Result<(), Error> {
    let mut by_page: BTreeMap<u32, Vec<(u32, Encoded)>> = BTreeMap::new();
    for (uid, summary) in summaries {
        by_page
            .entry(page_of(uid))
            .or_default()
            .push((uid, summary));
    }
    for (page, items) in by_page {
        let mut stored = read_page(store, folder, page)?;
        for (uid, summary) in items {
            // a summary of an earlier version is superseded by the page's
            batch.remove(Tree::Envelopes, &message_tail(folder, uid));
            stored.entries.insert(uid, summary);
        }
        batch.put(
            Tree::EnvelopePages,
            &page_tail(folder, page),
            &stored.encode(),
        )?;
    }
    Ok(())
}

/// Stages the removal of the summaries of `uids` (from their pages, and
/// any written one per key by an earlier version).
pub fn remove(
    store: &Store,
    batch: &mut Batch<'_>,
    folder: FolderId,
    uids: &[u32],
) -> Result<(), Error> {
    let mut by_page: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for uid in uids {
        by_page.entry(page_of(*uid)).or_default().push(*uid);
    }
    for (page, gone) in by_page {
        let mut stored = read_page(store, folder, page)?;
        for uid in &gone {
            stored.entries.remove(uid);
            batch.remove(Tree::Envelopes, &message_tail(folder, *uid));
        }
        let tail = page_tail(folder, page);
        if stored.entries.is_empty() {
            batch.remove(Tree::EnvelopePages, &tail);
        } else {
            batch.put(Tree::EnvelopePages, &tail, &stored.encode())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Durability;
    use crate::store::testing::profile;

    fn summary(uid: u32, subject: &str) -> (u32, Encoded) {
        let env = Envelope {
            uid,
            subject: subject.into(),
            ..Envelope::default()
        };
        (uid, Zeroizing::new(summary_codec::encode(&env)))
    }

    fn subjects(store: &Store, folder: FolderId, uids: &[u32]) -> Vec<(u32, String)> {
        read_summaries(store, folder, uids)
            .unwrap()
            .into_iter()
            .map(|e| (e.uid, e.subject))
            .collect()
    }

    #[test]
    fn summaries_round_trip_across_pages_and_merge_into_existing_ones() {
        let (_dir, _card, store) = profile("pages");
        let folder = FolderId([7; 16]);
        let mut b = store.batch().unwrap();
        // UIDs 60..70 straddle two pages; a second write lands in the same pages
        put_encoded(&store, &mut b, folder, (60..70).map(|u| summary(u, "un"))).unwrap();
        b.commit(Durability::Lazy).unwrap();
        let mut b = store.batch().unwrap();
        put_encoded(
            &store,
            &mut b,
            folder,
            [summary(63, "deux"), summary(200, "trois")],
        )
        .unwrap();
        b.commit(Durability::Lazy).unwrap();

        let got = subjects(&store, folder, &[200, 63, 64, 5]);
        assert_eq!(
            got,
            vec![
                (200, "trois".into()),
                (63, "deux".into()),
                (64, "un".into())
            ],
            "asked order, missing UID 5 left out"
        );
        assert_eq!(
            read_encoded(&store, folder, &(60..70).collect::<Vec<_>>())
                .unwrap()
                .len(),
            10
        );
        assert!(
            read_summary(&store, FolderId([8; 16]), 63)
                .unwrap()
                .is_none(),
            "other folder"
        );
    }

    #[test]
    fn removal_empties_pages_and_legacy_summaries_are_read_then_superseded() {
        let (_dir, _card, store) = profile("pages");
        let folder = FolderId([7; 16]);
        // written one per key, as earlier versions did
        let (uid, legacy) = summary(10, "ancien");
        let mut b = store.batch().unwrap();
        b.put(Tree::Envelopes, &message_tail(folder, uid), &legacy)
            .unwrap();
        put_encoded(&store, &mut b, folder, [summary(11, "onze")]).unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert_eq!(
            subjects(&store, folder, &[10, 11]),
            vec![(10, "ancien".into()), (11, "onze".into())]
        );

        let mut b = store.batch().unwrap();
        put_encoded(&store, &mut b, folder, [summary(10, "nouveau")]).unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert!(
            !store
                .contains(Tree::Envelopes, &message_tail(folder, 10))
                .unwrap()
        );
        assert_eq!(
            subjects(&store, folder, &[10]),
            vec![(10, "nouveau".into())]
        );

        let mut b = store.batch().unwrap();
        remove(&store, &mut b, folder, &[10, 11]).unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert!(subjects(&store, folder, &[10, 11]).is_empty());
        assert!(
            !store
                .contains(Tree::EnvelopePages, &page_tail(folder, 0))
                .unwrap(),
            "empty page dropped"
        );
    }

    #[test]
    fn a_damaged_page_is_an_error_not_a_panic() {
        let page = Page {
            entries: [summary(1, "a"), summary(2, "b")].into_iter().collect(),
        };
        let bytes = page.encode();
        assert_eq!(Page::decode(&bytes).unwrap().entries.len(), 2);
        for cut in 0..bytes.len() {
            assert!(Page::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Page::decode(&longer).is_err());
        let mut huge = bytes.to_vec();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Page::decode(&huge).is_err());
    }
}
