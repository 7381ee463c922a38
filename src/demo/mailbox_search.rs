//! Search in the demo mailbox: the real `mail::search` index (keyed term
//! hashes in memory, a session-only key) over every generated message.

use super::mailbox::Live;
use crate::mail::search::{HmacTermHasher, IndexDocument, MemoryPostings, SearchIndex};

pub(crate) struct DemoSearch {
    index: SearchIndex<HmacTermHasher, MemoryPostings>,
    /// Message count when built: a new message (none today) would rebuild it.
    indexed: usize,
}

impl DemoSearch {
    pub fn build(live: &Live) -> DemoSearch {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        fastrand::fill(secret.as_mut_slice());
        let mut index = SearchIndex::new(HmacTermHasher::new(&secret), MemoryPostings::default());
        for m in &live.messages {
            let doc = IndexDocument {
                uid: m.id.0 as u32,
                from: m.from.clone(),
                to: format!("{} {}", m.to, m.cc),
                subject: m.subject.clone(),
                body: m.body.clone(),
                date: Some(m.date),
            };
            if index.index_document(&doc).is_err() {
                tracing::warn!("a demo message could not be indexed");
            }
        }
        DemoSearch {
            index,
            indexed: live.messages.len(),
        }
    }

    pub fn is_current(&self, live: &Live) -> bool {
        self.indexed == live.messages.len()
    }

    /// Uids matching the query, any folder.
    pub fn search(&self, query: &crate::mail::search::Query) -> Vec<u32> {
        self.index.search(query).unwrap_or_default()
    }
}
