//! The search index persisted in the store: a [`PostingStore`] over the
//! store's search trees for one folder. Terms reach it only as HMAC keys
//! ([`HmacTermHasher`] keyed by a secret derived from the profile's data
//! key), so no term is ever on disk in clear, not even in a key. New
//! postings are buffered in memory and merged into the stored buckets by
//! [`StorePostings::commit`], each touched bucket rewritten once
//! ([`buckets`] for the layout; [`legacy`] moves an index written by an
//! earlier version, one value per term, into it).

mod buckets;
mod legacy;

use std::collections::BTreeMap;

use crate::mail::search::{
    DateRange, DocEntry, HmacTermHasher, IndexDocument, PostingStore, Query, SearchIndex, TermKey,
    TermKeyMap, decode_postings, encode_postings,
};
use crate::store::{Durability, FolderId, Store};

use super::error::Error;
use buckets::{
    Bucket, all_doc_entries, bucket_of, doc_page_of, put_bucket, put_doc_page, read_bucket,
    read_doc_page,
};

/// Label of the secret that keys the term hashes.
const TERM_SECRET: &str = "mail-search-terms";

/// Buckets rewritten per store batch while committing: bounds the sealed
/// values held at once. Postings are additive and a document only becomes
/// findable when its entry is written, after every bucket, so a commit cut
/// between two batches leaves nothing wrong behind (the messages are filed
/// again when fetched again).
const BUCKETS_PER_BATCH: usize = 256;

pub struct StorePostings<'s> {
    store: &'s Store,
    folder: FolderId,
    /// UIDs filed under each term since the last commit (unsorted).
    added: TermKeyMap<Vec<u32>>,
    documents: BTreeMap<u32, Option<DocEntry>>,
}

impl<'s> StorePostings<'s> {
    pub fn new(store: &'s Store, folder: FolderId) -> Self {
        StorePostings {
            store,
            folder,
            added: TermKeyMap::default(),
            documents: BTreeMap::new(),
        }
    }

    fn stored(&self, key: &TermKey) -> Result<Vec<u32>, Error> {
        let bucket = read_bucket(self.store, self.folder, bucket_of(key))?;
        match bucket.lists.get(&key.0) {
            Some(bytes) => decode_postings(bytes).map_err(|_| Error::Corrupt { what: "posting" }),
            None => Ok(Vec::new()),
        }
    }

    /// Merges the new postings into their buckets, then writes the document
    /// entries.
    pub fn commit(self) -> Result<(), Error> {
        let StorePostings {
            store,
            folder,
            added,
            documents,
        } = self;
        let mut by_bucket: BTreeMap<u16, Vec<(TermKey, Vec<u32>)>> = BTreeMap::new();
        for (key, uids) in added {
            by_bucket
                .entry(bucket_of(&key))
                .or_default()
                .push((key, uids));
        }
        let mut b = store.batch()?;
        let mut in_batch = 0;
        for (bucket, changes) in by_bucket {
            let mut stored = read_bucket(store, folder, bucket)?;
            for (key, mut uids) in changes {
                uids.sort_unstable();
                uids.dedup();
                add_postings(&mut stored, &key, &uids)?;
            }
            put_bucket(&mut b, folder, bucket, &stored)?;
            in_batch += 1;
            if in_batch == BUCKETS_PER_BATCH {
                b.commit(Durability::Lazy)?;
                b = store.batch()?;
                in_batch = 0;
            }
        }
        let mut by_page: BTreeMap<u32, Vec<(u32, Option<DocEntry>)>> = BTreeMap::new();
        for (uid, doc) in documents {
            by_page
                .entry(doc_page_of(uid))
                .or_default()
                .push((uid, doc));
        }
        for (page, changes) in by_page {
            let mut stored = read_doc_page(store, folder, page)?;
            for (uid, doc) in changes {
                match doc {
                    Some(d) => stored.entries.insert(uid, d),
                    None => stored.entries.remove(&uid),
                };
            }
            put_doc_page(&mut b, folder, page, &stored)?;
        }
        b.commit(Durability::Lazy)?;
        Ok(())
    }

