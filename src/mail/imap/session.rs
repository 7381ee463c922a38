//! One session task per account, owning the IMAP connection, the cache and the offline
//! queue, behind a cloneable [`ImapHandle`]. Commands are serialised through an mpsc
//! channel and answered through oneshot channels; what happens on its own (connection
//! state, sync progress, replayed ops, IDLE pushes) arrives as [`ImapEvent`]s.
//!
//! Invariants: the task connects at start and after any connection failure, with a
//! jittered exponential backoff, and reports `Connecting`, `Online`, `Offline{reason}`;
//! a change (flags, move, delete) is written to the queue before it is sent, acknowledged
//! only after the server accepted it, and replayed on every reconnect, so a change made
//! offline is never lost; reads while offline fail fast with `Error::Offline`. A second
//! task keeps an IDLE connection on the folder chosen with [`ImapHandle::watch`].

use std::sync::Arc;

use rustls::ClientConfig;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::audit_log::{AuditAction, AuditRecord};
use super::backoff::{Backoff, BackoffPolicy};
use super::config::ImapAccount;
use super::conn::ImapConn;
use super::connect::connect;
use super::error::Error;
use super::idle::{PushEvent, idle_loop};
use super::queue::{self, OpQueue, PendingOp, Replayed};
use super::sync::{SyncCache, SyncOptions, SyncProgress, SyncReport, sync_folder};
use super::types::{Flags, Folder};

/// Everything a session needs.
#[derive(Clone)]
pub struct SessionConfig {
    pub account: ImapAccount,
    pub tls: Arc<ClientConfig>,
    pub backoff: BackoffPolicy,
    pub sync: SyncOptions,
    /// Bodies of the most recent N messages fetched after each sync.
    pub prefetch_recent: usize,
    /// A NOOP after this much silence keeps the connection alive (servers log out idle
    /// clients after 30 minutes) and notices a dead one before the user does.
    pub keepalive: std::time::Duration,
    /// How often the watched folder is polled (NOOP) on a server without IDLE.
    pub poll_interval: std::time::Duration,
}

/// Connection state, as shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Online,
    Offline { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapEvent {
    State(ConnState),
    Progress(SyncProgress),
    Replayed(Replayed),
    /// The IDLE connection is open on this folder (pushes follow).
    Watching {
        folder: String,
    },
    Push(PushEvent),
    /// A server-visible action, for the audit trail.
    Audit(AuditRecord),
}

/// Whether a change reached the server or waits in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    Queued,
}

type Reply<T> = oneshot::Sender<Result<T, Error>>;

