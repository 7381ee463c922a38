//! The steps every outbox command shares: a pass over what is due (each
//! outcome audited), then the settling of accepted messages — the copy
//! appended to Sent, the record marked filed, the message entered in the
//! sent log for its receipts, finished records dropped. Each step is
//! committed before the next, so a crash anywhere resumes here next run.

use std::future::Future;
use std::io::Write;

use crate::audit::{Action, AuditEvent, Outcome as AuditOutcome, Target};
use crate::cli::exit;
use crate::cli::send::{Error, SendContext, out_err};
use crate::mail::mdn::TrackedStatus;
use crate::mail::outbox::{
    OutboxState, OutboxStore, Outcome, SentChecker, SentMessage, Transport, fault,
};

/// Where audit events go (the profile's trail); failures are the sink's to report.
pub trait AuditSink: Sync {
    fn record(&self, event: AuditEvent);
}

/// Files an accepted message in the Sent folder; Ok names the folder.
pub trait SentFiler: Send + Sync {
    fn file(
        &self,
        message_id: &str,
        bytes: &[u8],
    ) -> impl Future<Output = Result<String, String>> + Send;
}

/// For servers that file submitted mail themselves.
pub struct ServerFiles;

impl SentFiler for ServerFiles {
    fn file(
        &self,
        _message_id: &str,
        _bytes: &[u8],
    ) -> impl Future<Output = Result<String, String>> + Send {
        std::future::ready(Ok(String::new()))
    }
}

/// One pass over the messages due now.
pub async fn process<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    ctx: &SendContext<'_, S, T, C, F>,
) -> Result<Vec<Outcome>, Error> {
    let outcomes = ctx
        .outbox
        .process_due(ctx.transport, ctx.checker, ctx.now)
        .await?;
    for o in &outcomes {
        let (request, response, outcome) = match o {
            Outcome::Sent { server_reply, .. } => (
                "SMTP submission",
                Some(server_reply.clone()),
                AuditOutcome::Success,
            ),
            Outcome::AlreadySent { .. } => (
                "IMAP SEARCH Sent before resending",
                Some("found: not sent again".to_string()),
                AuditOutcome::Success,
            ),
            Outcome::Deferred { reason, .. } => (
                "SMTP submission",
                Some(reason.clone()),
                AuditOutcome::Failure,
            ),
            Outcome::Failed { reason, .. } => (
                "SMTP submission",
                Some(reason.clone()),
                AuditOutcome::Failure,
            ),
            Outcome::Unverified { reason, .. } => (
                "IMAP SEARCH Sent before resending",
                Some(reason.clone()),
                AuditOutcome::Failure,
            ),
        };
        ctx.audit.record(AuditEvent {
            action: Action::Send,
            target: Some(Target::Message {
                message_id: outcome_id(o).to_string(),
            }),
            request: request.into(),
            response,
            outcome,
        });
    }
    Ok(outcomes)
}

/// Files, logs and drops what the server accepted. Returns an exit code:
/// a copy that could not be filed is retried next time (a warning, not a
/// failure: the message itself left).
pub async fn settle<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    ctx: &SendContext<'_, S, T, C, F>,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    for r in ctx.outbox.awaiting_filing().await? {
        let result = ctx.filer.file(&r.message_id, &r.bytes).await;
        let target = Some(Target::Message {
            message_id: r.message_id.clone(),
        });
        match result {
            Ok(folder) => {
                fault::point(fault::AFTER_APPEND);
                ctx.outbox.mark_filed(&r.message_id).await?;
                if !folder.is_empty() {
                    ctx.audit.record(AuditEvent {
                        action: Action::Send,
                        target,
                        request: "IMAP APPEND Sent".into(),
                        response: Some("OK".into()),
                        outcome: AuditOutcome::Success,
                    });
                }
            }
            Err(reason) => {
                ctx.audit.record(AuditEvent {
                    action: Action::Send,
                    target,
                    request: "IMAP APPEND Sent".into(),
                    response: Some(reason.clone()),
                    outcome: AuditOutcome::Failure,
                });
                writeln!(
                    err,
                    "Sent <{}>, but its copy could not be put in the Sent folder yet: {reason}.",
                    r.message_id
                )
                .map_err(out_err)?;
            }
        }
    }
    if let Some(log) = ctx.sent_log {
        for r in ctx.outbox.list().await? {
            if r.state == OutboxState::Done {
                log.record(tracked(
                    &r.message_id,
                    &r.envelope.recipients,
                    &r.bytes,
                    ctx.now,
                ))
                .await?;
            }
        }
    }
    ctx.outbox.purge_finished().await?;
    Ok(exit::OK)
}

