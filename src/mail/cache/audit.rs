//! The mail service's entries in the profile's audit trail: every
//! server-visible action the session reports (login, message fetched, flags,
//! move, delete, append, search) and every message opened from the cache.
//! Entries name the mailbox (hashed by the trail), the protocol verb and the
//! UIDs, never a folder name, header, body or search text (any may name a
//! patient).

use crate::audit::{self, Action, AuditEvent, Outcome, Target};
use crate::mail::imap::audit_log::{AuditAction, AuditRecord};
use crate::store::Store;

fn uid_list(uids: &[u32]) -> String {
    let shown: Vec<String> = uids.iter().take(20).map(u32::to_string).collect();
    let more = if uids.len() > 20 { ",…" } else { "" };
    format!("{}{more}", shown.join(","))
}

/// The trail entry for what the session reported.
pub fn event_for(account: &str, record: &AuditRecord) -> AuditEvent {
    let uids = uid_list(&record.uids);
    let (action, request) = match &record.action {
        AuditAction::Login => (Action::Login, "IMAP LOGIN".to_string()),
        AuditAction::Consult => (Action::Read, format!("UID FETCH {uids} BODY.PEEK[]")),
        AuditAction::SetFlags { add, remove } => {
            let mut r = format!("UID STORE {uids}");
            if !add.is_empty() {
                r.push_str(&format!(" +FLAGS ({})", add.join(" ")));
            }
            if !remove.is_empty() {
                r.push_str(&format!(" -FLAGS ({})", remove.join(" ")));
            }
            (Action::Sync, r)
        }
        AuditAction::Move { .. } => (Action::Move, format!("UID MOVE {uids}")),
        AuditAction::Delete => (Action::Delete, format!("UID EXPUNGE {uids}")),
        AuditAction::Append => (Action::Sync, "APPEND".to_string()),
        AuditAction::Search => (Action::Sync, "UID SEARCH".to_string()),
    };
    AuditEvent {
        action,
        target: Some(Target::Mailbox {
            address: account.to_string(),
        }),
        request,
        response: record.error.clone(),
        outcome: if record.error.is_none() {
            Outcome::Success
        } else {
            Outcome::Failure
        },
    }
}

/// The trail entry for a message opened from the cache.
pub fn event_for_read(account: &str, uid: u32, message_id: Option<&str>) -> AuditEvent {
    AuditEvent {
        action: Action::Read,
        target: Some(match message_id {
            Some(id) => Target::Message {
                message_id: id.to_string(),
            },
            None => Target::Mailbox {
                address: account.to_string(),
            },
        }),
        request: format!("open UID {uid} from the cache"),
        response: None,
        outcome: Outcome::Success,
    }
}

/// Appends an entry; a failure is logged (the action already happened).
pub fn record(store: &Store, event: &AuditEvent) {
    if let Err(e) = audit::append(store, event) {
        tracing::warn!(error = %e, "the audit trail could not record a mail action");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_verbs_and_uids_never_folder_names() {
        let r = AuditRecord {
            action: AuditAction::SetFlags {
                add: vec!["\\Seen".into()],
                remove: vec![],
            },
            folder: Some("Patients/DUPONT".into()),
            uids: vec![4, 9],
            error: None,
        };
        let e = event_for("mss", &r);
        assert_eq!(e.request, "UID STORE 4,9 +FLAGS (\\Seen)");
        assert!(!format!("{e:?}").contains("DUPONT"));
        assert_eq!(e.outcome, Outcome::Success);
    }
}
