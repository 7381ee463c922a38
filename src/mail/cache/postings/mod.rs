//! The search index persisted in the store: a [`PostingStore`] over the
//! store's search trees for one folder. Terms reach it only as HMAC keys
//! ([`HmacTermHasher`] keyed by a secret derived from the profile's data
//! key), so no term is ever on disk in clear, not even in a key. New
//! postings are buffered in memory and merged into the stored buckets by
//! [`StorePostings::commit`], each touched bucket rewritten once
//! ([`buckets`] for the layout; [`legacy`] moves an index written by an
//! earlier version, one value per term, into it).

mod buckets;
mod header_filing;
mod legacy;

pub use header_filing::HeaderFiling;

use std::collections::BTreeMap;

use crate::mail::search::{
    DateRange, DocEntry, HmacTermHasher, IndexDocument, MemoryPostings, PostingStore, Query,
    SearchIndex, TermKey, TermKeyMap, decode_postings, difference, encode_postings, union,
};
use crate::store::{Durability, FolderId, Store};

use super::error::Error;
use super::pages;
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

/// Postings and document entries filed and not yet written.
#[derive(Default)]
pub struct Pending {
    /// UIDs filed under each term (unsorted).
    added: TermKeyMap<Vec<u32>>,
    documents: BTreeMap<u32, Option<DocEntry>>,
}

impl Pending {
    /// Documents filed (or forgotten) in this buffer.
    pub fn documents(&self) -> usize {
        self.documents.len()
    }

    /// The buffer as bucket rewrites, ready to be written in steps.
    pub fn into_merge(self) -> Merge {
        let mut buckets: BTreeMap<u16, Vec<(TermKey, Vec<u32>)>> = BTreeMap::new();
        for (key, uids) in self.added {
            buckets
                .entry(bucket_of(&key))
                .or_default()
                .push((key, uids));
        }
        Merge {
            buckets,
            documents: self.documents,
        }
    }
}

/// Buffered postings on their way into the stored buckets: every touched
/// bucket is rewritten once, then the document entries are written, which
/// is what makes the documents findable.
pub struct Merge {
    buckets: BTreeMap<u16, Vec<(TermKey, Vec<u32>)>>,
    documents: BTreeMap<u32, Option<DocEntry>>,
}

impl Merge {
    /// Whether the next step writes the document entries.
    pub fn at_documents(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Keeps the entries of these UIDs (ascending) only: a message removed
    /// while it was being filed must not become findable again.
    pub fn retain_documents(&mut self, listed: &[u32]) {
        self.documents
            .retain(|uid, _| listed.binary_search(uid).is_ok());
    }

    /// Rewrites up to `max_buckets` buckets or, once none is left, the
    /// document entries; true when everything is written.
    pub fn step(
        &mut self,
        store: &Store,
        folder: FolderId,
        max_buckets: usize,
    ) -> Result<bool, Error> {
        let mut b = store.batch()?;
        let (mut in_batch, mut rewritten) = (0, 0);
        for _ in 0..max_buckets {
            let Some((bucket, changes)) = self.buckets.pop_first() else {
                break;
            };
            let mut stored = read_bucket(store, folder, bucket)?;
            for (key, mut uids) in changes {
                uids.sort_unstable();
                uids.dedup();
                add_postings(&mut stored, &key, &uids)?;
            }
            put_bucket(&mut b, folder, bucket, &stored)?;
            (in_batch, rewritten) = (in_batch + 1, rewritten + 1);
            if in_batch == BUCKETS_PER_BATCH {
                b.commit(Durability::Lazy)?;
                b = store.batch()?;
                in_batch = 0;
            }
        }
        if rewritten > 0 || !self.buckets.is_empty() {
            // the document entries go in a step of their own (see
            // `retain_documents`)
            b.commit(Durability::Lazy)?;
            return Ok(false);
        }
        let mut by_page: BTreeMap<u32, Vec<(u32, Option<DocEntry>)>> = BTreeMap::new();
        for (uid, doc) in std::mem::take(&mut self.documents) {
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
        Ok(true)
    }
}

pub struct StorePostings<'s> {
    store: &'s Store,
    folder: FolderId,
    pending: Pending,
}

impl<'s> StorePostings<'s> {
    pub fn new(store: &'s Store, folder: FolderId) -> Self {
        Self::with_pending(store, folder, Pending::default())
    }

    /// Goes on filing into what an earlier step buffered.
    pub fn with_pending(store: &'s Store, folder: FolderId, pending: Pending) -> Self {
        StorePostings {
            store,
            folder,
            pending,
        }
    }

    pub fn into_pending(self) -> Pending {
        self.pending
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
        let (store, folder) = (self.store, self.folder);
        let mut merge = self.pending.into_merge();
        while !merge.step(store, folder, usize::MAX)? {}
        Ok(())
    }

    /// The stored document entries with this commit's changes applied.
    fn live_documents(&self) -> Result<BTreeMap<u32, DocEntry>, Error> {
        let mut all = all_doc_entries(self.store, self.folder)?;
        for (uid, doc) in &self.pending.documents {
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
        match self.pending.added.get(key) {
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
        self.pending.added.entry(*key).or_default().push(uid);
        Ok(())
    }

    fn put_document(&mut self, uid: u32, entry: DocEntry) -> Result<(), Error> {
        self.pending.documents.insert(uid, Some(entry));
        Ok(())
    }

    fn remove_document(&mut self, uid: u32) -> Result<(), Error> {
        self.pending.documents.insert(uid, None);
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

/// Messages read per step when a search goes through summaries.
const SCAN_UIDS: usize = 2048;

/// UIDs of one folder matching the query, ascending. `listed` are the
/// folder's cached UIDs, ascending: those the index has not filed yet (the
/// headers of a first sync are filed after it, in the background) are
/// matched by reading their summaries, a few thousand at a time, so a
/// search right after a sync misses nothing.
pub fn search(
    store: &Store,
    folder: FolderId,
    listed: &[u32],
    query: &Query,
) -> Result<Vec<u32>, Error> {
    legacy::migrate(store, folder)?;
    let index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    let filed = index.store().all_documents()?;
    let mut found = index.search_among(query, &filed)?;
    let unfiled = difference(listed, &filed);
    for chunk in unfiled.chunks(SCAN_UIDS) {
        let mut scan = SearchIndex::new(hasher(store)?, MemoryPostings::default());
        for envelope in pages::read_summaries(store, folder, chunk)? {
            scan.index_document(&IndexDocument::from_envelope(&envelope, ""))?;
        }
        found = union(&found, &scan.search(query)?);
    }
    Ok(found)
}

/// Of these UIDs (ascending), those whose headers the folder's index has
/// not filed.
pub fn unfiled(store: &Store, folder: FolderId, listed: &[u32]) -> Result<Vec<u32>, Error> {
    legacy::migrate(store, folder)?;
    let filed: Vec<u32> = all_doc_entries(store, folder)?.into_keys().collect();
    Ok(difference(listed, &filed))
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
