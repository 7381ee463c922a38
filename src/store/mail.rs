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

/// Folder records are stored in chunks of at most this many bytes. sled keeps
/// up to 16 values in a leaf and reads the whole leaf to answer any key in it:
/// written whole, a 100k folder's orders (500 kB each) and thread keys (30 MB)
/// were read with its state at every opening.
pub const RECORD_CHUNK: usize = 32 * 1024;

/// Before each chunk's bytes: the write's generation (u64 LE, the same in
/// every chunk of one write) and the number of chunks (u32 LE). The chunk's
/// index is in its key, which the seal authenticates.
const CHUNK_HEADER: usize = 12;

fn record_prefix(folder: FolderId, record: u8) -> Vec<u8> {
    prefixed(&folder.0, &[record])
}

fn corrupt_record() -> Error {
    Error::Integrity {
        what: "a folder record (chunks missing or from two writes)".into(),
    }
}

/// Joins the chunks of one write: chunk 0 gives the generation and count;
/// chunks `0..count` must all be there with that generation (extra ones,
/// left by an earlier write, are ignored).
fn assemble_record(chunks: &[(u32, Zeroizing<Vec<u8>>)]) -> Result<Zeroizing<Vec<u8>>> {
    let header = |value: &[u8]| -> Option<(u64, u32)> {
        let generation = u64::from_le_bytes(value.get(..8)?.try_into().ok()?);
        let count = u32::from_le_bytes(value.get(8..CHUNK_HEADER)?.try_into().ok()?);
        Some((generation, count))
    };
    let (generation, count) = match chunks.first() {
        Some((0, value)) => header(value).ok_or_else(corrupt_record)?,
        _ => return Err(corrupt_record()),
    };
    let count = usize::try_from(count).map_err(|_| corrupt_record())?;
    let wanted = chunks.get(..count).ok_or_else(corrupt_record)?;
    let mut out = Zeroizing::new(Vec::with_capacity(count * RECORD_CHUNK));
    for (expected, (index, value)) in (0u32..).zip(wanted) {
        if *index != expected || header(value).map(|(g, _)| g) != Some(generation) {
            return Err(corrupt_record());
        }
        out.extend_from_slice(&value[CHUNK_HEADER..]);
    }
    Ok(out)
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

    /// One record of a folder (`record` is the caller's record number),
    /// reassembled from its chunks (see [`RECORD_CHUNK`]).
    pub fn folder_record(
        &self,
        folder: FolderId,
        record: u8,
    ) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let prefix = record_prefix(folder, record);
        let to = prefixed(&prefix, &[0xff; 5]);
        let entries = self.scan(
            Tree::MailFolders,
            TailRange::between(&prefix, &to),
            Order::Ascending,
            usize::MAX,
        )?;
        let mut legacy = None;
        let mut chunks = Vec::with_capacity(entries.len());
        for e in entries {
            match e.tail.get(prefix.len()..).and_then(|i| i.try_into().ok()) {
                Some(index) => chunks.push((u32::from_be_bytes(index), e.value)),
                // written whole, before records were chunked
                None if e.tail.len() == prefix.len() => legacy = Some(e.value),
                None => return Err(corrupt_record()),
            }
        }
        if chunks.is_empty() {
            return Ok(legacy);
        }
        assemble_record(&chunks).map(Some)
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

    /// Drops the folder's records, summary pages, postings and search
    /// documents (the envelopes and bodies go with [`Store::clear_folder`]).
    pub fn clear_folder_records(&self, folder: FolderRef<'_>) -> Result<()> {
        let f = self.folder_id(folder)?;
        let mut b = self.batch()?;
        for (tree, rest) in [
            (Tree::MailFolders, 5),
            (Tree::EnvelopePages, 4),
            (Tree::SearchPostings, 32),
            (Tree::SearchDocs, 4),
            (Tree::SearchBuckets, 2),
            (Tree::SearchDocPages, 4),
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
    /// Stages the removal of a folder record (all its chunks).
    pub fn remove_folder_record(&mut self, folder: FolderId, record: u8) -> Result<()> {
        let prefix = record_prefix(folder, record);
        let to = prefixed(&prefix, &[0xff; 5]);
        for tail in self.store().tails(
            Tree::MailFolders,
            TailRange::between(&prefix, &to),
            usize::MAX,
        )? {
            self.remove(Tree::MailFolders, &tail);
        }
        Ok(())
    }

    /// Stages a folder record, in chunks of at most [`RECORD_CHUNK`] bytes,
    /// and the removal of what remains of its previous version.
    pub fn put_folder_record(&mut self, folder: FolderId, record: u8, plain: &[u8]) -> Result<()> {
        let prefix = record_prefix(folder, record);
        let to = prefixed(&prefix, &[0xff; 5]);
        let previous = self.store().tails(
            Tree::MailFolders,
            TailRange::between(&prefix, &to),
            usize::MAX,
        )?;
        let generation = self.store().next_id()?;
        let pieces: Vec<&[u8]> = if plain.is_empty() {
            vec![&[]]
        } else {
            plain.chunks(RECORD_CHUNK).collect()
        };
        let count = u32::try_from(pieces.len()).map_err(|_| Error::Invalid {
            reason: "folder record too large".into(),
        })?;
        let mut written = std::collections::HashSet::new();
        for (index, piece) in (0u32..).zip(&pieces) {
            let mut value = Zeroizing::new(Vec::with_capacity(CHUNK_HEADER + piece.len()));
            value.extend_from_slice(&generation.to_le_bytes());
            value.extend_from_slice(&count.to_le_bytes());
            value.extend_from_slice(piece);
            let tail = prefixed(&prefix, &index.to_be_bytes());
            self.put(Tree::MailFolders, &tail, &value)?;
            written.insert(tail);
        }
        for tail in previous {
            if !written.contains(&tail) {
                self.remove(Tree::MailFolders, &tail);
            }
        }
        Ok(())
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

    fn store() -> (tempfile::TempDir, Store) {
        let (dir, _, store) = crate::store::testing::profile("810000000001");
        (dir, store)
    }

    fn folder(s: &Store, name: &str) -> FolderId {
        s.folder_id(FolderRef {
            account: "a",
            folder: name,
        })
        .unwrap()
    }

    #[test]
    fn records_queue_and_postings_round_trip_and_verify() {
        let (_dir, s) = store();
        let f = folder(&s, "INBOX");
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

    fn record_tails(s: &Store, f: FolderId, record: u8) -> Vec<Vec<u8>> {
        let prefix = record_prefix(f, record);
        let to = prefixed(&prefix, &[0xff; 5]);
        s.tails(
            Tree::MailFolders,
            TailRange::between(&prefix, &to),
            usize::MAX,
        )
        .unwrap()
    }

    #[test]
    fn large_records_are_chunked_and_read_back_whole() {
        let (_dir, s) = store();
        let f = folder(&s, "Big");
        let big: Vec<u8> = (0..RECORD_CHUNK * 3 + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        for (record, bytes) in [(2u8, &big[..]), (3, &[][..]), (4, &big[..RECORD_CHUNK])] {
            let mut b = s.batch().unwrap();
            b.put_folder_record(f, record, bytes).unwrap();
            b.commit(Durability::Lazy).unwrap();
            assert_eq!(&s.folder_record(f, record).unwrap().unwrap()[..], bytes);
        }
        assert_eq!(record_tails(&s, f, 2).len(), 4);
        assert_eq!(record_tails(&s, f, 4).len(), 1, "exactly one chunk");
        // a smaller version leaves no chunk of the larger one behind
        let mut b = s.batch().unwrap();
        b.put_folder_record(f, 2, b"small").unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert_eq!(&s.folder_record(f, 2).unwrap().unwrap()[..], b"small");
        assert_eq!(record_tails(&s, f, 2).len(), 1);
        // neighbours are untouched
        assert_eq!(
            &s.folder_record(f, 4).unwrap().unwrap()[..],
            &big[..RECORD_CHUNK]
        );
        assert!(s.verify().unwrap().is_ok());
    }

    #[test]
    fn a_record_written_whole_by_an_earlier_version_still_reads() {
        let (_dir, s) = store();
        let f = folder(&s, "Old");
        let mut b = s.batch().unwrap();
        b.put(Tree::MailFolders, &record_prefix(f, 0), b"legacy")
            .unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert_eq!(&s.folder_record(f, 0).unwrap().unwrap()[..], b"legacy");
        // rewriting it replaces the whole value by chunks
        let mut b = s.batch().unwrap();
        b.put_folder_record(f, 0, b"chunked").unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert_eq!(&s.folder_record(f, 0).unwrap().unwrap()[..], b"chunked");
        assert_eq!(record_tails(&s, f, 0).len(), 1);
    }

    #[test]
    fn chunks_from_two_writes_or_a_missing_chunk_are_refused() {
        let (_dir, s) = store();
        let f = folder(&s, "Mixed");
        let write = |bytes: &[u8]| {
            let mut b = s.batch().unwrap();
            b.put_folder_record(f, 5, bytes).unwrap();
            b.commit(Durability::Lazy).unwrap();
        };
        let first = vec![1u8; RECORD_CHUNK * 2];
        write(&first);
        let tails = record_tails(&s, f, 5);
        let old_second = s.get(Tree::MailFolders, &tails[1]).unwrap().unwrap();
        write(&vec![2u8; RECORD_CHUNK * 2]);
        // splice the first write's second chunk into the second write
        let mut b = s.batch().unwrap();
        b.put(Tree::MailFolders, &tails[1], &old_second).unwrap();
        b.commit(Durability::Lazy).unwrap();
        assert!(matches!(
            s.folder_record(f, 5),
            Err(Error::Integrity { .. })
        ));
        // a missing chunk
        write(&first);
        let mut b = s.batch().unwrap();
        b.remove(Tree::MailFolders, &record_tails(&s, f, 5)[1]);
        b.commit(Durability::Lazy).unwrap();
        assert!(matches!(
            s.folder_record(f, 5),
            Err(Error::Integrity { .. })
        ));
    }
}
