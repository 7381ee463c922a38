//! Filing the headers of many cached messages in short steps: each step is
//! one call on the store thread (read a few thousand summaries, hash their
//! terms into a buffer), the buffer then goes into the buckets a few
//! hundred at a time ([`Merge::step`]), so a filing of 100 000 messages
//! never holds the store thread for long and the interface's reads go
//! between the steps. Nothing is findable through the index before the last
//! step writes the document entries; until then a search reads those
//! messages' summaries instead (see [`super::search`]).

use crate::mail::search::{IndexDocument, SearchIndex, TermMemo};
use crate::store::{FolderId, Store};

use super::super::error::Error;
use super::super::pages;
use super::{Merge, Pending, StorePostings, hasher, legacy};

/// A filing in progress: what the steps so far hashed, not yet written.
#[derive(Default)]
pub struct HeaderFiling {
    pending: Pending,
    /// Terms hashed by earlier steps: mail repeats its names and words.
    memo: TermMemo,
}

impl HeaderFiling {
    /// Files the headers of these messages, read from their stored
    /// summaries (a UID no longer cached is skipped).
    pub fn file(&mut self, store: &Store, folder: FolderId, uids: &[u32]) -> Result<(), Error> {
        legacy::migrate(store, folder)?;
        let postings =
            StorePostings::with_pending(store, folder, std::mem::take(&mut self.pending));
        let mut index =
            SearchIndex::with_memo(hasher(store)?, postings, std::mem::take(&mut self.memo));
        for envelope in pages::read_summaries(store, folder, uids)? {
            index.index_document(&IndexDocument::from_envelope(&envelope, ""))?;
        }
        let (postings, memo) = index.into_parts();
        self.pending = postings.into_pending();
        self.memo = memo;
        Ok(())
    }

    /// Messages filed so far.
    pub fn documents(&self) -> usize {
        self.pending.documents()
    }

    /// The filing as bucket rewrites, to be written in steps.
    pub fn into_merge(self) -> Merge {
        self.pending.into_merge()
    }
}
