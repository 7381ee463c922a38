//! Generic records for the mail cache: per-folder records (sync state, the
//! precomputed ordered index), search postings and documents, and the durable
//! queue of mail changes. As everywhere in the store, values are the caller's
//! bytes, sealed; keys hold only keyed hashes and counters. The mail module
//! decides what the bytes mean.

use zeroize::Zeroizing;

use super::db::{Batch, Durability, Order, Store, TailRange};
use super::error::{Error, Result};
use super::layout::{FolderId, FolderRef, HASH_LEN, Tree, folder_id, short_hash, tail_u64};

fn prefixed(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(prefix.len() + rest.len());
    t.extend_from_slice(prefix);
    t.extend_from_slice(rest);
    t
}

/// The range of every key tail starting with `prefix`.
fn prefix_bounds(prefix: &[u8], rest_len: usize) -> (Vec<u8>, Vec<u8>) {
    let from = prefixed(prefix, &vec![0u8; rest_len]);
    let to = prefixed(prefix, &vec![0xffu8; rest_len + 1]);
    (from, to)
}

impl Store {
    /// The opaque identifier of a folder (a keyed hash: reveals nothing).
    pub fn folder_id(&self, folder: FolderRef<'_>) -> Result<FolderId> {
        folder_id(self.keys()?, folder)
    }

    /// The opaque identifier of an account (a keyed hash).
    pub fn account_id(&self, account: &str) -> Result<[u8; HASH_LEN]> {
        short_hash(self.keys()?, "mail-account", account.as_bytes())
    }

    /// A 256-bit secret derived from the profile's keys for `label` (for a
    /// component that keys its own hashes, like the search index).
    pub fn derived_secret(&self, label: &str) -> Result<Zeroizing<[u8; 32]>> {
        Ok(Zeroizing::new(
            self.keys()?
                .keyed_hash("derived-secret", label.as_bytes())?,
        ))
    }

    /// One record of a folder (`record` is the caller's record number).
    pub fn folder_record(
        &self,
        folder: FolderId,
        record: u8,
    ) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.get(Tree::MailFolders, &prefixed(&folder.0, &[record]))
    }

    /// A search posting list of a folder.
    pub fn posting(&self, folder: FolderId, term: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.get(Tree::SearchPostings, &prefixed(&folder.0, term))
    }

    /// A search document of a folder.
    pub fn search_doc(&self, folder: FolderId, uid: u32) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.get(Tree::SearchDocs, &prefixed(&folder.0, &uid.to_be_bytes()))
    }

    /// Every search document of a folder, by UID.
    pub fn search_docs(&self, folder: FolderId) -> Result<Vec<(u32, Zeroizing<Vec<u8>>)>> {
        let (from, to) = prefix_bounds(&folder.0, 4);
        self.scan(
            Tree::SearchDocs,
            TailRange::between(&from, &to),
            Order::Ascending,
            usize::MAX,
        )?
        .into_iter()
        .map(|e| {
            let uid = super::layout::tail_u32(&e.tail)
                .ok_or_else(|| Error::integrity(Tree::SearchDocs.name()))?;
            Ok((uid, e.value))
        })
        .collect()
    }

    /// UIDs with a search document in a folder (keys only, no decryption).
    pub fn search_doc_uids(&self, folder: FolderId) -> Result<Vec<u32>> {
        let (from, to) = prefix_bounds(&folder.0, 4);
        Ok(self
            .tails(Tree::SearchDocs, TailRange::between(&from, &to), usize::MAX)?
            .iter()
            .filter_map(|t| super::layout::tail_u32(t))
            .collect())
    }

    /// Appends to an account's durable queue; on disk when this returns.
    pub fn queue_push(&self, account: &str, plain: &[u8]) -> Result<u64> {
        let a = self.account_id(account)?;
        let seq = self.next_id()?;
        let mut b = self.batch()?;
        b.put(Tree::MailQueue, &prefixed(&a, &seq.to_be_bytes()), plain)?;
        b.commit(Durability::Flush)?;
        Ok(seq)
    }

    /// An account's queue, oldest first.
    pub fn queue(&self, account: &str) -> Result<Vec<(u64, Zeroizing<Vec<u8>>)>> {
        let a = self.account_id(account)?;
        let (from, to) = prefix_bounds(&a, 8);
        self.scan(
            Tree::MailQueue,
            TailRange::between(&from, &to),
            Order::Ascending,
            usize::MAX,
        )?
        .into_iter()
        .map(|e| {
            let seq = tail_u64(&e.tail).ok_or_else(|| Error::integrity(Tree::MailQueue.name()))?;
            Ok((seq, e.value))
        })
        .collect()
    }

    /// Removes one queue entry; on disk when this returns.
    pub fn queue_remove(&self, account: &str, seq: u64) -> Result<()> {
        let a = self.account_id(account)?;
        let mut b = self.batch()?;
        b.remove(Tree::MailQueue, &prefixed(&a, &seq.to_be_bytes()));
        b.commit(Durability::Flush)
    }

    /// Drops the folder's records, postings and search documents (the
    /// envelopes and bodies go with [`Store::clear_folder`]).
    pub fn clear_folder_records(&self, folder: FolderRef<'_>) -> Result<()> {
        let f = self.folder_id(folder)?;
        let mut b = self.batch()?;
        for (tree, rest) in [
            (Tree::MailFolders, 1),
            (Tree::SearchPostings, 32),
            (Tree::SearchDocs, 4),
        ] {
            let (from, to) = prefix_bounds(&f.0, rest);
            for t in self.tails(tree, TailRange::between(&from, &to), usize::MAX)? {
                b.remove(tree, &t);
            }
        }
        b.commit(Durability::Flush)
    }
}

