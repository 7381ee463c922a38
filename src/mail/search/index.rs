//! The inverted index over hashed terms, generic over where postings live.
//! One index covers one mailbox at one UIDVALIDITY (UIDs are only unique
//! there); the owner drops and rebuilds it when UIDVALIDITY changes.
//!
//! Filing is additive and removal is by document: a UID's content never
//! changes inside one UIDVALIDITY, so filing a message again (its headers at
//! sync, then its body once fetched) only adds terms, and forgetting a
//! message drops its document entry while its postings stay behind. Every
//! query answers only documents still filed (the live set), so a removed
//! message is never found again, and a UID is never reused. What this saves:
//! no per-message list of keys to keep (it was 32 bytes a term, most of the
//! index), no posting list to rewrite on removal. What it costs: the postings
//! of removed messages stay until the folder's index is rebuilt, a few bytes
//! a term.

use std::collections::HashMap;

use super::query::{DateRange, Query, Term};
use super::{Error, Field, IndexDocument, TermHasher, TermKey, tokenize};

/// What the index remembers about one filed message: its date (for `date:`
/// clauses). Its presence is what makes the message findable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocEntry {
    pub date: Option<i64>,
}

/// Persistence of postings, implemented in memory here and by the encrypted
/// store for disk. Posting lists and document lists are sorted UIDs.
/// Implementations should make a document's updates atomic (one batch).
pub trait PostingStore {
    type Error: std::error::Error + Send + Sync + 'static;
    fn postings(&self, key: &TermKey) -> Result<Vec<u32>, Self::Error>;
    fn insert_posting(&mut self, key: &TermKey, uid: u32) -> Result<(), Self::Error>;
    fn put_document(&mut self, uid: u32, entry: DocEntry) -> Result<(), Self::Error>;
    fn remove_document(&mut self, uid: u32) -> Result<(), Self::Error>;
    fn all_documents(&self) -> Result<Vec<u32>, Self::Error>;
    fn documents_in_range(&self, range: DateRange) -> Result<Vec<u32>, Self::Error>;
}

pub struct SearchIndex<H, S> {
    hasher: H,
    store: S,
    /// Keys of the terms already hashed while filing, by field tag + term:
    /// mail repeats its names, addresses and words, and a keyed hash costs
    /// far more than a lookup. In memory only, cleared past [`MEMO_TERMS`].
    /// foldhash: several times SipHash's speed on short words, seeded at
    /// random per process (the words come from mail, so a fixed hash could
    /// be flooded).
    memo: TermMemo,
}

/// Keys of terms already hashed, by field tag + term (see [`SearchIndex`]).
pub type TermMemo = HashMap<String, TermKey, foldhash::fast::RandomState>;

/// Most terms remembered by [`SearchIndex`] while filing.
const MEMO_TERMS: usize = 200_000;

fn store_error<E: std::error::Error + Send + Sync + 'static>(e: E) -> Error {
    Error::Store(Box::new(e))
}

impl<H: TermHasher, S: PostingStore> SearchIndex<H, S> {
    pub fn new(hasher: H, store: S) -> Self {
        Self::with_memo(hasher, store, TermMemo::default())
    }

    /// An index that goes on with the terms hashed by an earlier one (a
    /// filing made in several steps).
    pub fn with_memo(hasher: H, store: S, memo: TermMemo) -> Self {
        SearchIndex {
            hasher,
            store,
            memo,
        }
    }

