//! [`AccountSync`]: the mail service of one account. It owns the IMAP session
//! task (commands serialised, a second connection for IDLE, reconnects with
//! backoff, the durable queue replayed on every connection) over the
//! store-backed cache, and turns what happens into [`AccountEvent`]s:
//! connection state, progress per batch, folders changed, new mail.
//!
//! A sync pass lists the folders (with their special use), then syncs INBOX
//! first, the special folders next, the rest last, each newest first; the
//! open folder is watched with IDLE and re-synced when the server pushes a
//! change. Local changes (flags, move, delete) reach the cache at once and
//! are queued durably before they are sent, so they survive going offline.

use std::sync::{Arc, Mutex};

use rustls::ClientConfig;
use tokio::sync::{mpsc, watch};

use crate::mail::imap::audit_log::AuditRecord;
use crate::mail::imap::queue::{OpKind, PendingOp, Replayed};
use crate::mail::imap::session::{Applied, ConnState, ImapEvent, ImapHandle, SessionConfig};
use crate::mail::imap::sync::{Strategy, SyncOptions, SyncProgress, SyncReport, sync_folder};
use crate::mail::imap::types::{Flags, Folder, SpecialUse};
use crate::mail::imap::{ImapAccount, connect};
use crate::store::StoreHandle;

use super::error::Error;
use super::queue::StoreOpQueue;
use super::reader::{self, AccountStatus};
use super::store_cache::{CacheOptions, StoreSyncCache};

