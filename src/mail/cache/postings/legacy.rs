//! An index written by an earlier version: one store value per posting
//! list (`Tree::SearchPostings`, key: folder, term key) and per document
//! (`Tree::SearchDocs`, key: folder, UID). The first time such a folder's
//! index is used it is moved into buckets and pages, in one batch; after
//! that the check costs two key lookups.

use std::collections::BTreeMap;

use crate::mail::search::{TermKey, decode_document, decode_postings};
use crate::store::{Durability, FolderId, Order, Store, TailRange, Tree};

use super::super::error::Error;
use super::add_postings;
use super::buckets::{
    bucket_of, doc_page_of, put_bucket, put_doc_page, read_bucket, read_doc_page,
};

fn bounds(folder: FolderId, rest: usize) -> (Vec<u8>, Vec<u8>) {
    let mut from = folder.0.to_vec();
    from.resize(folder.0.len() + rest, 0);
    let mut to = folder.0.to_vec();
    to.resize(folder.0.len() + rest + 1, 0xff);
    (from, to)
}

fn corrupt(what: &'static str) -> Error {
    Error::Corrupt { what }
}

/// Moves the folder's index from the per-term layout, if it has one.
pub fn migrate(store: &Store, folder: FolderId) -> Result<(), Error> {
    let (pf, pt) = bounds(folder, 32);
    let (df, dt) = bounds(folder, 4);
    let postings_range = TailRange::between(&pf, &pt);
    let docs_range = TailRange::between(&df, &dt);
    if store
        .tails(Tree::SearchPostings, postings_range, 1)?
        .is_empty()
        && store.tails(Tree::SearchDocs, docs_range, 1)?.is_empty()
    {
        return Ok(());
    }
    let mut batch = store.batch()?;
    let mut by_bucket: BTreeMap<u16, Vec<(TermKey, Vec<u32>)>> = BTreeMap::new();
    for entry in store.scan(
        Tree::SearchPostings,
        postings_range,
        Order::Ascending,
        usize::MAX,
    )? {
        let key: [u8; 32] = entry
            .tail
            .get(folder.0.len()..)
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| corrupt("posting key"))?;
        let uids = decode_postings(&entry.value).map_err(|_| corrupt("posting"))?;
        by_bucket
            .entry(bucket_of(&TermKey(key)))
            .or_default()
            .push((TermKey(key), uids));
        batch.remove(Tree::SearchPostings, &entry.tail);
    }
    for (bucket, lists) in by_bucket {
        let mut stored = read_bucket(store, folder, bucket)?;
        for (key, uids) in lists {
            add_postings(&mut stored, &key, &uids)?;
        }
        put_bucket(&mut batch, folder, bucket, &stored)?;
    }
    let mut by_page: BTreeMap<u32, Vec<(u32, crate::mail::search::DocEntry)>> = BTreeMap::new();
    for (uid, bytes) in store.search_docs(folder)? {
        let entry = decode_document(&bytes).map_err(|_| corrupt("document"))?;
        by_page
            .entry(doc_page_of(uid))
            .or_default()
            .push((uid, entry));
        batch.remove_search_doc(folder, uid);
    }
    for (page, entries) in by_page {
        let mut stored = read_doc_page(store, folder, page)?;
        stored.entries.extend(entries);
        put_doc_page(&mut batch, folder, page, &stored)?;
    }
    batch.commit(Durability::Flush)?;
    tracing::info!("search index moved to the bucketed layout");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{StorePostings, search};
    use super::*;
    use crate::mail::search::{PostingStore, encode_document, encode_postings, parse_query};
    use crate::store::testing::profile;

    /// An index written one value per term and per document (as earlier
    /// versions did) is still searched, and moved on first use.
    #[test]
    fn a_per_term_index_is_found_then_moved_into_buckets() {
        let (_dir, _card, store) = profile("legacy");
        let folder = FolderId([3; 16]);
        // file two messages through the current code to learn their keys...
        let mut index = crate::mail::search::SearchIndex::new(
            super::super::hasher(&store).unwrap(),
            StorePostings::new(&store, folder),
        );
        for (uid, subject) in [(4, "bilan sanguin"), (9, "compte rendu")] {
            index
                .index_document(&crate::mail::search::IndexDocument {
                    uid,
                    subject: subject.into(),
                    date: Some(1_700_000_000),
                    ..Default::default()
                })
                .unwrap();
        }
        let pending = index.into_store();
        // ...and write them in the old layout instead of committing
        let mut b = store.batch().unwrap();
        for (key, uids) in &pending.pending.added {
            let mut uids = uids.clone();
            uids.sort_unstable();
            b.put_posting(folder, &key.0, &encode_postings(&uids))
                .unwrap();
        }
        for (uid, doc) in &pending.pending.documents {
            let doc = doc.clone().unwrap();
            b.put_search_doc(folder, *uid, &encode_document(&doc))
                .unwrap();
        }
        b.commit(Durability::Flush).unwrap();
        drop(pending);

        let found = search(&store, folder, &[], &parse_query("subject:bilan").unwrap()).unwrap();
        assert_eq!(found, vec![4]);
        let (pf, pt) = bounds(folder, 32);
        assert!(
            store
                .tails(Tree::SearchPostings, TailRange::between(&pf, &pt), 1)
                .unwrap()
                .is_empty()
        );
        assert!(store.search_docs(folder).unwrap().is_empty());
        let moved = StorePostings::new(&store, folder);
        assert_eq!(moved.all_documents().unwrap(), vec![4, 9]);
        assert_eq!(
            search(&store, folder, &[], &parse_query("rendu").unwrap()).unwrap(),
            vec![9]
        );
    }
}