enum Request {
    ListFolders {
        with_status: bool,
        reply: Reply<Vec<Folder>>,
    },
    Sync {
        folder: String,
        reply: Reply<SyncReport>,
    },
    FetchBody {
        folder: String,
        uid: u32,
        reply: Reply<Option<Vec<u8>>>,
    },
    Change {
        op: PendingOp,
        reply: Reply<Applied>,
    },
    Append {
        folder: String,
        flags: Flags,
        message: Vec<u8>,
        reply: Reply<()>,
    },
    Search {
        folder: String,
        text: String,
        reply: Reply<Vec<u32>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// The cloneable handle to one account's session task.
#[derive(Clone)]
pub struct ImapHandle {
    tx: mpsc::Sender<Request>,
    watch: Arc<watch::Sender<Option<String>>>,
}

impl ImapHandle {
    /// Starts the session (and its IDLE task); events arrive on the returned receiver.
    pub fn spawn<C, Q>(
        config: SessionConfig,
        cache: C,
        queue: Q,
    ) -> (ImapHandle, mpsc::UnboundedReceiver<ImapEvent>)
    where
        C: SyncCache + 'static,
        Q: OpQueue + 'static,
    {
        let (tx, rx) = mpsc::channel(64);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (watch_tx, watch_rx) = watch::channel(None);
        let config = Arc::new(config);
        tokio::spawn(idle_loop(Arc::clone(&config), watch_rx, events_tx.clone()));
        let task = Task {
            backoff: Backoff::new(config.backoff),
            config,
            cache,
            queue,
            events: events_tx,
            conn: None,
        };
        tokio::spawn(task.run(rx));
        (
            ImapHandle {
                tx,
                watch: Arc::new(watch_tx),
            },
            events_rx,
        )
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| Error::SessionClosed)?;
        answer.await.map_err(|_| Error::SessionClosed)?
    }

    pub async fn list_folders(&self, with_status: bool) -> Result<Vec<Folder>, Error> {
        self.ask(|reply| Request::ListFolders { with_status, reply })
            .await
    }

    pub async fn sync(&self, folder: &str) -> Result<SyncReport, Error> {
        let folder = folder.to_string();
        self.ask(|reply| Request::Sync { folder, reply }).await
    }

    /// The raw message (BODY.PEEK[], \Seen untouched); cached on the way.
    pub async fn fetch_body(&self, folder: &str, uid: u32) -> Result<Option<Vec<u8>>, Error> {
        let folder = folder.to_string();
        self.ask(|reply| Request::FetchBody { folder, uid, reply })
            .await
    }

    /// Queues a change durably, then applies it if online.
    pub async fn change(&self, op: PendingOp) -> Result<Applied, Error> {
        self.ask(|reply| Request::Change { op, reply }).await
    }

    pub async fn append(&self, folder: &str, flags: Flags, message: Vec<u8>) -> Result<(), Error> {
        let folder = folder.to_string();
        self.ask(|reply| Request::Append {
            folder,
            flags,
            message,
            reply,
        })
        .await
    }

    /// Server-side text search in `folder` (for text not cached).
    pub async fn search(&self, folder: &str, text: &str) -> Result<Vec<u32>, Error> {
        let (folder, text) = (folder.to_string(), text.to_string());
        self.ask(|reply| Request::Search {
            folder,
            text,
            reply,
        })
        .await
    }

    /// Keeps an IDLE connection on `folder` (None stops it).
    pub fn watch(&self, folder: Option<&str>) {
        self.watch.send_replace(folder.map(str::to_string));
    }

    /// Logs out and stops both tasks.
    pub async fn shutdown(&self) {
        self.watch.send_replace(None);
        let (reply, done) = oneshot::channel();
        if self.tx.send(Request::Shutdown { reply }).await.is_ok() {
            let _ = done.await;
        }
    }
}

struct Task<C, Q> {
    config: Arc<SessionConfig>,
    cache: C,
    queue: Q,
    events: mpsc::UnboundedSender<ImapEvent>,
    conn: Option<ImapConn>,
    backoff: Backoff,
}

impl<C: SyncCache, Q: OpQueue> Task<C, Q> {
    fn emit(&self, e: ImapEvent) {
        // A dropped receiver only means nobody listens any more.
        let _ = self.events.send(e);
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut retry_at = Instant::now();
        loop {
            if self.conn.is_none() && Instant::now() >= retry_at {
                self.try_connect().await;
                if self.conn.is_none() {
                    retry_at = Instant::now() + self.backoff.next_delay();
                }
            }
            let request = if self.conn.is_none() {
                tokio::select! {
                    r = rx.recv() => r,
                    _ = tokio::time::sleep_until(retry_at) => continue,
                }
            } else {
                tokio::select! {
                    r = rx.recv() => r,
                    _ = tokio::time::sleep(self.config.keepalive) => {
                        let _ = self.with_conn(async |c, _| c.noop().await).await;
                        continue;
                    }
                }
            };
            let Some(request) = request else { break };
            if let Request::Shutdown { reply } = request {
                if let Some(conn) = self.conn.take() {
                    conn.logout().await;
                }
                let _ = reply.send(());
                break;
            }
            self.handle(request).await;
            if self.conn.is_none() && retry_at <= Instant::now() {
                retry_at = Instant::now() + self.backoff.next_delay();
            }
        }
        if let Some(conn) = self.conn.take() {
            conn.logout().await;
        }
    }

    async fn try_connect(&mut self) {
        self.emit(ImapEvent::State(ConnState::Connecting));
        let result = connect(&self.config.account, Arc::clone(&self.config.tls)).await;
        self.emit(ImapEvent::Audit(AuditRecord::new(
            AuditAction::Login,
            None,
            Vec::new(),
            &result,
        )));
        match result {
            Ok(conn) => {
                self.conn = Some(conn);
                self.backoff.reset();
                self.emit(ImapEvent::State(ConnState::Online));
                self.replay().await;
            }
            Err(e) => self.went_offline(&e),
        }
    }

    fn went_offline(&mut self, e: &Error) {
        self.conn = None;
        self.emit(ImapEvent::State(ConnState::Offline { reason: chain(e) }));
    }

    async fn replay(&mut self) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        let ops = self.queue.pending().unwrap_or_default();
        match queue::replay(conn, &mut self.queue).await {
            Ok(done) => {
                for r in done {
                    let id = match &r {
                        Replayed::Applied { id } | Replayed::Dropped { id, .. } => id,
                    };
                    if let Some(op) = ops.iter().find(|op| op.id == *id) {
                        let record = AuditRecord::for_op(op, &Ok(r.clone()));
                        self.emit(ImapEvent::Audit(record));
                    }
                    self.emit(ImapEvent::Replayed(r));
                }
            }
            Err(e) if e.is_connection_fatal() => self.went_offline(&e),
            Err(e) => tracing::warn!(error = %chain(&e), "offline queue replay failed"),
        }
    }

