//! The typed API the other modules use: mail envelopes and bodies by
//! account/folder/UID with a Message-ID index, outbox, drafts, directory
//! search history, records cache and settings. Values are serde types chosen
//! by the caller (JSON inside the seal); the store never interprets them.
//! Envelope keys sort by UID inside a folder, so one screen of a 100k folder
//! is one bounded reverse range scan.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::db::{Batch, Durability, Entry, Order, Store, TailRange};
use super::error::{Error, Result};
use super::layout::{
    FolderId, FolderRef, HASH_LEN, Tree, folder_id, short_hash, tail_u32, tail_u64,
};

/// One page of a folder, newest UID first.
#[derive(Debug)]
pub struct EnvelopePage<T> {
    pub items: Vec<(u32, T)>,
    /// Pass as `before_uid` to get the next page; `None` at the end.
    pub next_before: Option<u32>,
}

fn decode<T: DeserializeOwned>(e: &Entry) -> Result<T> {
    Ok(serde_json::from_slice(&e.value)?)
}

fn uid_tail(folder: FolderId, uid: u32) -> Vec<u8> {
    let mut t = folder.0.to_vec();
    t.extend_from_slice(&uid.to_be_bytes());
    t
}

impl Batch<'_> {
    /// Stages an envelope and, when given, its Message-ID index entry.
    pub fn put_envelope<T: Serialize>(
        &mut self,
        folder: FolderRef<'_>,
        uid: u32,
        message_id: Option<&str>,
        envelope: &T,
    ) -> Result<()> {
        let f = folder_id(self.keys(), folder)?;
        self.put(
            Tree::Envelopes,
            &uid_tail(f, uid),
            &serde_json::to_vec(envelope)?,
        )?;
        if let Some(mid) = message_id {
            let mut t = short_hash(self.keys(), "message-id", mid.as_bytes())?.to_vec();
            t.extend_from_slice(&f.0);
            self.put(Tree::MessageIds, &t, &uid.to_be_bytes())?;
        }
        Ok(())
    }

    /// Stages a setting.
    pub fn put_setting<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let t = short_hash(self.keys(), "setting", name.as_bytes())?;
        self.put(Tree::Settings, &t, &serde_json::to_vec(value)?)
    }

    /// Stages a raw message body.
    pub fn put_body(&mut self, folder: FolderRef<'_>, uid: u32, body: &[u8]) -> Result<()> {
        let f = folder_id(self.keys(), folder)?;
        self.put(Tree::Bodies, &uid_tail(f, uid), body)
    }

    /// Stages the removal of a message (envelope, body, index entry).
    pub fn remove_message(
        &mut self,
        folder: FolderRef<'_>,
        uid: u32,
        message_id: Option<&str>,
    ) -> Result<()> {
        let f = folder_id(self.keys(), folder)?;
        self.remove(Tree::Envelopes, &uid_tail(f, uid));
        self.remove(Tree::Bodies, &uid_tail(f, uid));
        if let Some(mid) = message_id {
            let mut t = short_hash(self.keys(), "message-id", mid.as_bytes())?.to_vec();
            t.extend_from_slice(&f.0);
            self.remove(Tree::MessageIds, &t);
        }
        Ok(())
    }
}

impl Store {
    /// Stores one envelope (lazy durability: the cache is re-fetchable).
    pub fn put_envelope<T: Serialize>(
        &self,
        folder: FolderRef<'_>,
        uid: u32,
        message_id: Option<&str>,
        envelope: &T,
    ) -> Result<()> {
        let mut b = self.batch()?;
        b.put_envelope(folder, uid, message_id, envelope)?;
        b.commit(Durability::Lazy)
    }

