//! The stored layout of one folder's search index: posting lists grouped in
//! [`BUCKETS`] buckets by the first bits of their term key, and document
//! entries grouped in pages of [`DOC_PAGE_UIDS`] UIDs. One sealed value per
//! bucket or page.
//!
//! Filing 20 000 messages touches some 100 000 terms: one store value per
//! term made each filing that many sled inserts (each copies a tree node),
//! most of a first sync's time and of sled's memory. A filing now rewrites
//! at most [`BUCKETS`] values; a query reads one bucket per term (about
//! 10 kB at 100 000 messages).

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::mail::search::{DocEntry, TermKey, decode_document, encode_document};
use crate::store::{Batch, FolderId, Store, TailRange, Tree};

use super::super::error::Error;
use super::super::record_reader::RecordReader;

/// Buckets per folder (the first 12 bits of a term key).
pub const BUCKETS: u16 = 4096;

/// UIDs per page of document entries.
pub const DOC_PAGE_UIDS: u32 = 1024;

pub fn bucket_of(key: &TermKey) -> u16 {
    let start = u32::from(u16::from_be_bytes([key.0[0], key.0[1]]));
    // below BUCKETS: start < 2^16
    u16::try_from((start * u32::from(BUCKETS)) >> 16).unwrap_or(BUCKETS - 1)
}

fn tail(folder: FolderId, index: &[u8]) -> Vec<u8> {
    let mut t = folder.0.to_vec();
    t.extend_from_slice(index);
    t
}

/// The posting lists of one bucket, encoded (`codec::encode_postings`), by
/// term key.
#[derive(Default)]
pub struct Bucket {
    pub lists: BTreeMap<[u8; 32], Vec<u8>>,
}