    /// The stored document entries with this commit's changes applied.
    fn live_documents(&self) -> Result<BTreeMap<u32, DocEntry>, Error> {
        let mut all = all_doc_entries(self.store, self.folder)?;
        for (uid, doc) in &self.documents {
            match doc {
                Some(d) => all.insert(*uid, d.clone()),
                None => all.remove(uid),
            };
        }
        Ok(all)
    }
}

/// Adds sorted, deduplicated UIDs to a term's list in a bucket.
fn add_postings(bucket: &mut Bucket, key: &TermKey, uids: &[u32]) -> Result<(), Error> {
    let merged = match bucket.lists.get(&key.0) {
        Some(bytes) => merge(
            &decode_postings(bytes).map_err(|_| Error::Corrupt { what: "posting" })?,
            uids,
        ),
        None => uids.to_vec(),
    };
    bucket.lists.insert(key.0, encode_postings(&merged));
    Ok(())
}

/// The union of two sorted, deduplicated lists.
fn merge(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl PostingStore for StorePostings<'_> {
    type Error = Error;

    fn postings(&self, key: &TermKey) -> Result<Vec<u32>, Error> {
        let stored = self.stored(key)?;
        match self.added.get(key) {
            Some(new) => {
                let mut new = new.clone();
                new.sort_unstable();
                new.dedup();
                Ok(merge(&stored, &new))
            }
            None => Ok(stored),
        }
    }

    fn insert_posting(&mut self, key: &TermKey, uid: u32) -> Result<(), Error> {
        self.added.entry(*key).or_default().push(uid);
        Ok(())
    }

    fn put_document(&mut self, uid: u32, entry: DocEntry) -> Result<(), Error> {
        self.documents.insert(uid, Some(entry));
        Ok(())
    }

    fn remove_document(&mut self, uid: u32) -> Result<(), Error> {
        self.documents.insert(uid, None);
        Ok(())
    }

    fn all_documents(&self) -> Result<Vec<u32>, Error> {
        Ok(self.live_documents()?.into_keys().collect())
    }

    fn documents_in_range(&self, range: DateRange) -> Result<Vec<u32>, Error> {
        Ok(self
            .live_documents()?
            .into_iter()
            .filter(|(_, d)| d.date.is_some_and(|t| range.contains(t)))
            .map(|(uid, _)| uid)
            .collect())
    }
}

fn hasher(store: &Store) -> Result<HmacTermHasher, Error> {
    Ok(HmacTermHasher::new(&store.derived_secret(TERM_SECRET)?))
}

/// Files (or refiles) messages of one folder in its index.
pub fn index_documents(
    store: &Store,
    folder: FolderId,
    docs: &[IndexDocument],
) -> Result<(), Error> {
    if docs.is_empty() {
        return Ok(());
    }
    legacy::migrate(store, folder)?;
    let mut index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    for d in docs {
        index.index_document(d)?;
    }
    index.into_store().commit()
}

/// Forgets messages of one folder.
pub fn unindex(store: &Store, folder: FolderId, uids: &[u32]) -> Result<(), Error> {
    if uids.is_empty() {
        return Ok(());
    }
    legacy::migrate(store, folder)?;
    let mut index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    for u in uids {
        index.remove(*u)?;
    }
    index.into_store().commit()
}

/// UIDs of one folder matching the query, ascending.
pub fn search(store: &Store, folder: FolderId, query: &Query) -> Result<Vec<u32>, Error> {
    legacy::migrate(store, folder)?;
    let index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    Ok(index.search(query)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_one_sorted_copy_of_each_uid() {
        assert_eq!(merge(&[1, 3, 5], &[2, 3, 9]), vec![1, 2, 3, 5, 9]);
        assert_eq!(merge(&[], &[4]), vec![4]);
        assert_eq!(merge(&[4], &[]), vec![4]);
    }
}
