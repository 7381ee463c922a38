//! The IDLE connection: a second connection per account that EXAMINEs the watched folder
//! and sits in IDLE (RFC 2177), forwarding what the server pushes (new message counts,
//! expunges as VANISHED with QRESYNC, flag changes) as [`PushEvent`]s. The session's
//! connection stays free for commands. IDLE is restarted before `idle_refresh` (servers
//! drop idle clients after 30 minutes) and whenever the watched folder changes; a lost
//! connection is retried with the same jittered backoff as the session. A server without
//! IDLE is polled with NOOP every `poll_interval` instead.

use std::sync::Arc;

use async_imap::imap_proto::{MailboxDatum, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::backoff::Backoff;
use super::conn::ImapConn;
use super::connect::connect;
use super::error::{Error, bounded};
use super::parse;
use super::session::{ImapEvent, SessionConfig, chain};
use super::types::Flags;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEvent {
    pub folder: String,
    pub change: PushChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushChange {
    /// The folder now holds `count` messages (a new message arrived, usually).
    Exists { count: u32 },
    /// The message at sequence number `seq` was expunged (servers without QRESYNC).
    Expunge { seq: u32 },
    /// These UIDs were expunged (QRESYNC).
    Vanished { uids: Vec<u32> },
    /// A message's flags changed.
    Flags {
        seq: u32,
        uid: Option<u32>,
        flags: Flags,
    },
}

enum Stop {
    FolderChanged,
    Closed,
}

/// Runs until the watch sender is dropped.
pub(crate) async fn idle_loop(
    config: Arc<SessionConfig>,
    mut folder: watch::Receiver<Option<String>>,
    events: mpsc::UnboundedSender<ImapEvent>,
) {
    let mut backoff = Backoff::new(config.backoff);
    loop {
        let current = folder.borrow_and_update().clone();
        let Some(name) = current else {
            if folder.changed().await.is_err() {
                return;
            }
            continue;
        };
        match watch_folder(&config, &name, &mut folder, &events).await {
            Ok(Stop::FolderChanged) => backoff.reset(),
            Ok(Stop::Closed) => return,
            Err(e) => {
                tracing::info!(error = %chain(&e), "IDLE connection lost");
                let delay = backoff.next_delay();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    changed = folder.changed() => if changed.is_err() { return },
                }
            }
        }
    }
}

async fn watch_folder(
    config: &SessionConfig,
    name: &str,
    folder: &mut watch::Receiver<Option<String>>,
    events: &mpsc::UnboundedSender<ImapEvent>,
) -> Result<Stop, Error> {
    let mut conn = connect(&config.account, Arc::clone(&config.tls)).await?;
    conn.select(name, true, None).await?;
    let _ = events.send(ImapEvent::Watching {
        folder: name.to_string(),
    });
    let forward = |resp: &Response<'_>| {
        if let Some(change) = push_change(resp) {
            let _ = events.send(ImapEvent::Push(PushEvent {
                folder: name.to_string(),
                change,
            }));
        }
    };
    if !conn.capabilities().has("IDLE") {
        // Without IDLE, a NOOP now and then makes the server send the same updates.
        loop {
            tokio::select! {
                _ = tokio::time::sleep(config.poll_interval) => {
                    conn.run_each("NOOP", "NOOP", |r| forward(r)).await?;
                }
                changed = folder.changed() => {
                    conn.logout().await;
                    return Ok(if changed.is_err() { Stop::Closed } else { Stop::FolderChanged });
                }
            }
        }
    }
    loop {
        let stop = idle_once(&mut conn, folder, &forward).await?;
        if let Some(stop) = stop {
            conn.logout().await;
            return Ok(stop);
        }
    }
}

/// The next response, bounded (a macro: async-imap does not export the response type,
/// so no function can return it).
macro_rules! read {
    ($conn:expr, $limit:expr) => {
        bounded("waiting in IDLE", $limit, async {
            $conn
                .session
                .read_response()
                .await
                .map_err(Error::Io)?
                .ok_or(Error::ConnectionLost)
        })
        .await?
    };
}

/// One IDLE ... DONE round; Some when the caller should stop watching this folder.
async fn idle_once(
    conn: &mut ImapConn,
    folder: &mut watch::Receiver<Option<String>>,
    forward: &(dyn Fn(&Response<'_>) + Sync),
) -> Result<Option<Stop>, Error> {
    let t = conn.timeouts();
    let tag = bounded("IDLE", t.command, async {
        conn.session
            .run_command("IDLE")
            .await
            .map_err(|e| Error::from_client("IDLE", e))
    })
    .await?;
    // wait for the continuation
    loop {
        let raw = read!(conn, t.command);
        match raw.parsed() {
            Response::Continue { .. } => break,
            Response::Done { tag: got, .. } if *got == tag => {
                return Err(Error::Protocol {
                    detail: "the server refused IDLE".into(),
                });
            }
            other => forward(other),
        }
    }
    let deadline = tokio::time::Instant::now() + t.idle_refresh;
    let stop = loop {
        tokio::select! {
            r = tokio::time::timeout_at(deadline, conn.session.read_response()) => match r {
                Err(_) => break None,
                Ok(Ok(Some(raw))) => forward(raw.parsed()),
                Ok(Ok(None)) => return Err(Error::ConnectionLost),
                Ok(Err(e)) => return Err(Error::Io(e)),
            },
            changed = folder.changed() => {
                break Some(if changed.is_err() { Stop::Closed } else { Stop::FolderChanged });
            }
        }
    };
    bounded("DONE", t.command, async {
        conn.session
            .run_command_untagged("DONE")
            .await
            .map_err(|e| Error::from_client("DONE", e))
    })
    .await?;
    loop {
        let raw = read!(conn, t.command);
        match raw.parsed() {
            Response::Done { tag: got, .. } if *got == tag => return Ok(stop),
            other => forward(other),
        }
    }
}

fn push_change(resp: &Response<'_>) -> Option<PushChange> {
    match resp {
        Response::MailboxData(MailboxDatum::Exists(n)) => Some(PushChange::Exists { count: *n }),
        Response::Expunge(seq) => Some(PushChange::Expunge { seq: *seq }),
        Response::Vanished { uids, .. } => Some(PushChange::Vanished {
            uids: parse::expand_ranges(uids, &|_| true),
        }),
        Response::Fetch(seq, attrs) => {
            let (uid, flags, _) = parse::fetch_flags(attrs);
            flags.map(|flags| PushChange::Flags {
                seq: *seq,
                uid,
                flags,
            })
        }
        _ => None,
    }
}
