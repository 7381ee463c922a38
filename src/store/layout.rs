//! The key layout of the single sled tree. Every key starts with one byte
//! naming its logical tree, so a batch spanning "trees" is one atomic sled
//! batch, and a range scan over one prefix pages one folder. No key reveals
//! content: identifiers (account, folder, message id, INS, setting names)
//! become truncated keyed hashes; only counters and IMAP UIDs stay clear so
//! ranges come out in order.

use super::crypto::Keys;
use super::error::Result;

/// The logical trees inside the profile database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Tree {
    /// Store-internal records (audit anchor and head).
    Meta = 0,
    /// Message envelopes: folder hash, then UID (big-endian).
    Envelopes = 1,
    /// Message bodies, same keys as envelopes.
    Bodies = 2,
    /// Message-ID index: message-id hash, folder hash, giving the UID.
    MessageIds = 3,
    /// Messages waiting to be sent.
    Outbox = 4,
    /// Drafts.
    Drafts = 5,
    /// Directory search history.
    DirectoryHistory = 6,
    /// DMP records cache: INS hash, document id hash.
    Records = 7,
    /// UI and sync state.
    Settings = 8,
    /// The audit trail: sequence number (big-endian).
    Audit = 9,
    /// Per-folder mail cache records (sync state, ordered index): folder
    /// hash, then one record byte chosen by the caller, then the chunk index.
    MailFolders = 10,
    /// Search postings of earlier versions, one per term: folder hash, then
    /// the caller's 32-byte opaque term key (moved to `SearchBuckets`).
    SearchPostings = 11,
    /// Search documents of earlier versions: folder hash, then UID
    /// (big-endian; moved to `SearchDocPages`).
    SearchDocs = 12,
    /// Durable queue of mail changes: account hash, then sequence (big-endian).
    MailQueue = 13,
    /// Mail cache summaries by page: folder hash, then page number
    /// (big-endian; a page holds a block of consecutive UIDs).
    EnvelopePages = 14,
    /// Search posting lists by bucket: folder hash, then bucket number
    /// (big-endian u16; the bucket of a term is the start of its key).
    SearchBuckets = 15,
    /// Search documents by page: folder hash, then page number (big-endian).
    SearchDocPages = 16,
}

impl Tree {
    pub const ALL: [Tree; 17] = [
        Tree::Meta,
        Tree::Envelopes,
        Tree::Bodies,
        Tree::MessageIds,
        Tree::Outbox,
        Tree::Drafts,
        Tree::DirectoryHistory,
        Tree::Records,
        Tree::Settings,
        Tree::Audit,
        Tree::MailFolders,
        Tree::SearchPostings,
        Tree::SearchDocs,
        Tree::MailQueue,
        Tree::EnvelopePages,
        Tree::SearchBuckets,
        Tree::SearchDocPages,
    ];

    pub fn from_byte(b: u8) -> Option<Tree> {
        Tree::ALL.iter().copied().find(|t| *t as u8 == b)
    }

    pub fn name(self) -> &'static str {
        match self {
            Tree::Meta => "meta",
            Tree::Envelopes => "envelopes",
            Tree::Bodies => "bodies",
            Tree::MessageIds => "message-ids",
            Tree::Outbox => "outbox",
            Tree::Drafts => "drafts",
            Tree::DirectoryHistory => "directory-history",
            Tree::Records => "records",
            Tree::Settings => "settings",
            Tree::Audit => "audit",
            Tree::MailFolders => "mail-folders",
            Tree::SearchPostings => "search-postings",
            Tree::SearchDocs => "search-docs",
            Tree::MailQueue => "mail-queue",
            Tree::EnvelopePages => "envelope-pages",
            Tree::SearchBuckets => "search-buckets",
            Tree::SearchDocPages => "search-doc-pages",
        }
    }

    /// Length of the keys of this tree (prefix byte included), or `None` for
    /// variable-length keys.
    pub fn key_len(self) -> Option<usize> {
        match self {
            Tree::Meta => None,
            Tree::Envelopes | Tree::Bodies | Tree::EnvelopePages | Tree::SearchDocPages => {
                Some(1 + HASH_LEN + 4)
            }
            Tree::SearchBuckets => Some(1 + HASH_LEN + 2),
            Tree::MessageIds => Some(1 + 2 * HASH_LEN),
            Tree::Outbox | Tree::Drafts | Tree::DirectoryHistory | Tree::Audit => Some(1 + 8),
            Tree::Records => Some(1 + 2 * HASH_LEN),
            Tree::Settings => Some(1 + HASH_LEN),
            // record byte then chunk index (BE u32); records written whole
            // by earlier versions have no chunk index
            Tree::MailFolders => None,
            Tree::SearchPostings => Some(1 + HASH_LEN + 32),
            Tree::SearchDocs => Some(1 + HASH_LEN + 4),
            Tree::MailQueue => Some(1 + HASH_LEN + 8),
        }
    }
}

/// Length of the truncated keyed hashes in keys (128 bits).
pub const HASH_LEN: usize = 16;

/// A folder of a mail account, as the store addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderRef<'a> {
    pub account: &'a str,
    pub folder: &'a str,
}

/// Opaque hashed folder identifier (keyed, reveals nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FolderId(pub [u8; HASH_LEN]);

pub(crate) fn short_hash(keys: &Keys, label: &str, input: &[u8]) -> Result<[u8; HASH_LEN]> {
    let full = keys.keyed_hash(label, input)?;
    let mut h = [0u8; HASH_LEN];
    h.copy_from_slice(&full[..HASH_LEN]);
    Ok(h)
}

pub(crate) fn folder_id(keys: &Keys, folder: FolderRef<'_>) -> Result<FolderId> {
    // Length-prefix the account so ("a", "bc") and ("ab", "c") differ.
    let mut input = (folder.account.len() as u64).to_be_bytes().to_vec();
    input.extend_from_slice(folder.account.as_bytes());
    input.extend_from_slice(folder.folder.as_bytes());
    Ok(FolderId(short_hash(keys, "folder", &input)?))
}

pub(crate) fn key(tree: Tree, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    k.push(tree as u8);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// Decodes the big-endian integer at the end of a key.
pub(crate) fn tail_u32(k: &[u8]) -> Option<u32> {
    let b: [u8; 4] = k.get(k.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

pub(crate) fn tail_u64(k: &[u8]) -> Option<u64> {
    let b: [u8; 8] = k.get(k.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}