/// What the account service reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEvent {
    Connection(ConnState),
    Progress(SyncProgress),
    /// The folder list was refreshed from the server.
    FoldersListed {
        count: usize,
    },
    /// The cached content of a folder changed (reload the list if it is open).
    FolderChanged {
        folder: String,
    },
    /// New messages arrived in a folder already synced before.
    NewMail {
        folder: String,
        count: usize,
    },
    /// A queued change reached the server (or was dropped as meaningless).
    Replayed(Replayed),
    /// A folder could not be synced (the pass goes on with the others).
    SyncFailed {
        folder: String,
        reason: String,
    },
    /// A server-visible action, for the audit trail.
    Audit(AuditRecord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncPassOptions {
    /// Run a sync pass on every (re)connection.
    pub auto_sync: bool,
    pub cache: CacheOptions,
}

impl Default for SyncPassOptions {
    fn default() -> Self {
        SyncPassOptions {
            auto_sync: true,
            cache: CacheOptions::default(),
        }
    }
}

/// The cloneable handle to one account's mail service.
#[derive(Clone)]
pub struct AccountSync {
    account: String,
    handle: ImapHandle,
    cache: StoreSyncCache,
    store: StoreHandle,
    state: watch::Receiver<ConnState>,
    events: mpsc::UnboundedSender<AccountEvent>,
    watched: Arc<Mutex<Option<String>>>,
    /// One sync pass or folder sync at a time.
    syncing: Arc<tokio::sync::Mutex<()>>,
}

fn rank(f: &Folder) -> u8 {
    match f.special_use {
        Some(SpecialUse::Inbox) => 0,
        _ if f.name.eq_ignore_ascii_case("INBOX") => 0,
        Some(SpecialUse::Sent) => 1,
        Some(SpecialUse::Drafts) => 2,
        Some(SpecialUse::Archive) => 3,
        Some(SpecialUse::Trash) => 4,
        Some(_) => 5,
        None => 6,
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl AccountSync {
    /// Starts the session and its driver; must be called inside a tokio runtime.
    pub fn spawn(
        config: SessionConfig,
        account: &str,
        store: StoreHandle,
        options: SyncPassOptions,
    ) -> (AccountSync, mpsc::UnboundedReceiver<AccountEvent>) {
        let cache = StoreSyncCache::new(store.clone(), account, options.cache);
        let queue = StoreOpQueue::new(store.clone(), account);
        let (handle, imap_events) = ImapHandle::spawn(config, cache.clone(), queue);
        let (events, rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnState::Connecting);
        let service = AccountSync {
            account: account.to_string(),
            handle,
            cache,
            store,
            state,
            events,
            watched: Arc::new(Mutex::new(None)),
            syncing: Arc::new(tokio::sync::Mutex::new(())),
        };
        tokio::spawn(service.clone().drive(imap_events, state_tx, options));
        (service, rx)
    }

    fn emit(&self, e: AccountEvent) {
        let _ = self.events.send(e);
    }

    async fn drive(
        self,
        mut imap: mpsc::UnboundedReceiver<ImapEvent>,
        state: watch::Sender<ConnState>,
        options: SyncPassOptions,
    ) {
        while let Some(event) = imap.recv().await {
            match event {
                ImapEvent::State(s) => {
                    state.send_replace(s.clone());
                    self.record_status(&s).await;
                    let online = s == ConnState::Online;
                    self.emit(AccountEvent::Connection(s));
                    if online && options.auto_sync {
                        let me = self.clone();
                        tokio::spawn(async move {
                            let _ = me.sync_all().await;
                        });
                    }
                }
                ImapEvent::Progress(p) => self.emit(AccountEvent::Progress(p)),
                ImapEvent::Replayed(r) => self.emit(AccountEvent::Replayed(r)),
                ImapEvent::Push(p) => {
                    let watched = self.watched.lock().ok().and_then(|w| w.clone());
                    if watched.as_deref() == Some(p.folder.as_str()) {
                        let me = self.clone();
                        tokio::spawn(async move {
                            let _ = me.sync_folder(&p.folder).await;
                        });
                    }
                }
                ImapEvent::Audit(a) => {
                    let event = super::audit::event_for(&self.account, &a);
                    let _ = self
                        .store
                        .call_async(move |s| super::audit::record(s, &event))
                        .await;
                    self.emit(AccountEvent::Audit(a));
                }
                ImapEvent::Watching { .. } => {}
            }
        }
    }

    async fn record_status(&self, s: &ConnState) {
        let status = match s {
            ConnState::Connecting => return,
            ConnState::Online => AccountStatus {
                online: true,
                at: now(),
                reason: String::new(),
            },
            ConnState::Offline { reason } => AccountStatus {
                online: false,
                at: now(),
                reason: reason.clone(),
            },
        };
        let account = self.account.clone();
        let r = self
            .store
            .call_async(move |st| reader::save_status(st, &account, &status))
            .await;
        if !matches!(r, Ok(Ok(()))) {
            tracing::warn!("the account status could not be recorded");
        }
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The store the service caches into.
    pub fn store_handle(&self) -> StoreHandle {
        self.store.clone()
    }

    /// Another handle on the service's cache (local changes go through it).
    pub fn cache(&self) -> StoreSyncCache {
        self.cache.clone()
    }

    /// Queues a change durably and sends it if online (the cache was
    /// already changed by the caller).
    pub async fn send_op(&self, op: PendingOp) -> Result<Applied, Error> {
        Ok(self.handle.change(op).await?)
    }

    /// The connection state now.
    pub fn connection(&self) -> ConnState {
        self.state.borrow().clone()
    }

    /// Waits until the session is online or has failed its first attempt.
    pub async fn settled(&self, bound: std::time::Duration) -> ConnState {
        let mut rx = self.state.clone();
        let wait = rx.wait_for(|s| *s != ConnState::Connecting);
        match tokio::time::timeout(bound, wait).await {
            Ok(Ok(s)) => s.clone(),
            _ => self.connection(),
        }
    }

    /// Lists the folders, saves the list, then syncs INBOX first, the special
    /// folders next, the others last.
    pub async fn sync_all(&self) -> Result<Vec<SyncReport>, Error> {
        self.sync_pass(None).await
    }

    /// [`sync_all`](Self::sync_all) restricted to the named folders (in the
    /// same order of priority) when `only` is given.
    pub async fn sync_pass(&self, only: Option<&[String]>) -> Result<Vec<SyncReport>, Error> {
        let _pass = self.syncing.lock().await;
        let mut folders = self.handle.list_folders(false).await?;
        folders.retain(|f| f.selectable);
        let listed = folders.clone();
        if let Some(names) = only {
            folders.retain(|f| names.contains(&f.name));
        }
        folders.sort_by_key(|f| (rank(f), f.name.clone()));
        let (account, list) = (self.account.clone(), listed);
        self.store
            .call_async(move |s| reader::save_folders(s, &account, &list))
            .await??;
        self.emit(AccountEvent::FoldersListed {
            count: folders.len(),
        });
        let mut reports = Vec::new();
        for f in &folders {
            match self.sync_unlocked(&f.name).await {
                Ok(r) => reports.push(r),
                Err(Error::Imap(e)) if e.is_connection_fatal() => return Err(Error::Imap(e)),
                Err(e) => self.emit(AccountEvent::SyncFailed {
                    folder: f.name.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        Ok(reports)
    }

    /// Syncs one folder now.
    pub async fn sync_folder(&self, folder: &str) -> Result<SyncReport, Error> {
        let _pass = self.syncing.lock().await;
        self.sync_unlocked(folder).await
    }

    async fn sync_unlocked(&self, folder: &str) -> Result<SyncReport, Error> {
        let report = self.handle.sync(folder).await?;
        if report.reset || report.new > 0 || report.flag_changes > 0 || report.expunged > 0 {
            self.emit(AccountEvent::FolderChanged {
                folder: folder.to_string(),
            });
        }
        if report.new > 0 && report.strategy != Strategy::Initial {
            self.emit(AccountEvent::NewMail {
                folder: folder.to_string(),
                count: report.new,
            });
        }
        Ok(report)
    }

    /// Keeps the IDLE connection on `folder` (the open one); `None` stops it.
    pub fn watch(&self, folder: Option<&str>) {
        if let Ok(mut w) = self.watched.lock() {
            *w = folder.map(str::to_string);
        }
        self.handle.watch(folder);
    }

    /// The raw message: from the cache, else fetched (and cached).
    pub async fn body(&self, folder: &str, uid: u32) -> Result<Option<Vec<u8>>, Error> {
        let (account, name) = (self.account.clone(), folder.to_string());
        let cached = self
            .store
            .call_async(move |s| reader::cached_body(s, &account, &name, uid))
            .await??;
        if let Some(b) = cached {
            return Ok(Some(b.to_vec()));
        }
        Ok(self.handle.fetch_body(folder, uid).await?)
    }

    async fn change(&self, folder: &str, kind: OpKind) -> Result<Applied, Error> {
        let uid_validity = self.cache.uid_validity(folder)?.unwrap_or(0);
        let op = PendingOp::new(folder, uid_validity, kind);
        Ok(self.handle.change(op).await?)
    }

    /// Adds and removes flags: in the cache now, on the server now or later.
    pub async fn set_flags(
        &self,
        folder: &str,
        uids: &[u32],
        add: Flags,
        remove: Flags,
    ) -> Result<Applied, Error> {
        self.cache.apply_local_flags(folder, uids, &add, &remove)?;
        self.emit(AccountEvent::FolderChanged {
            folder: folder.to_string(),
        });
        self.change(
            folder,
            OpKind::SetFlags {
                uids: uids.to_vec(),
                add,
                remove,
            },
        )
        .await
    }

    /// Deletes messages (flag \Deleted and expunge those UIDs).
    pub async fn delete(&self, folder: &str, uids: &[u32]) -> Result<Applied, Error> {
        self.cache.apply_local_removal(folder, uids)?;
        self.emit(AccountEvent::FolderChanged {
            folder: folder.to_string(),
        });
        self.change(
            folder,
            OpKind::Delete {
                uids: uids.to_vec(),
            },
        )
        .await
    }

    /// Moves one message to another folder (which learns of it at its next sync).
    pub async fn move_to(&self, folder: &str, uid: u32, to: &str) -> Result<Applied, Error> {
        let (account, name) = (self.account.clone(), folder.to_string());
        let message_id = self
            .store
            .call_async(move |s| reader::summaries(s, &account, &name, &[uid]))
            .await??
            .into_iter()
            .next()
            .and_then(|e| e.message_id)
            .map(|m| format!("<{m}>"));
        self.cache.apply_local_removal(folder, &[uid])?;
        self.emit(AccountEvent::FolderChanged {
            folder: folder.to_string(),
        });
        self.change(
            folder,
            OpKind::Move {
                uid,
                to: to.to_string(),
                message_id,
            },
        )
        .await
    }

    /// Waits until the headers synced so far are filed in the search index
    /// (which goes on in the background after each sync point).
    pub async fn search_index_filed(&self) -> Result<(), Error> {
        let cache = self.cache.clone();
        tokio::task::spawn_blocking(move || cache.wait_for_search_index())
            .await
            .map_err(|e| Error::Worker {
                detail: e.to_string(),
            })?
    }

    /// Logs out and stops the session.
    pub async fn shutdown(&self) {
        self.handle.shutdown().await;
    }
}

/// How a cold sync runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColdSyncOptions {
    pub sync: SyncOptions,
    pub cache: CacheOptions,
}

/// A first ("cold") sync of one folder into the store, on its own
/// connection, without the session machinery: the benchmark's entry point.
/// The cache is returned with its search filing under way (see
/// [`StoreSyncCache::wait_for_search_index`]); dropping it stops the filing.
pub async fn cold_sync_folder(
    store: StoreHandle,
    account_name: &str,
    account: &ImapAccount,
    tls: Arc<ClientConfig>,
    folder: &str,
    options: ColdSyncOptions,
    progress: &mut (dyn FnMut(SyncProgress) + Send),
) -> Result<(SyncReport, StoreSyncCache), Error> {
    let mut conn = connect(account, tls).await?;
    let mut cache = StoreSyncCache::new(store, account_name, options.cache);
    let report = sync_folder(&mut conn, &mut cache, folder, options.sync, progress).await;
    conn.logout().await;
    Ok((report?, cache))
}