impl Bucket {
    /// `count`, then per list: term key (32 bytes), length, encoded list;
    /// integers u32 little-endian, keys ascending.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let len = 4 + self.lists.values().map(|l| 36 + l.len()).sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.extend_from_slice(&(self.lists.len() as u32).to_le_bytes());
        for (key, list) in &self.lists {
            out.extend_from_slice(key);
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
            out.extend_from_slice(list);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Bucket, Error> {
        let mut r = RecordReader::new(bytes, "search bucket");
        let count = r.u32()?;
        let mut lists = BTreeMap::new();
        for _ in 0..count {
            let key: [u8; 32] = r.bytes(32)?.try_into().map_err(|_| r.corrupt())?;
            let len = r.u32()? as usize;
            lists.insert(key, r.bytes(len)?.to_vec());
        }
        r.finish()?;
        Ok(Bucket { lists })
    }
}

/// A stored value holding a group of entries: a bucket of posting lists or
/// a page of document entries. An empty group is not stored.
trait Group: Default + Sized {
    const TREE: Tree;
    fn encode_group(&self) -> Zeroizing<Vec<u8>>;
    fn decode_group(bytes: &[u8]) -> Result<Self, Error>;
    fn is_empty(&self) -> bool;
}

impl Group for Bucket {
    const TREE: Tree = Tree::SearchBuckets;
    fn encode_group(&self) -> Zeroizing<Vec<u8>> {
        self.encode()
    }
    fn decode_group(bytes: &[u8]) -> Result<Self, Error> {
        Bucket::decode(bytes)
    }
    fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

impl Group for DocPage {
    const TREE: Tree = Tree::SearchDocPages;
    fn encode_group(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.encode())
    }
    fn decode_group(bytes: &[u8]) -> Result<Self, Error> {
        DocPage::decode(bytes)
    }
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn read_group<G: Group>(store: &Store, folder: FolderId, index: &[u8]) -> Result<G, Error> {
    match store.get(G::TREE, &tail(folder, index))? {
        Some(bytes) => G::decode_group(&bytes),
        None => Ok(G::default()),
    }
}

fn put_group<G: Group>(
    batch: &mut Batch<'_>,
    folder: FolderId,
    index: &[u8],
    value: &G,
) -> Result<(), Error> {
    let t = tail(folder, index);
    if value.is_empty() {
        batch.remove(G::TREE, &t);
    } else {
        batch.put(G::TREE, &t, &value.encode_group())?;
    }
    Ok(())
}

pub fn read_bucket(store: &Store, folder: FolderId, bucket: u16) -> Result<Bucket, Error> {
    read_group(store, folder, &bucket.to_be_bytes())
}

pub fn put_bucket(
    batch: &mut Batch<'_>,
    folder: FolderId,
    bucket: u16,
    value: &Bucket,
) -> Result<(), Error> {
    put_group(batch, folder, &bucket.to_be_bytes(), value)
}

/// The document entries of one page, by UID.
#[derive(Default)]
pub struct DocPage {
    pub entries: BTreeMap<u32, DocEntry>,
}

impl DocPage {
    /// `count`, then per entry: UID (u32), length (u8), `encode_document`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.entries.len() * 14);
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for (uid, entry) in &self.entries {
            let doc = encode_document(entry);
            out.extend_from_slice(&uid.to_le_bytes());
            out.push(u8::try_from(doc.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&doc);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<DocPage, Error> {
        let mut r = RecordReader::new(bytes, "search document page");
        let count = r.u32()?;
        let mut entries = BTreeMap::new();
        for _ in 0..count {
            let uid = r.u32()?;
            let len = usize::from(r.u8()?);
            let entry = decode_document(r.bytes(len)?).map_err(|_| r.corrupt())?;
            entries.insert(uid, entry);
        }
        r.finish()?;
        Ok(DocPage { entries })
    }
}

pub fn doc_page_of(uid: u32) -> u32 {
    uid / DOC_PAGE_UIDS
}

pub fn read_doc_page(store: &Store, folder: FolderId, page: u32) -> Result<DocPage, Error> {
    read_group(store, folder, &page.to_be_bytes())
}

pub fn put_doc_page(
    batch: &mut Batch<'_>,
    folder: FolderId,
    page: u32,
    value: &DocPage,
) -> Result<(), Error> {
    put_group(batch, folder, &page.to_be_bytes(), value)
}

/// Every document entry of the folder, by UID.
pub fn all_doc_entries(store: &Store, folder: FolderId) -> Result<BTreeMap<u32, DocEntry>, Error> {
    let from = tail(folder, &[0; 4]);
    let to = tail(folder, &[0xff; 5]);
    let mut out = BTreeMap::new();
    for entry in store.scan(
        Tree::SearchDocPages,
        TailRange::between(&from, &to),
        crate::store::Order::Ascending,
        usize::MAX,
    )? {
        out.extend(DocPage::decode(&entry.value)?.entries);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_pages_round_trip_and_refuse_damage() {
        let mut bucket = Bucket::default();
        bucket.lists.insert([1; 32], vec![1, 2, 3]);
        bucket.lists.insert([2; 32], vec![9]);
        let bytes = bucket.encode();
        assert_eq!(Bucket::decode(&bytes).unwrap().lists, bucket.lists);
        for cut in 0..bytes.len() {
            assert!(
                Bucket::decode(&bytes[..cut]).is_err(),
                "bucket cut at {cut}"
            );
        }

        let mut page = DocPage::default();
        page.entries.insert(
            5,
            DocEntry {
                date: Some(1_700_000_000),
            },
        );
        page.entries.insert(6, DocEntry { date: None });
        let bytes = page.encode();
        assert_eq!(DocPage::decode(&bytes).unwrap().entries, page.entries);
        for cut in 0..bytes.len() {
            assert!(DocPage::decode(&bytes[..cut]).is_err(), "page cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(DocPage::decode(&longer).is_err());
    }

    #[test]
    fn bucket_numbers_cover_the_range() {
        assert_eq!(bucket_of(&TermKey([0; 32])), 0);
        assert_eq!(bucket_of(&TermKey([0xff; 32])), BUCKETS - 1);
    }
}
