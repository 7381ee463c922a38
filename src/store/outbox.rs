//! Outbox records keyed by Message-ID, for the durable outbox of
//! `mail::outbox`. The key is the first 8 bytes of a keyed hash of the
//! Message-ID (the tree's fixed key length; reveals nothing); the value is
//! the caller's serde type. Every write is flushed before it returns: the
//! outbox commits a state before the network step it announces.
//! Compare-and-swap needs no lock here: the store has a single owner thread
//! ([`super::StoreHandle`]), so a read-check-write inside one call is atomic.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::db::{Durability, Order, Store, TailRange};
use super::error::Result;
use super::layout::{Tree, short_hash};

impl Store {
    fn outbox_key(&self, message_id: &str) -> Result<[u8; 8]> {
        let h = short_hash(self.keys()?, "outbox-message-id", message_id.as_bytes())?;
        let mut k = [0u8; 8];
        k.copy_from_slice(&h[..8]);
        Ok(k)
    }

    /// The outbox record of `message_id`, if any.
    pub fn outbox_record<T: DeserializeOwned>(&self, message_id: &str) -> Result<Option<T>> {
        match self.get(Tree::Outbox, &self.outbox_key(message_id)?)? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Every outbox record (in key order: the caller sorts).
    pub fn outbox_records<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.scan(Tree::Outbox, TailRange::all(), Order::Ascending, usize::MAX)?
            .iter()
            .map(|e| Ok(serde_json::from_slice(&e.value)?))
            .collect()
    }

    /// Writes the record of `message_id`; durable when this returns.
    pub fn put_outbox_record<T: Serialize>(&self, message_id: &str, record: &T) -> Result<()> {
        let mut b = self.batch()?;
        b.put(
            Tree::Outbox,
            &self.outbox_key(message_id)?,
            &serde_json::to_vec(record)?,
        )?;
        b.commit(Durability::Flush)
    }

    /// Removes the record of `message_id`; durable when this returns.
    pub fn remove_outbox_record(&self, message_id: &str) -> Result<()> {
        let mut b = self.batch()?;
        b.remove(Tree::Outbox, &self.outbox_key(message_id)?);
        b.commit(Durability::Flush)
    }
}
