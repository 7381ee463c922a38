//! Reading the cache without the network: a folder's ordered view (one
//! sealed record), the summaries of the rows on screen, cached bodies,
//! local search, the folder list and the account's last known connection
//! state. Every function takes the opened [`Store`] (run them on the store
//! thread through `StoreHandle::call`).

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::domain::envelope::Envelope;
use crate::domain::mailbox::SortKey;
use crate::mail::imap::types::Folder;
use crate::mail::search::Query;
use crate::store::{FolderId, FolderRef, Store};

use super::error::Error;
use super::index::{Base, FolderMeta, Order, RECORD_BASE, RECORD_META, order_record};
use super::pages;
use super::postings;
use super::summary::bits;

/// How the list is ordered and filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewOptions {
    pub sort: SortKey,
    pub threaded: bool,
    pub unread_only: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            sort: SortKey::Date,
            threaded: true,
            unread_only: false,
        }
    }
}

/// A folder's ordered list: every UID with its thread depth, no row decrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderView {
    pub meta: FolderMeta,
    pub rows: Vec<(u32, u8)>,
}

fn folder<'a>(account: &'a str, name: &'a str) -> FolderRef<'a> {
    FolderRef {
        account,
        folder: name,
    }
}

/// The folder's sync state and counts, if cached.
pub fn folder_meta(store: &Store, account: &str, name: &str) -> Result<Option<FolderMeta>, Error> {
    let id = store.folder_id(folder(account, name))?;
    match store.folder_record(id, RECORD_META)? {
        Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
        None => Ok(None),
    }
}

/// The ordered view of a cached folder (`None` when not cached).
pub fn folder_view(
    store: &Store,
    account: &str,
    name: &str,
    options: ViewOptions,
) -> Result<Option<FolderView>, Error> {
    let id = store.folder_id(folder(account, name))?;
    let Some(meta) = store.folder_record(id, RECORD_META)? else {
        return Ok(None);
    };
    let meta: FolderMeta = serde_json::from_slice(&meta)?;
    // An order not written yet (first sync running) falls back to the date order.
    let record = store
        .folder_record(id, order_record(options.sort, options.threaded))?
        .map(Ok)
        .or_else(|| {
            store
                .folder_record(id, order_record(SortKey::Date, options.threaded))
                .transpose()
        })
        .transpose()?;
    let mut rows = match record {
        Some(bytes) => Order::decode(&bytes)?.rows,
        None => Vec::new(),
    };
    if options.unread_only {
        let base = match store.folder_record(id, RECORD_BASE)? {
            Some(b) => Base::decode(&b)?,
            None => Base::default(),
        };
        rows.retain(|(uid, _)| base.flags.get(uid).is_some_and(|b| b & bits::SEEN == 0));
    }
    Ok(Some(FolderView { meta, rows }))
}

/// The summaries of the given messages, in the same order (missing ones skipped).
pub fn summaries(
    store: &Store,
    account: &str,
    name: &str,
    uids: &[u32],
) -> Result<Vec<Envelope>, Error> {
    let id = store.folder_id(folder(account, name))?;
    pages::read_summaries(store, id, uids)
}

/// The first `n` rows of a folder in threaded date order, with their depth:
/// what a first screen shows (one order record plus `n` rows decrypted).
pub fn first_screen(
    store: &Store,
    account: &str,
    name: &str,
    n: usize,
) -> Result<Vec<(Envelope, u8)>, Error> {
    let Some(view) = folder_view(store, account, name, ViewOptions::default())? else {
        return Err(Error::FolderNotCached {
            folder: name.to_string(),
        });
    };
    let window: Vec<(u32, u8)> = view.rows.into_iter().take(n).collect();
    let uids: Vec<u32> = window.iter().map(|(u, _)| *u).collect();
    let envelopes = summaries(store, account, name, &uids)?;
    Ok(envelopes
        .into_iter()
        .zip(window)
        .map(|(e, (_, d))| (e, d))
        .collect())
}

/// The cached raw message, if its body was fetched.
pub fn cached_body(
    store: &Store,
    account: &str,
    name: &str,
    uid: u32,
) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
    Ok(store.body(folder(account, name), uid)?)
}

/// UIDs of a cached folder matching a local search query, ascending.
pub fn search(store: &Store, account: &str, name: &str, query: &Query) -> Result<Vec<u32>, Error> {
    let id = store.folder_id(folder(account, name))?;
    postings::search(store, id, &listed_uids(store, id)?, query)
}

/// How many cached messages of a folder the search index has not filed yet
/// (a search reads them instead; see `postings::search`).
pub fn unindexed(store: &Store, account: &str, name: &str) -> Result<usize, Error> {
    let id = store.folder_id(folder(account, name))?;
    Ok(postings::unfiled(store, id, &listed_uids(store, id)?)?.len())
}

/// The folder's cached UIDs (its `BASE`), ascending.
pub(crate) fn listed_uids(store: &Store, id: FolderId) -> Result<Vec<u32>, Error> {
    match store.folder_record(id, RECORD_BASE)? {
        Some(bytes) => Base::decode_uids(&bytes),
        None => Ok(Vec::new()),
    }
}

/// The account's folders as last listed on the server.
pub fn folders(store: &Store, account: &str) -> Result<Vec<Folder>, Error> {
    Ok(store
        .setting::<Vec<Folder>>(&format!("mail-folders:{account}"))?
        .unwrap_or_default())
}

pub fn save_folders(store: &Store, account: &str, folders: &[Folder]) -> Result<(), Error> {
    Ok(store.put_setting(&format!("mail-folders:{account}"), &folders)?)
}

/// The account's connection as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStatus {
    pub online: bool,
    /// UTC seconds.
    pub at: i64,
    /// Why the last attempt failed (empty when online).
    pub reason: String,
}

pub fn status(store: &Store, account: &str) -> Result<Option<AccountStatus>, Error> {
    Ok(store.setting(&format!("mail-status:{account}"))?)
}

pub fn save_status(store: &Store, account: &str, status: &AccountStatus) -> Result<(), Error> {
    Ok(store.put_setting(&format!("mail-status:{account}"), status)?)
}