    pub fn envelope<T: DeserializeOwned>(
        &self,
        folder: FolderRef<'_>,
        uid: u32,
    ) -> Result<Option<T>> {
        let f = folder_id(self.keys()?, folder)?;
        match self.get(Tree::Envelopes, &uid_tail(f, uid))? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// A page of envelopes with UID < `before_uid` (all when `None`), newest first.
    pub fn envelopes_page<T: DeserializeOwned>(
        &self,
        folder: FolderRef<'_>,
        before_uid: Option<u32>,
        limit: usize,
    ) -> Result<EnvelopePage<T>> {
        let f = folder_id(self.keys()?, folder)?;
        let from = uid_tail(f, 0);
        let to = match before_uid {
            Some(u) => uid_tail(f, u),
            None => {
                // One past the folder prefix: the next hash value.
                let mut t = f.0.to_vec();
                t.extend_from_slice(&[0xff; 5]);
                t
            }
        };
        if limit == 0 {
            return Ok(EnvelopePage {
                items: Vec::new(),
                next_before: before_uid,
            });
        }
        let entries = self.scan(
            Tree::Envelopes,
            TailRange::between(&from, &to),
            Order::Descending,
            limit,
        )?;
        let mut items = Vec::with_capacity(entries.len());
        for e in &entries {
            let uid = tail_u32(&e.tail).ok_or_else(|| Error::integrity("envelope key"))?;
            items.push((uid, decode(e)?));
        }
        let next_before = if items.len() == limit {
            items.last().map(|(u, _)| *u)
        } else {
            None
        };
        Ok(EnvelopePage { items, next_before })
    }

    /// Number of envelopes cached for a folder (keys only, no decryption).
    pub fn envelope_count(&self, folder: FolderRef<'_>) -> Result<usize> {
        let f = folder_id(self.keys()?, folder)?;
        let from = uid_tail(f, 0);
        let mut to = f.0.to_vec();
        to.extend_from_slice(&[0xff; 5]);
        self.count(Tree::Envelopes, TailRange::between(&from, &to))
    }

    /// Where a Message-ID is cached in `folder`, if anywhere.
    pub fn uid_for_message_id(
        &self,
        folder: FolderRef<'_>,
        message_id: &str,
    ) -> Result<Option<u32>> {
        let keys = self.keys()?;
        let mut t = short_hash(keys, "message-id", message_id.as_bytes())?.to_vec();
        t.extend_from_slice(&folder_id(keys, folder)?.0);
        match self.get(Tree::MessageIds, &t)? {
            Some(v) => Ok(Some(
                tail_u32(&v).ok_or_else(|| Error::integrity("message-id index"))?,
            )),
            None => Ok(None),
        }
    }

    pub fn put_body(&self, folder: FolderRef<'_>, uid: u32, body: &[u8]) -> Result<()> {
        let mut b = self.batch()?;
        b.put_body(folder, uid, body)?;
        b.commit(Durability::Lazy)
    }

    pub fn body(
        &self,
        folder: FolderRef<'_>,
        uid: u32,
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
        let f = folder_id(self.keys()?, folder)?;
        self.get(Tree::Bodies, &uid_tail(f, uid))
    }

    pub fn remove_message(
        &self,
        folder: FolderRef<'_>,
        uid: u32,
        message_id: Option<&str>,
    ) -> Result<()> {
        let mut b = self.batch()?;
        b.remove_message(folder, uid, message_id)?;
        b.commit(Durability::Lazy)
    }

    /// Drops everything cached for a folder (envelopes, bodies, Message-ID
    /// index) in one batch: for a UIDVALIDITY change or a removed account.
    /// Returns the number of messages removed.
    pub fn clear_folder(&self, folder: FolderRef<'_>) -> Result<usize> {
        let f = folder_id(self.keys()?, folder)?;
        let from = uid_tail(f, 0);
        let mut to = f.0.to_vec();
        to.extend_from_slice(&[0xff; 5]);
        let range = TailRange::between(&from, &to);
        let envelopes = self.tails(Tree::Envelopes, range, usize::MAX)?;
        let bodies = self.tails(Tree::Bodies, range, usize::MAX)?;
        // Index keys are message-id hash then folder hash: match the suffix.
        let index: Vec<Vec<u8>> = self
            .tails(Tree::MessageIds, TailRange::all(), usize::MAX)?
            .into_iter()
            .filter(|t| t.len() == 2 * HASH_LEN && t[HASH_LEN..] == f.0)
            .collect();
        let mut b = self.batch()?;
        for t in &envelopes {
            b.remove(Tree::Envelopes, t);
        }
        for t in &bodies {
            b.remove(Tree::Bodies, t);
        }
        for t in &index {
            b.remove(Tree::MessageIds, t);
        }
        b.commit(Durability::Flush)?;
        Ok(envelopes.len())
    }

    /// Queues a message for sending; durable when this returns.
    pub fn outbox_push(&self, raw_message: &[u8]) -> Result<u64> {
        self.push_seq(Tree::Outbox, raw_message)
    }

    /// The outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<(u64, zeroize::Zeroizing<Vec<u8>>)>> {
        self.list_seq(Tree::Outbox, Order::Ascending, usize::MAX)
    }