impl Batch<'_> {
    pub fn put_folder_record(&mut self, folder: FolderId, record: u8, plain: &[u8]) -> Result<()> {
        self.put(Tree::MailFolders, &prefixed(&folder.0, &[record]), plain)
    }

    pub fn put_posting(&mut self, folder: FolderId, term: &[u8; 32], plain: &[u8]) -> Result<()> {
        self.put(Tree::SearchPostings, &prefixed(&folder.0, term), plain)
    }

    pub fn put_search_doc(&mut self, folder: FolderId, uid: u32, plain: &[u8]) -> Result<()> {
        self.put(
            Tree::SearchDocs,
            &prefixed(&folder.0, &uid.to_be_bytes()),
            plain,
        )
    }

    pub fn remove_search_doc(&mut self, folder: FolderId, uid: u32) {
        self.remove(Tree::SearchDocs, &prefixed(&folder.0, &uid.to_be_bytes()));
    }

    /// Stages a raw body by folder id (the cache already holds the id).
    pub fn put_body_by_id(&mut self, folder: FolderId, uid: u32, body: &[u8]) -> Result<()> {
        self.put(Tree::Bodies, &prefixed(&folder.0, &uid.to_be_bytes()), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CreateOptions, Profiles, SoftwareUnwrapper};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let card = SoftwareUnwrapper::generate("810000000001").unwrap();
        let (store, _) = Profiles::new(dir.path())
            .create(
                &card,
                CreateOptions {
                    with_recovery_code: false,
                },
            )
            .unwrap();
        (dir, store)
    }

    #[test]
    fn records_queue_and_postings_round_trip_and_verify() {
        let (_dir, s) = store();
        let f = s
            .folder_id(FolderRef {
                account: "a",
                folder: "INBOX",
            })
            .unwrap();
        let mut b = s.batch().unwrap();
        b.put_folder_record(f, 1, b"index").unwrap();
        b.put_posting(f, &[7u8; 32], b"postings").unwrap();
        b.put_search_doc(f, 42, b"doc").unwrap();
        b.commit(Durability::Flush).unwrap();
        assert_eq!(&s.folder_record(f, 1).unwrap().unwrap()[..], b"index");
        assert_eq!(&s.posting(f, &[7u8; 32]).unwrap().unwrap()[..], b"postings");
        assert_eq!(s.search_doc_uids(f).unwrap(), vec![42]);
        let a = s.queue_push("a", b"op1").unwrap();
        s.queue_push("a", b"op2").unwrap();
        s.queue_push("b", b"other").unwrap();
        let q = s.queue("a").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(&q[0].1[..], b"op1");
        s.queue_remove("a", a).unwrap();
        assert_eq!(s.queue("a").unwrap().len(), 1);
        assert!(s.verify().unwrap().is_ok());
        s.clear_folder_records(FolderRef {
            account: "a",
            folder: "INBOX",
        })
        .unwrap();
        assert!(s.folder_record(f, 1).unwrap().is_none());
        assert!(s.search_doc_uids(f).unwrap().is_empty());
        assert_ne!(
            s.derived_secret("x").unwrap().as_slice(),
            s.derived_secret("y").unwrap().as_slice()
        );
    }
}
