//! An in-memory [`PostingStore`]: the reference implementation, used by
//! tests and for a session-only index when the store is unavailable.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;

use super::TermKey;
use super::index::{DocEntry, PostingStore};
use super::query::DateRange;

#[derive(Debug, Default, Clone)]
pub struct MemoryPostings {
    postings: HashMap<TermKey, BTreeSet<u32>>,
    documents: BTreeMap<u32, DocEntry>,
    by_date: BTreeSet<(i64, u32)>,
}

impl MemoryPostings {
    /// Every key present (tests use it to prove no term is stored in clear).
    pub fn keys(&self) -> impl Iterator<Item = &TermKey> {
        self.postings.keys()
    }

    pub fn document_count(&self) -> usize {
        self.documents.len()
    }
}

impl PostingStore for MemoryPostings {
    type Error = Infallible;

    fn postings(&self, key: &TermKey) -> Result<Vec<u32>, Infallible> {
        Ok(self
            .postings
            .get(key)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    fn insert_posting(&mut self, key: &TermKey, uid: u32) -> Result<(), Infallible> {
        self.postings.entry(*key).or_default().insert(uid);
        Ok(())
    }

    fn put_document(&mut self, uid: u32, entry: DocEntry) -> Result<(), Infallible> {
        self.remove_document(uid)?;
        if let Some(date) = entry.date {
            self.by_date.insert((date, uid));
        }
        self.documents.insert(uid, entry);
        Ok(())
    }

    fn remove_document(&mut self, uid: u32) -> Result<(), Infallible> {
        if let Some(old) = self.documents.remove(&uid)
            && let Some(date) = old.date
        {
            self.by_date.remove(&(date, uid));
        }
        Ok(())
    }

    fn all_documents(&self) -> Result<Vec<u32>, Infallible> {
        Ok(self.documents.keys().copied().collect())
    }

    fn documents_in_range(&self, range: DateRange) -> Result<Vec<u32>, Infallible> {
        let start = (range.start.unwrap_or(i64::MIN), 0);
        let end = (range.end.unwrap_or(i64::MAX), u32::MAX);
        let mut uids: Vec<u32> = self.by_date.range(start..=end).map(|(_, u)| *u).collect();
        uids.sort_unstable();
        Ok(uids)
    }
}