    /// Runs `f` on the connection; a connection-level failure takes the session offline.
    async fn with_conn<T>(
        &mut self,
        f: impl AsyncFnOnce(&mut ImapConn, &mut C) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::Offline);
        };
        let r = f(conn, &mut self.cache).await;
        if let Err(e) = &r
            && e.is_connection_fatal()
        {
            self.went_offline(e);
        }
        r
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::ListFolders { with_status, reply } => {
                let r = self
                    .with_conn(async |c, _| c.list_folders(with_status).await)
                    .await;
                let _ = reply.send(r);
            }
            Request::Sync { folder, reply } => {
                let events = self.events.clone();
                let options = self.config.sync;
                let r = self
                    .with_conn(async |c, cache| {
                        let mut progress = |p: SyncProgress| {
                            let _ = events.send(ImapEvent::Progress(p));
                        };
                        sync_folder(c, cache, &folder, options, &mut progress).await
                    })
                    .await;
                let ok = r.is_ok();
                let _ = reply.send(r);
                if ok {
                    self.prefetch(&folder).await;
                }
            }
            Request::FetchBody { folder, uid, reply } => {
                let r = self
                    .with_conn(async |c, cache| fetch_body(c, cache, &folder, uid).await)
                    .await;
                self.emit(ImapEvent::Audit(AuditRecord::new(
                    AuditAction::Consult,
                    Some(&folder),
                    vec![uid],
                    &r,
                )));
                let _ = reply.send(r);
            }
            Request::Change { op, reply } => {
                if let Err(source) = self.queue.push(op.clone()) {
                    let _ = reply.send(Err(Error::Cache { source }));
                    return;
                }
                if self.conn.is_none() {
                    let _ = reply.send(Ok(Applied::Queued));
                    return;
                }
                let r = self
                    .with_conn(async |c, _| queue::apply(c, &op).await)
                    .await;
                self.emit(ImapEvent::Audit(AuditRecord::for_op(&op, &r)));
                let answer = match r {
                    Ok(done) => {
                        let acked = self
                            .queue
                            .ack(&op.id)
                            .map_err(|source| Error::Cache { source });
                        self.emit(ImapEvent::Replayed(done));
                        acked.map(|()| Applied::Done)
                    }
                    Err(e) if e.is_connection_fatal() => Ok(Applied::Queued),
                    Err(e) => {
                        // refused by the server: it will never succeed, do not keep it
                        let _ = self.queue.ack(&op.id);
                        Err(e)
                    }
                };
                let _ = reply.send(answer);
            }
            Request::Append {
                folder,
                flags,
                message,
                reply,
            } => {
                let r = self
                    .with_conn(async |c, _| c.append(&folder, &flags, &message).await)
                    .await;
                self.emit(ImapEvent::Audit(AuditRecord::new(
                    AuditAction::Append,
                    Some(&folder),
                    Vec::new(),
                    &r,
                )));
                let _ = reply.send(r);
            }
            Request::Search {
                folder,
                text,
                reply,
            } => {
                let r = self
                    .with_conn(async |c, _| {
                        if c.selected().is_none_or(|s| s.name != folder) {
                            c.select(&folder, true, None).await?;
                        }
                        c.search_text(&text).await
                    })
                    .await;
                self.emit(ImapEvent::Audit(AuditRecord::new(
                    AuditAction::Search,
                    Some(&folder),
                    Vec::new(),
                    &r,
                )));
                let _ = reply.send(r);
            }
            Request::Shutdown { reply } => {
                let _ = reply.send(());
            }
        }
    }

    /// Fetches the bodies of the newest messages not cached yet.
    async fn prefetch(&mut self, folder: &str) {
        let n = self.config.prefetch_recent;
        if n == 0 {
            return;
        }
        let r = self
            .with_conn(async |c, cache| {
                let state = cache
                    .folder_state(folder)
                    .map_err(|source| Error::Cache { source })?;
                let newest: Vec<u32> = state
                    .map(|s| s.known.uids().rev().take(n).collect())
                    .unwrap_or_default();
                for uid in newest {
                    if !cache
                        .has_body(folder, uid)
                        .map_err(|source| Error::Cache { source })?
                    {
                        fetch_body(c, cache, folder, uid).await?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %chain(&e), "body prefetch stopped");
        }
    }
}

async fn fetch_body<C: SyncCache>(
    conn: &mut ImapConn,
    cache: &mut C,
    folder: &str,
    uid: u32,
) -> Result<Option<Vec<u8>>, Error> {
    if conn.selected().is_none_or(|s| s.name != folder) {
        conn.select(folder, true, None).await?;
    }
    let body = conn.fetch_body(uid).await?;
    if let Some(b) = &body {
        cache
            .store_body(folder, uid, b)
            .map_err(|source| Error::Cache { source })?;
    }
    Ok(body)
}

/// An error and its causes in one line (for Offline reasons and logs).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
