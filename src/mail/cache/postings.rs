//! The search index persisted in the store: a [`PostingStore`] over the
//! store's search trees for one folder. Terms reach it only as HMAC keys
//! ([`HmacTermHasher`] keyed by a secret derived from the profile's data
//! key), so no term is ever on disk in clear, not even in a key. Changes are
//! buffered in memory and written by [`StorePostings::commit`] as one batch,
//! so indexing a batch of messages rewrites each touched posting list once.
//! New postings are appended and the list sorted once at commit: a sync files
//! older messages after newer ones, and inserting each at the front of a
//! 100k list would be quadratic.

use std::collections::BTreeMap;

use crate::mail::search::{
    DateRange, DocEntry, HmacTermHasher, IndexDocument, PostingStore, Query, SearchIndex, TermKey,
    TermKeyMap, decode_document, decode_postings, encode_document, encode_postings,
};
use crate::store::{Durability, FolderId, Store};

use super::error::Error;

/// Label of the secret that keys the term hashes.
const TERM_SECRET: &str = "mail-search-terms";

pub struct StorePostings<'s> {
    store: &'s Store,
    folder: FolderId,
    postings: TermKeyMap<Postings>,
    documents: BTreeMap<u32, Option<DocEntry>>,
}

/// A posting list being changed: UIDs appended since it was last sorted.
struct Postings {
    uids: Vec<u32>,
    sorted: bool,
}

impl Postings {
    fn sort(&mut self) {
        if !self.sorted {
            self.uids.sort_unstable();
            self.uids.dedup();
            self.sorted = true;
        }
    }
}

impl<'s> StorePostings<'s> {
    pub fn new(store: &'s Store, folder: FolderId) -> Self {
        StorePostings {
            store,
            folder,
            postings: TermKeyMap::default(),
            documents: BTreeMap::new(),
        }
    }

    fn load(&mut self, key: &TermKey) -> Result<&mut Postings, Error> {
        if !self.postings.contains_key(key) {
            let uids = self.read(key)?;
            self.postings.insert(*key, Postings { uids, sorted: true });
        }
        self.postings
            .get_mut(key)
            .ok_or(Error::Corrupt { what: "posting" })
    }

    fn read(&self, key: &TermKey) -> Result<Vec<u32>, Error> {
        match self.store.posting(self.folder, &key.0)? {
            Some(bytes) => decode_postings(&bytes).map_err(|_| Error::Corrupt { what: "posting" }),
            None => Ok(Vec::new()),
        }
    }

    /// Writes every buffered change in one atomic batch.
    pub fn commit(mut self) -> Result<(), Error> {
        let mut b = self.store.batch()?;
        for (key, list) in &mut self.postings {
            list.sort();
            b.put_posting(self.folder, &key.0, &encode_postings(&list.uids))?;
        }
        for (uid, doc) in &self.documents {
            match doc {
                Some(d) => b.put_search_doc(self.folder, *uid, &encode_document(d))?,
                None => b.remove_search_doc(self.folder, *uid),
            }
        }
        b.commit(Durability::Lazy)?;
        Ok(())
    }
}

impl PostingStore for StorePostings<'_> {
    type Error = Error;

    fn postings(&self, key: &TermKey) -> Result<Vec<u32>, Error> {
        match self.postings.get(key) {
            Some(list) if list.sorted => Ok(list.uids.clone()),
            Some(list) => {
                let mut uids = list.uids.clone();
                uids.sort_unstable();
                uids.dedup();
                Ok(uids)
            }
            None => self.read(key),
        }
    }

    fn insert_posting(&mut self, key: &TermKey, uid: u32) -> Result<(), Error> {
        let list = self.load(key)?;
        if list.uids.last().is_some_and(|last| *last >= uid) {
            list.sorted = false;
        }
        list.uids.push(uid);
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
        let mut uids: Vec<u32> = self.store.search_doc_uids(self.folder)?;
        uids.retain(|u| !matches!(self.documents.get(u), Some(None)));
        uids.extend(
            self.documents
                .iter()
                .filter(|(_, d)| d.is_some())
                .map(|(u, _)| *u),
        );
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    fn documents_in_range(&self, range: DateRange) -> Result<Vec<u32>, Error> {
        let mut out = Vec::new();
        for (uid, bytes) in self.store.search_docs(self.folder)? {
            if self.documents.contains_key(&uid) {
                continue;
            }
            let doc = decode_document(&bytes).map_err(|_| Error::Corrupt { what: "document" })?;
            if doc.date.is_some_and(|d| range.contains(d)) {
                out.push(uid);
            }
        }
        for (uid, doc) in &self.documents {
            if let Some(d) = doc
                && d.date.is_some_and(|t| range.contains(t))
            {
                out.push(*uid);
            }
        }
        out.sort_unstable();
        Ok(out)
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
    let mut index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    for u in uids {
        index.remove(*u)?;
    }
    index.into_store().commit()
}

/// UIDs of one folder matching the query, ascending.
pub fn search(store: &Store, folder: FolderId, query: &Query) -> Result<Vec<u32>, Error> {
    let index = SearchIndex::new(hasher(store)?, StorePostings::new(store, folder));
    Ok(index.search(query)?)
}
