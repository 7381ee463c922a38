//! What threading and ordering read of a message. An [`Envelope`] gives its
//! Message-IDs as text; the cache's compact key for each message of a
//! folder gives them as keyed hashes, which is what lets a 100k folder's
//! orders be rebuilt without holding 100k envelopes.

use std::hash::Hash;

use crate::domain::envelope::Envelope;

pub trait Threadable {
    /// A Message-ID as threading compares it (equal ids, equal values).
    type Id<'a>: Copy + Eq + Hash
    where
        Self: 'a;

    /// The message's own Message-ID; `None` when absent or empty.
    fn message_id(&self) -> Option<Self::Id<'_>>;
    /// `References`, oldest first; empty ids left out.
    fn references(&self) -> impl Iterator<Item = Self::Id<'_>>;
    /// `In-Reply-To`; `None` when absent or empty.
    fn in_reply_to(&self) -> Option<Self::Id<'_>>;
    fn subject(&self) -> &str;
    /// Seconds since the epoch, UTC.
    fn date(&self) -> Option<i64>;
    fn size(&self) -> u64;
    /// The sender's display name (or address), as sorted by sender.
    fn sender_name(&self) -> &str;
}

impl Threadable for Envelope {
    type Id<'a> = &'a str;

    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref().filter(|id| !id.is_empty())
    }

    fn references(&self) -> impl Iterator<Item = &str> {
        self.references
            .iter()
            .map(String::as_str)
            .filter(|r| !r.is_empty())
    }

    fn in_reply_to(&self) -> Option<&str> {
        self.in_reply_to.as_deref().filter(|r| !r.is_empty())
    }

    fn subject(&self) -> &str {
        &self.subject
    }

    fn date(&self) -> Option<i64> {
        self.date.map(|d| d.utc_seconds)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn sender_name(&self) -> &str {
        self.sender().map_or("", |a| a.display_name())
    }
}