    /// The posting store and the memo, for a next step.
    pub fn into_parts(self) -> (S, TermMemo) {
        (self.store, self.memo)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    fn key(&self, field: Field, term: &str) -> TermKey {
        TermKey(self.hasher.hash(field, term))
    }

    /// The key of a term while filing, from the memo when hashed before.
    fn filing_key(&mut self, field: Field, term: &str, scratch: &mut String) -> TermKey {
        scratch.clear();
        scratch.push(char::from(field.tag()));
        scratch.push_str(term);
        if let Some(key) = self.memo.get(scratch.as_str()) {
            return *key;
        }
        if self.memo.len() >= MEMO_TERMS {
            self.memo.clear();
        }
        let key = self.key(field, term);
        self.memo.insert(scratch.clone(), key);
        key
    }

    /// Keys for a word sequence: the word itself, or each adjacent pair for
    /// a phrase (pairs give phrase matching without storing positions).
    fn query_keys(&self, field: Field, words: &[String]) -> Vec<TermKey> {
        match words {
            [one] => vec![self.key(field, one)],
            _ => words
                .windows(2)
                .map(|w| self.key(field, &format!("{} {}", w[0], w[1])))
                .collect(),
        }
    }

    /// File a message; filing the same UID again adds the new terms.
    pub fn index_document(&mut self, doc: &IndexDocument) -> Result<(), Error> {
        let mut keys: Vec<TermKey> = Vec::new();
        let (mut scratch, mut pair) = (String::new(), String::new());
        for (field, text) in doc.fields() {
            let words = tokenize(text);
            for w in &words {
                keys.push(self.filing_key(field, w, &mut scratch));
            }
            for w in words.windows(2) {
                pair.clear();
                pair.push_str(&w[0]);
                pair.push(' ');
                pair.push_str(&w[1]);
                keys.push(self.filing_key(field, &pair, &mut scratch));
            }
        }
        // Keyed hashes: their first eight bytes order them as well as all
        // 32 and compare in one instruction. Equal keys end up adjacent; two
        // different keys sharing those bytes (odds 2^-64) could leave a
        // duplicate, which filing the same UID twice tolerates.
        keys.sort_unstable_by_key(|k| k.prefix());
        keys.dedup();
        for key in &keys {
            self.store
                .insert_posting(key, doc.uid)
                .map_err(store_error)?;
        }
        self.store
            .put_document(doc.uid, DocEntry { date: doc.date })
            .map_err(store_error)
    }

    /// Forget a message (expunged or moved): no query finds it any more.
    pub fn remove(&mut self, uid: u32) -> Result<(), Error> {
        self.store.remove_document(uid).map_err(store_error)
    }

    /// UIDs matching every clause, ascending. An empty query matches all.
    pub fn search(&self, query: &Query) -> Result<Vec<u32>, Error> {
        let live = self.store.all_documents().map_err(store_error)?;
        self.search_among(query, &live)
    }

    /// As [`search`](Self::search), with the filed documents (`live`,
    /// ascending) already read by the caller.
    pub fn search_among(&self, query: &Query, live: &[u32]) -> Result<Vec<u32>, Error> {
        let mut positive: Option<Vec<u32>> = None;
        let mut negative: Vec<Vec<u32>> = Vec::new();
        for clause in &query.clauses {
            let set = self.evaluate(&clause.term)?;
            if clause.negated {
                negative.push(set);
            } else {
                positive = Some(match positive {
                    Some(p) => intersect(&p, &set),
                    None => set,
                });
            }
        }
        let mut result = match positive {
            // postings may still name removed messages
            Some(p) => intersect(&p, live),
            None => live.to_vec(),
        };
        for set in negative {
            result = difference(&result, &set);
        }
        Ok(result)
    }

    fn evaluate(&self, term: &Term) -> Result<Vec<u32>, Error> {
        match term {
            Term::Date(range) => self.store.documents_in_range(*range).map_err(store_error),
            Term::Words { field, words } => {
                let fields: &[Field] = match field {
                    Some(f) => std::slice::from_ref(f),
                    None => &Field::ALL,
                };
                let mut any: Vec<u32> = Vec::new();
                for &f in fields {
                    let mut all: Option<Vec<u32>> = None;
                    for key in self.query_keys(f, words) {
                        let postings = self.store.postings(&key).map_err(store_error)?;
                        all = Some(match all {
                            Some(a) => intersect(&a, &postings),
                            None => postings,
                        });
                        if all.as_ref().is_some_and(Vec::is_empty) {
                            break;
                        }
                    }
                    any = union(&any, &all.unwrap_or_default());
                }
                Ok(any)
            }
        }
    }
}

pub(crate) fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

pub(crate) fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i] <= b[j]);
        let v = if take_a { a[i] } else { b[j] };
        if take_a {
            i += 1;
            if j < b.len() && b[j] == v {
                j += 1;
            }
        } else {
            j += 1;
        }
        out.push(v);
    }
    out
}

pub(crate) fn difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|v| {
            while j < b.len() && b[j] < *v {
                j += 1;
            }
            !(j < b.len() && b[j] == *v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), [3, 5]);
        assert_eq!(union(&[1, 3, 5], &[2, 3, 9]), [1, 2, 3, 5, 9]);
        assert_eq!(difference(&[1, 2, 3, 4], &[2, 4, 6]), [1, 3]);
        assert_eq!(union(&[], &[4]), [4]);
    }
}
