//! Changes made while offline (or not yet confirmed by the server), kept as durable
//! [`PendingOp`]s behind the [`OpQueue`] trait (the encrypted store implements it later)
//! and replayed on reconnect.
//!
//! Exactly-once effect: each op carries an idempotency key and is acknowledged (removed)
//! only after the server accepted it; a crash between the two replays it, which is
//! harmless because every op is idempotent on the server: +FLAGS/-FLAGS set or clear
//! flags absolutely; a move first checks that the source UID still exists (if not, it
//! already happened or the message is gone); a delete flags and UID-expunges exactly its
//! UIDs. An op recorded under an older UIDVALIDITY is dropped: its UIDs mean nothing now.

use serde::{Deserialize, Serialize};

use super::conn::ImapConn;
use super::error::Error;
use super::parse::quote;
use super::sync::BackendError;
use super::types::Flags;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOp {
    /// Idempotency key (random, unique per user action).
    pub id: String,
    pub folder: String,
    pub uid_validity: u32,
    pub kind: OpKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    SetFlags {
        uids: Vec<u32>,
        add: Flags,
        remove: Flags,
    },
    Move {
        uid: u32,
        to: String,
        message_id: Option<String>,
    },
    Delete {
        uids: Vec<u32>,
    },
}

impl PendingOp {
    /// A new op with a fresh idempotency key.
    pub fn new(folder: &str, uid_validity: u32, kind: OpKind) -> PendingOp {
        PendingOp {
            id: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            folder: folder.to_string(),
            uid_validity,
            kind,
        }
    }
}

/// Durable storage of pending ops, in insertion order.
pub trait OpQueue: Send {
    fn push(&mut self, op: PendingOp) -> Result<(), BackendError>;
    fn pending(&self) -> Result<Vec<PendingOp>, BackendError>;
    /// Removes the op with this key (no error when already gone).
    fn ack(&mut self, id: &str) -> Result<(), BackendError>;
}

/// What a replay did with one op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Replayed {
    Applied {
        id: String,
    },
    /// Already done or meaningless now (message gone, UIDVALIDITY changed).
    Dropped {
        id: String,
        reason: String,
    },
}

/// Replays every pending op in order. A connection failure stops the replay (the op
/// stays queued for next time); an op the server refuses (NO/BAD: the folder is gone...)
/// is dropped with its reason, so one bad op cannot block the queue forever.
pub async fn replay(conn: &mut ImapConn, queue: &mut dyn OpQueue) -> Result<Vec<Replayed>, Error> {
    let ops = queue.pending().map_err(|source| Error::Cache { source })?;
    let mut done = Vec::new();
    for op in ops {
        let outcome = match apply(conn, &op).await {
            Ok(o) => o,
            Err(e) if !e.is_connection_fatal() => Replayed::Dropped {
                id: op.id.clone(),
                reason: e.to_string(),
            },
            Err(e) => return Err(e),
        };
        queue
            .ack(&op.id)
            .map_err(|source| Error::Cache { source })?;
        done.push(outcome);
    }
    Ok(done)
}

/// Applies one op now.
pub async fn apply(conn: &mut ImapConn, op: &PendingOp) -> Result<Replayed, Error> {
    let need_select = conn
        .selected()
        .is_none_or(|s| s.name != op.folder || s.read_only);
    let uid_validity = if need_select {
        conn.select(&op.folder, false, None)
            .await?
            .selected
            .uid_validity
    } else {
        conn.selected().map_or(0, |s| s.uid_validity)
    };
    if uid_validity != op.uid_validity {
        return Ok(Replayed::Dropped {
            id: op.id.clone(),
            reason: "the folder's UIDVALIDITY changed".into(),
        });
    }
    match &op.kind {
        OpKind::SetFlags { uids, add, remove } => conn.store_flags(uids, add, remove).await?,
        OpKind::Delete { uids } => {
            conn.store_flags(uids, &Flags::of([Flags::DELETED]), &Flags::default())
                .await?;
            conn.expunge_uids(uids).await?;
        }
        OpKind::Move {
            uid,
            to,
            message_id,
        } => {
            if conn.uid_search(&format!("UID {uid}")).await?.is_empty() {
                let reason = match message_id {
                    Some(mid) if destination_has(conn, to, mid).await? => {
                        "already in the destination"
                    }
                    _ => "the message no longer exists",
                };
                return Ok(Replayed::Dropped {
                    id: op.id.clone(),
                    reason: reason.into(),
                });
            }
            conn.move_messages(&[*uid], to).await?;
        }
    }
    Ok(Replayed::Applied { id: op.id.clone() })
}

async fn destination_has(
    conn: &mut ImapConn,
    folder: &str,
    message_id: &str,
) -> Result<bool, Error> {
    conn.select(folder, true, None).await?;
    let found = conn
        .uid_search(&format!("HEADER Message-ID {}", quote(message_id)?))
        .await?;
    Ok(!found.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::memory::MemoryQueue;

    #[test]
    fn ops_survive_serialisation_and_keys_are_unique() {
        let op = PendingOp::new(
            "INBOX",
            7,
            OpKind::Move {
                uid: 3,
                to: "Archive".into(),
                message_id: Some("<a@b>".into()),
            },
        );
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(serde_json::from_str::<PendingOp>(&json).unwrap(), op);
        let other = PendingOp::new("INBOX", 7, OpKind::Delete { uids: vec![1] });
        assert_ne!(op.id, other.id);
        assert_eq!(op.id.len(), 32);
    }

    #[test]
    fn the_queue_keeps_order_and_ack_removes_one_op() {
        let mut q = MemoryQueue::default();
        let a = PendingOp::new("INBOX", 1, OpKind::Delete { uids: vec![1] });
        let b = PendingOp::new("INBOX", 1, OpKind::Delete { uids: vec![2] });
        q.push(a.clone()).unwrap();
        q.push(b.clone()).unwrap();
        assert_eq!(q.pending().unwrap(), vec![a.clone(), b.clone()]);
        q.ack(&a.id).unwrap();
        q.ack(&a.id).unwrap();
        assert_eq!(q.pending().unwrap(), vec![b]);
    }
}
