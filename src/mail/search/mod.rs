//! Local full-text search over cached messages, plus the message-list filter.
//!
//! Text is cut into accent-folded lower-case tokens ([`tokenize`]); a query
//! language with field prefixes ([`parse_query`]) is evaluated against an
//! inverted index ([`SearchIndex`]). Invariant: the index never holds a term
//! in clear — every term (and every adjacent word pair, used for phrases) is
//! turned into an opaque 32-byte key by a caller-supplied keyed
//! [`TermHasher`] before it reaches the [`PostingStore`], so an index
//! persisted in the encrypted store reveals no search term even to someone
//! who lifts its keys. Posting lists hold IMAP UIDs, sorted.

mod codec;
mod document;
mod error;
mod filter;
mod hasher;
mod index;
mod memory;
mod query;
mod tokenize;

pub use codec::{CodecError, decode_document, decode_postings, encode_document, encode_postings};
pub use document::IndexDocument;
pub use error::Error;
pub use filter::MessageFilter;
pub use hasher::{HmacTermHasher, TermHasher, TermKey, TermKeyHasher, TermKeyMap};
pub use index::{DocEntry, PostingStore, SearchIndex, TermMemo};
pub(crate) use index::{difference, union};
pub use memory::MemoryPostings;
pub use query::{Clause, DateRange, Query, Term, parse_query, parse_query_at};
pub use tokenize::tokenize;

/// The indexed fields. `To` covers To and Cc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    From,
    To,
    Subject,
    Body,
}

impl Field {
    pub const ALL: [Field; 4] = [Field::From, Field::To, Field::Subject, Field::Body];

    /// A stable one-byte tag, part of the hashed input.
    pub fn tag(self) -> u8 {
        match self {
            Field::From => b'f',
            Field::To => b't',
            Field::Subject => b's',
            Field::Body => b'b',
        }
    }
}