/// The sent-log entry of a message, from its own headers.
fn tracked(message_id: &str, recipients: &[String], bytes: &[u8], now: i64) -> SentMessage {
    let headers =
        crate::mail::mime::parse_message(bytes, &crate::mail::mime::Limits::default()).ok();
    let subject = headers.as_ref().and_then(|m| m.headers.subject.clone());
    let receipt_requested = headers
        .as_ref()
        .is_some_and(|m| !m.headers.disposition_notification_to.is_empty());
    SentMessage {
        message_id: message_id.to_string(),
        recipients: recipients.to_vec(),
        subject,
        sent_at: now,
        receipt_requested,
        status: TrackedStatus::Sent,
        updated_at: now,
    }
}

/// `cachet outbox --sent`.
pub async fn list_sent<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    ctx: &SendContext<'_, S, T, C, F>,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let sent = match ctx.sent_log {
        Some(log) => log.list().await?,
        None => Vec::new(),
    };
    print_sent(&sent, json, out)?;
    Ok(exit::OK)
}

pub fn print_sent(sent: &[SentMessage], json: bool, out: &mut dyn Write) -> Result<(), Error> {
    if json {
        serde_json::to_writer_pretty(&mut *out, sent).map_err(|e| Error::Output(e.into()))?;
        return writeln!(out).map_err(out_err);
    }
    if sent.is_empty() {
        return writeln!(out, "No sent message is tracked.").map_err(out_err);
    }
    for m in sent {
        writeln!(
            out,
            "{:<10} {}  {}  {}",
            status_name(&m.status),
            m.recipients.join(", "),
            crate::domain::text::terminal_safe(m.subject.as_deref().unwrap_or("")),
            m.message_id
        )
        .map_err(out_err)?;
    }
    Ok(())
}

pub fn status_name(s: &TrackedStatus) -> String {
    match s {
        TrackedStatus::Sent => "sent".into(),
        TrackedStatus::Delivered => "delivered".into(),
        TrackedStatus::Read => "read".into(),
        TrackedStatus::Deleted => "deleted".into(),
        TrackedStatus::Failed { reason } => format!("failed ({reason})"),
    }
}

/// Prints what happened to message `id`; returns the exit code.
pub fn report(
    outcome: Option<&Outcome>,
    id: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let (code, text, to_err) = match outcome {
        Some(Outcome::Sent { .. } | Outcome::AlreadySent { .. }) => {
            (exit::OK, format!("Sent <{id}>."), false)
        }
        Some(Outcome::Deferred { reason, .. } | Outcome::Unverified { reason, .. }) => (
            exit::NETWORK,
            format!(
                "The message <{id}> stays in the outbox: {reason}. Send it later with `cachet outbox --flush`."
            ),
            true,
        ),
        Some(Outcome::Failed {
            reason,
            permanent: true,
            ..
        }) => (
            exit::ERROR,
            format!("Not sent: the message <{id}> was refused: {reason}."),
            true,
        ),
        Some(Outcome::Failed {
            reason,
            permanent: false,
            ..
        }) => (
            exit::NETWORK,
            format!("Sending <{id}> failed too many times: {reason}."),
            true,
        ),
        None => (exit::OK, format!("The message <{id}> is queued."), false),
    };
    if to_err {
        writeln!(err, "{text}").map_err(out_err)?;
    } else {
        writeln!(out, "{text}").map_err(out_err)?;
    }
    Ok(code)
}

pub fn outcome_id(o: &Outcome) -> &str {
    match o {
        Outcome::Sent { message_id, .. }
        | Outcome::AlreadySent { message_id }
        | Outcome::Deferred { message_id, .. }
        | Outcome::Failed { message_id, .. }
        | Outcome::Unverified { message_id, .. } => message_id,
    }
}