    pub fn outbox_remove(&self, id: u64) -> Result<()> {
        self.remove_seq(Tree::Outbox, id)
    }

    /// Saves a draft (new when `id` is `None`); durable when this returns.
    pub fn save_draft<T: Serialize>(&self, id: Option<u64>, draft: &T) -> Result<u64> {
        let id = match id {
            Some(i) => i,
            None => self.next_id()?,
        };
        let mut b = self.batch()?;
        b.put(Tree::Drafts, &id.to_be_bytes(), &serde_json::to_vec(draft)?)?;
        b.commit(Durability::Flush)?;
        Ok(id)
    }

    pub fn drafts<T: DeserializeOwned>(&self) -> Result<Vec<(u64, T)>> {
        self.list_seq(Tree::Drafts, Order::Ascending, usize::MAX)?
            .into_iter()
            .map(|(i, v)| Ok((i, serde_json::from_slice(&v)?)))
            .collect()
    }

    pub fn remove_draft(&self, id: u64) -> Result<()> {
        self.remove_seq(Tree::Drafts, id)
    }

    /// Records a directory search (the query value is the caller's type).
    pub fn push_directory_search<T: Serialize>(&self, query: &T) -> Result<u64> {
        self.push_seq(Tree::DirectoryHistory, &serde_json::to_vec(query)?)
    }

    /// The most recent directory searches, newest first.
    pub fn recent_directory_searches<T: DeserializeOwned>(&self, limit: usize) -> Result<Vec<T>> {
        self.list_seq(Tree::DirectoryHistory, Order::Descending, limit)?
            .into_iter()
            .map(|(_, v)| Ok(serde_json::from_slice(&v)?))
            .collect()
    }

    /// Caches a DMP document entry of a patient (INS and document id hashed).
    pub fn put_record<T: Serialize>(&self, ins: &str, document_id: &str, entry: &T) -> Result<()> {
        let keys = self.keys()?;
        let mut t = short_hash(keys, "ins", ins.as_bytes())?.to_vec();
        t.extend_from_slice(&short_hash(keys, "document", document_id.as_bytes())?);
        let mut b = self.batch()?;
        b.put(Tree::Records, &t, &serde_json::to_vec(entry)?)?;
        b.commit(Durability::Lazy)
    }

    /// Every cached document entry of a patient.
    pub fn records_for<T: DeserializeOwned>(&self, ins: &str) -> Result<Vec<T>> {
        let p = short_hash(self.keys()?, "ins", ins.as_bytes())?;
        let from = [p.as_slice(), &[0u8; HASH_LEN]].concat();
        let to = [p.as_slice(), &[0xffu8; HASH_LEN + 1]].concat();
        self.scan(
            Tree::Records,
            TailRange::between(&from, &to),
            Order::Ascending,
            usize::MAX,
        )?
        .iter()
        .map(decode)
        .collect()
    }

    pub fn put_setting<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let mut b = self.batch()?;
        b.put_setting(name, value)?;
        b.commit(Durability::Flush)
    }

    pub fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let t = short_hash(self.keys()?, "setting", name.as_bytes())?;
        match self.get(Tree::Settings, &t)? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    fn push_seq(&self, tree: Tree, plain: &[u8]) -> Result<u64> {
        let id = self.next_id()?;
        let mut b = self.batch()?;
        b.put(tree, &id.to_be_bytes(), plain)?;
        b.commit(Durability::Flush)?;
        Ok(id)
    }

    fn list_seq(
        &self,
        tree: Tree,
        order: Order,
        limit: usize,
    ) -> Result<Vec<(u64, zeroize::Zeroizing<Vec<u8>>)>> {
        self.scan(tree, TailRange::all(), order, limit)?
            .into_iter()
            .map(|e| {
                let id = tail_u64(&e.tail).ok_or_else(|| Error::integrity(tree.name()))?;
                Ok((id, e.value))
            })
            .collect()
    }

    fn remove_seq(&self, tree: Tree, id: u64) -> Result<()> {
        let mut b = self.batch()?;
        b.remove(tree, &id.to_be_bytes());
        b.commit(Durability::Flush)
    }
}
