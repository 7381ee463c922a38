//! What the session reports for the audit trail (Ségur SC.MSS/CONF.17-18: per mailbox,
//! the action, the request and the server's answer, failures included, never the message
//! content). The session emits one [`AuditRecord`] per server-visible action as an event;
//! the audit module (hash-chained trail) stores it with the author and the time. Records
//! carry folder names and UIDs, never headers, bodies or search text (a search may name a
//! patient).

use serde::{Deserialize, Serialize};

use super::error::Error;
use super::queue::{OpKind, PendingOp, Replayed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    Login,
    /// A message was opened (its body fetched).
    Consult,
    SetFlags {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Move {
        to: String,
    },
    Delete,
    Append,
    Search,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub action: AuditAction,
    pub folder: Option<String>,
    pub uids: Vec<u32>,
    /// None when the server accepted; else the error in one line (server text included).
    pub error: Option<String>,
}

impl AuditRecord {
    pub fn new<T>(
        action: AuditAction,
        folder: Option<&str>,
        uids: Vec<u32>,
        result: &Result<T, Error>,
    ) -> AuditRecord {
        AuditRecord {
            action,
            folder: folder.map(str::to_string),
            uids,
            error: result.as_ref().err().map(|e| super::session::chain(e)),
        }
    }

    /// The record of a queued change once the server has seen it.
    pub fn for_op(op: &PendingOp, outcome: &Result<Replayed, Error>) -> AuditRecord {
        let (action, uids) = match &op.kind {
            OpKind::SetFlags { uids, add, remove } => (
                AuditAction::SetFlags {
                    add: add.0.iter().cloned().collect(),
                    remove: remove.0.iter().cloned().collect(),
                },
                uids.clone(),
            ),
            OpKind::Move { uid, to, .. } => (AuditAction::Move { to: to.clone() }, vec![*uid]),
            OpKind::Delete { uids } => (AuditAction::Delete, uids.clone()),
        };
        let error = match outcome {
            Ok(Replayed::Applied { .. }) => None,
            Ok(Replayed::Dropped { reason, .. }) => Some(format!("not applied: {reason}")),
            Err(e) => Some(super::session::chain(e)),
        };
        AuditRecord {
            action,
            folder: Some(op.folder.clone()),
            uids,
            error,
        }
    }
}
