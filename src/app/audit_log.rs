//! What the session writes to the practitioner's audit trail, and when.
//!
//! Every effect that touches health data or the session is traced here, by
//! the runtime, after it ran: who (the store knows the holder), when, what
//! (action and a hashed target), the request summary and the outcome —
//! never content. The trail lives in the encrypted profile.

use super::mail_msg::MailEffect;
use super::msg::Effect;
use crate::audit::{Action, AuditEvent, Outcome, Target};
use crate::domain::mailbox::MessageId;

/// The audit event an effect calls for, if any (before it runs).
pub fn event_for(effect: &Effect) -> Vec<AuditEvent> {
    let event = |action, target, request: &str| AuditEvent {
        action,
        target,
        request: request.to_string(),
        response: None,
        outcome: Outcome::Success,
    };
    match effect {
        Effect::FindRecords { query, .. } => {
            let patient = match &query.patient {
                crate::records::backend::PatientSelector::Ins(ins) => {
                    Some(Target::Patient { ins: ins.to_cx() })
                }
                crate::records::backend::PatientSelector::Reference { reference } => {
                    Some(Target::Patient {
                        ins: reference.clone(),
                    })
                }
            };
            let mut events = Vec::new();
            if let crate::records::backend::PurposeOfUse::Emergency { reason } = &query.purpose {
                events.push(event(
                    Action::BreakGlass,
                    patient.clone(),
                    &format!(
                        "purpose=emergency kind={:?} reason-length={}",
                        reason.kind(),
                        reason.justification().chars().count()
                    ),
                ));
            }
            let purpose = if events.is_empty() {
                "normal"
            } else {
                "emergency"
            };
            events.push(event(
                Action::RecordList,
                patient,
                &format!("FindDocuments purpose={purpose}"),
            ));
            events
        }
        Effect::OpenRecord {
            entry, emergency, ..
        } => vec![event(
            Action::RecordOpen,
            Some(Target::Document {
                id: entry.id.clone(),
            }),
            &format!(
                "RetrieveDocument purpose={}",
                if *emergency { "emergency" } else { "normal" }
            ),
        )],
        Effect::SearchDirectory { query, .. } => vec![event(
            Action::DirectoryQuery,
            Some(Target::Query {
                text: query.text.clone(),
            }),
            "directory search (local index)",
        )],
        Effect::DropSecrets => vec![event(Action::Lock, None, "session locked")],
        Effect::Mail(mail) => mail_event(mail).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The audit event of a mailbox action: the folder (hashed), ids and the
/// change, never a header or a body (the ids are the source's, UIDs for IMAP).
fn mail_event(effect: &MailEffect) -> Option<AuditEvent> {
    let ids = |ids: &[MessageId]| {
        ids.iter()
            .map(|id| id.0.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let (action, folder, request) = match effect {
        MailEffect::SetFlags {
            folder,
            ids: list,
            change,
        } => (
            Action::Flag,
            folder,
            format!(
                "STORE {} {}{:?}",
                ids(list),
                if change.set { "+" } else { "-" },
                change.flag
            ),
        ),
        MailEffect::Move {
            folder,
            ids: list,
            target,
        } => (Action::Move, folder, format!("MOVE {} {target}", ids(list))),
        MailEffect::Delete { folder, ids: list } => {
            (Action::Delete, folder, format!("DELETE {}", ids(list)))
        }
        MailEffect::Expunge { folder } => (Action::Expunge, folder, "EXPUNGE".to_string()),
        MailEffect::SaveAttachment {
            folder, id, index, ..
        } => (
            Action::Export,
            folder,
            format!("SAVE ATTACHMENT {} #{index}", id.0),
        ),
        MailEffect::ViewAttachment { folder, id, index } => (
            Action::Export,
            folder,
            format!("VIEW ATTACHMENT {} #{index} (system viewer)", id.0),
        ),
        _ => return None,
    };
    Some(AuditEvent {
        action,
        // A folder name may name a patient: stored as a keyed hash, never in clear.
        target: Some(Target::Mailbox {
            address: format!("folder:{folder}"),
        }),
        request,
        response: None,
        outcome: Outcome::Success,
    })
}

/// A message was opened for reading.
pub fn read(message_id: &str) -> AuditEvent {
    AuditEvent {
        action: Action::Read,
        target: Some(Target::Message {
            message_id: message_id.to_string(),
        }),
        request: "open message (local cache)".into(),
        response: None,
        outcome: Outcome::Success,
    }
}

/// A PIN check, successful or not.
pub fn unlock(accepted: bool) -> AuditEvent {
    AuditEvent {
        action: Action::Unlock,
        target: None,
        request: "VERIFY PIN".into(),
        response: None,
        outcome: if accepted {
            Outcome::Success
        } else {
            Outcome::Denied
        },
    }
}
