//! Performs the composer's and the outbox's effects against the services:
//! the outbox owner task, the encrypted store (drafts, addresses already
//! used, audit trail) and the directory. One async function serves the
//! runtime (as a task) and the headless harness (blocked on), so both run
//! exactly the same code.
//!
//! Nothing here logs or audits content: audit entries name the action, the
//! Message-ID and counts.

use super::mail_effects::{
    AttachedFile, ComposeEffect, ComposeMsg, Queued, ReceiptToSend, Suggestion,
};
use super::session_store::SessionStore;
use crate::audit::{Action, AuditEvent, Outcome, Target};
use crate::mail::compose::{Attachment, Mailbox};
use crate::mail::outbox::{OutboxHandle, SendFailure, SentChecker, Transport};
use crate::store::StoreHandle;
use crate::ui::screens::compose::StoredDraft;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The store setting holding the addresses already written to.
const SEEN_SETTING: &str = "compose.seen_addresses";
/// How many of them are kept (most recent first).
const SEEN_LIMIT: usize = 200;
/// Suggestions offered at once.
const SUGGESTIONS: usize = 8;
/// Paths offered at once.
const PATHS: usize = 50;
/// Larger files are refused as attachments (servers refuse far less).
const ATTACHMENT_LIMIT: u64 = 25 * 1024 * 1024;
pub const REPORTING_UA: &str = concat!("Cachet ", env!("CARGO_PKG_VERSION"));

/// What the mail effects run against.
#[derive(Clone, Default)]
pub struct MailContext {
    pub outbox: Option<OutboxHandle>,
    /// Files accepted messages in the account's Sent folder (none: they stay
    /// in the outbox as sent, not filed).
    pub sent: Option<crate::mail::outbox::ImapSent>,
    pub store: Option<Arc<SessionStore>>,
    pub directory: Option<crate::directory::DirectoryHandle>,
    /// Test INS are accepted in packaged documents (a test profile).
    pub test_profile: bool,
}

impl MailContext {
    fn store(&self) -> Option<StoreHandle> {
        self.store.as_ref().and_then(|s| s.handle())
    }
}

/// No SMTP server here (the demo, or no `[accounts.smtp]`): every attempt
/// fails as a transient network error, so messages wait in the outbox.
pub struct NoServer;

impl Transport for NoServer {
    async fn send(
        &self,
        _envelope: &crate::mail::compose::Envelope,
        _bytes: &[u8],
    ) -> Result<String, SendFailure> {
        Err(SendFailure {
            permanent: false,
            outcome_unknown: false,
            kind: crate::error::ErrorKind::Network,
            reason: "no SMTP server configured (offline)".into(),
        })
    }
}

impl SentChecker for NoServer {
    async fn is_sent(&self, _message_id: &str) -> Result<bool, SendFailure> {
        Ok(false)
    }
}

/// The outbox of a session without a server (the demo): a memory store,
/// [`NoServer`]. Must be called inside a tokio runtime.
pub fn offline_outbox<S: crate::mail::outbox::OutboxStore + 'static>(store: S) -> OutboxHandle {
    crate::mail::outbox::spawn_outbox(
        crate::mail::outbox::Outbox::new(store, crate::mail::outbox::RetryPolicy::default(), false),
        NoServer,
        NoServer,
    )
}

/// Runs one effect; `now` is the wall clock in seconds.
pub async fn perform(effect: ComposeEffect, ctx: &MailContext, now: i64) -> Vec<ComposeMsg> {
    match effect {
        ComposeEffect::Complete { prefix, generation } => vec![ComposeMsg::Completions {
            generation,
            items: complete(ctx, &prefix).await,
        }],
        ComposeEffect::CompletePath { prefix, generation } => {
            let items = tokio::task::spawn_blocking(move || complete_path(&prefix))
                .await
                .unwrap_or_default();
            vec![ComposeMsg::PathCompletions { generation, items }]
        }
        ComposeEffect::Attach { path, as_xdm } => {
            let test_profile = ctx.test_profile;
            let result = tokio::task::spawn_blocking(move || attach(&path, as_xdm, test_profile))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            vec![ComposeMsg::Attached(result)]
        }
        ComposeEffect::CheckTrust {
            recipients,
            generation,
        } => vec![ComposeMsg::TrustChecked {
            generation,
            outside: outside_trust_space(ctx, &recipients).await,
        }],
        ComposeEffect::Send {
            draft,
            signature,
            protect,
            draft_id,
        } => {
            let result = send(ctx, &draft, signature, protect, draft_id, now).await;
            let mut out = vec![ComposeMsg::Queued(result)];
            out.extend(pass(ctx, now).await);
            out
        }
        ComposeEffect::SaveDraft { id, draft, .. } => {
            let Some(store) = ctx.store() else {
                return vec![ComposeMsg::DraftFailed("no open profile".into())];
            };
            match store
                .call_async(move |s| s.save_draft(id, draft.as_ref()))
                .await
            {
                Ok(Ok(id)) => vec![ComposeMsg::DraftSaved { id }],
                Ok(Err(e)) => vec![ComposeMsg::DraftFailed(e.to_string())],
                Err(e) => vec![ComposeMsg::DraftFailed(e.to_string())],
            }
        }
        ComposeEffect::LoadDrafts => vec![ComposeMsg::Drafts(drafts(ctx).await)],
        ComposeEffect::DeleteDraft { id } => {
            if let Some(store) = ctx.store() {
                let _ = store.call_async(move |s| s.remove_draft(id)).await;
            }
            vec![ComposeMsg::Drafts(drafts(ctx).await)]
        }
        ComposeEffect::ListOutbox => {
            let mut out = vec![list(ctx).await];
            out.extend(tracked(ctx).await);
            out
        }
        ComposeEffect::RetryOutbox { message_id } => {
            let Some(outbox) = &ctx.outbox else {
                return Vec::new();
            };
            let result = outbox.retry(&message_id, now).await;
            audit(
                ctx,
                Action::Send,
                Some(&message_id),
                "outbox retry",
                result.is_ok(),
            )
            .await;
            let mut out = Vec::new();
            if let Err(e) = result {
                out.push(ComposeMsg::OutboxFailed(e.to_string()));
            }
            out.extend(pass(ctx, now).await);
            out
        }
        ComposeEffect::CancelOutbox { message_id } => {
            let Some(outbox) = &ctx.outbox else {
                return Vec::new();
            };
            let result = outbox.cancel(&message_id).await;
            audit(
                ctx,
                Action::Delete,
                Some(&message_id),
                "outbox cancel",
                result.is_ok(),
            )
            .await;
            let mut out = Vec::new();
            if let Err(e) = result {
                out.push(ComposeMsg::OutboxFailed(e.to_string()));
            }
            out.push(list(ctx).await);
            out
        }
        ComposeEffect::ProcessOutbox => pass(ctx, now).await,
        ComposeEffect::SendReceipt { receipt } => {
            let result = send_receipt(ctx, &receipt, now).await;
            let mut out = vec![ComposeMsg::ReceiptQueued(result)];
            out.extend(pass(ctx, now).await);
            out
        }
    }
}

/// Runs an effect as a task; its results come back as messages. The
/// lock's draft is saved before this returns, so the key is dropped after.
pub fn spawn(
    effect: ComposeEffect,
    ctx: MailContext,
    tx: &tokio::sync::mpsc::UnboundedSender<super::msg::Msg>,
) {
    let tx = tx.clone();
    if let ComposeEffect::SaveDraft {
        id,
        draft,
        on_lock: true,
    } = &effect
    {
        let msg = tokio::task::block_in_place(|| save_draft_blocking(&ctx, *id, draft));
        let _ = tx.send(super::msg::Msg::Compose(msg));
        return;
    }
    tokio::spawn(async move {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for msg in perform(effect, &ctx, now).await {
            let _ = tx.send(super::msg::Msg::Compose(msg));
        }
    });
}

/// Saves a draft and waits for it: the lock calls this before the key goes.
pub fn save_draft_blocking(ctx: &MailContext, id: Option<u64>, draft: &StoredDraft) -> ComposeMsg {
    let Some(store) = ctx.store() else {
        return ComposeMsg::DraftFailed("no open profile".into());
    };
    let draft = draft.clone();
    match store.call(move |s| s.save_draft(id, &draft)) {
        Ok(Ok(id)) => ComposeMsg::DraftSaved { id },
        Ok(Err(e)) => ComposeMsg::DraftFailed(e.to_string()),
        Err(e) => ComposeMsg::DraftFailed(e.to_string()),
    }
}

async fn drafts(ctx: &MailContext) -> Result<Vec<(u64, StoredDraft)>, String> {
    let Some(store) = ctx.store() else {
        return Ok(Vec::new());
    };
    match store.call_async(|s| s.drafts::<StoredDraft>()).await {
        Ok(Ok(list)) => Ok(list),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

async fn list(ctx: &MailContext) -> ComposeMsg {
    match &ctx.outbox {
        Some(outbox) => ComposeMsg::Outbox(outbox.list().await.map_err(|e| e.to_string())),
        None => ComposeMsg::Outbox(Ok(Vec::new())),
    }
}

/// The receipt / delivery status of the messages sent, from the sent log.
async fn tracked(ctx: &MailContext) -> Vec<ComposeMsg> {
    let Some(store) = ctx.store() else {
        return Vec::new();
    };
    match crate::mail::outbox::SentLog::new(store).list().await {
        Ok(sent) => vec![ComposeMsg::Tracked(
            sent.into_iter().map(|m| (m.message_id, m.status)).collect(),
        )],
        Err(e) => {
            tracing::warn!(error = %e, "sent log unreadable");
            Vec::new()
        }
    }
}

/// One pass over what is due, each acceptance audited, then the new list.
async fn pass(ctx: &MailContext, now: i64) -> Vec<ComposeMsg> {
    let Some(outbox) = &ctx.outbox else {
        return Vec::new();
    };
    match outbox.process_due(now).await {
        Ok(outcomes) => {
            for outcome in outcomes {
                if let crate::mail::outbox::Outcome::Sent { message_id, .. } = outcome {
                    audit(ctx, Action::Send, Some(&message_id), "SMTP accepted", true).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "outbox pass failed"),
    }
    file_sent(ctx, outbox).await;
    vec![list(ctx).await]
}

/// Copies each accepted message into the Sent folder, then marks it filed;
/// a failure leaves it for the next pass.
async fn file_sent(ctx: &MailContext, outbox: &OutboxHandle) {
    let Some(sent) = &ctx.sent else {
        return;
    };
    let waiting = match outbox.awaiting_filing().await {
        Ok(waiting) => waiting,
        Err(e) => {
            tracing::warn!(error = %e, "outbox filing list failed");
            return;
        }
    };
    for message in waiting {
        match sent.append(&message.message_id, &message.bytes).await {
            Ok(_) => {
                if let Err(e) = outbox.mark_filed(&message.message_id).await {
                    tracing::warn!(error = %e, "outbox mark filed failed");
                }
                audit(
                    ctx,
                    Action::Send,
                    Some(&message.message_id),
                    "IMAP APPEND Sent",
                    true,
                )
                .await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "filing in Sent failed, retried at the next pass");
            }
        }
    }
}

async fn audit(
    ctx: &MailContext,
    action: Action,
    message_id: Option<&str>,
    request: &str,
    ok: bool,
) {
    let Some(store) = ctx.store() else {
        return;
    };
    let event = AuditEvent {
        action,
        target: message_id.map(|id| Target::Message {
            message_id: id.to_string(),
        }),
        request: request.to_string(),
        response: None,
        outcome: if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        },
    };
    match store
        .call_async(move |s| crate::audit::append(s, &event))
        .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(?action, error = %e, "audit append failed"),
        Err(e) => tracing::error!(?action, error = %e, "audit append failed"),
    }
}

async fn send(
    ctx: &MailContext,
    stored: &StoredDraft,
    signature: Option<String>,
    protect: bool,
    draft_id: Option<u64>,
    now: i64,
) -> Result<Queued, String> {
    let Some(outbox) = &ctx.outbox else {
        return Err("no outbox in this session".into());
    };
    let mut draft = stored.to_draft(signature)?;
    let password = if protect && !draft.attachments.is_empty() {
        Some(protect_attachments(&mut draft)?)
    } else {
        None
    };
    let built = draft.build(now).map_err(|e| e.to_string())?;
    let recipients = built.envelope.recipients.len();
    let message_id = outbox
        .enqueue(built, now)
        .await
        .map_err(|e| e.to_string())?;
    audit(
        ctx,
        Action::Send,
        Some(&message_id),
        &format!(
            "message queued: recipients={recipients} attachments={} receipt={} protected={}",
            draft.attachments.len(),
            if draft.request_receipt { "yes" } else { "no" },
            if password.is_some() { "yes" } else { "no" },
        ),
        true,
    )
    .await;
    if let Some(store) = ctx.store() {
        let mut used: Vec<String> = Vec::new();
        for m in draft.to.iter().chain(&draft.cc).chain(&draft.bcc) {
            used.push(crate::ui::screens::compose::display_mailbox(m));
        }
        let _ = store
            .call_async(move |s| {
                if let Some(id) = draft_id {
                    s.remove_draft(id)?;
                }
                remember(s, used)
            })
            .await;
    }
    Ok(Queued {
        message_id,
        password,
    })
}

/// Puts the addresses first in the "already used" list.
fn remember(store: &mut crate::store::Store, used: Vec<String>) -> Result<(), crate::store::Error> {
    let mut seen: Vec<String> = store.setting(SEEN_SETTING)?.unwrap_or_default();
    for entry in used.into_iter().rev() {
        let email = address_of(&entry).to_ascii_lowercase();
        seen.retain(|s| address_of(s).to_ascii_lowercase() != email);
        seen.insert(0, entry);
    }
    seen.truncate(SEEN_LIMIT);
    store.put_setting(SEEN_SETTING, &seen)
}

fn address_of(entry: &str) -> &str {
    match (entry.rfind('<'), entry.rfind('>')) {
        (Some(a), Some(b)) if a < b => &entry[a + 1..b],
        _ => entry.trim(),
    }
}

/// The attachments replaced by one AES-256 archive; returns its password.
fn protect_attachments(
    draft: &mut crate::mail::compose::Draft,
) -> Result<super::mail_effects::ShownOnce, String> {
    let protected = crate::mail::protect::protect(&draft.attachments).map_err(|e| e.to_string())?;
    draft.attachments = vec![protected.archive];
    Ok(super::mail_effects::ShownOnce(zeroize::Zeroizing::new(
        protected.password.expose().to_string(),
    )))
}

async fn complete(ctx: &MailContext, prefix: &str) -> Vec<Suggestion> {
    let needle = prefix.to_lowercase();
    let mut items: Vec<Suggestion> = Vec::new();
    if let Some(store) = ctx.store() {
        let seen: Vec<String> = store
            .call_async(|s| s.setting::<Vec<String>>(SEEN_SETTING))
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .unwrap_or_default();
        for entry in seen {
            if entry.to_lowercase().contains(&needle)
                && let Ok(list) = crate::ui::screens::compose::parse_recipients(&entry)
                && let Some(m) = list.into_iter().next()
            {
                items.push(Suggestion {
                    name: m.name,
                    address: m.email,
                    detail: String::new(),
                });
            }
            if items.len() >= SUGGESTIONS {
                break;
            }
        }
    }
    if let Some(directory) = &ctx.directory
        && items.len() < SUGGESTIONS
        && let Ok(found) = directory.completions(prefix, SUGGESTIONS).await
    {
        for c in found {
            if items
                .iter()
                .any(|i| i.address.eq_ignore_ascii_case(&c.address))
            {
                continue;
            }
            let (name, detail) = match c.label.split_once(" — ") {
                Some((n, d)) => (n.trim().to_string(), d.trim().to_string()),
                None => (c.label.trim().to_string(), String::new()),
            };
            items.push(Suggestion {
                name: (!name.is_empty()).then_some(name),
                address: c.address,
                detail,
            });
            if items.len() >= SUGGESTIONS {
                break;
            }
        }
    }
    items
}

/// Entries of the folder being typed whose names start with what follows
/// the last `/`; folders end with `/`. Hidden files only when asked for.
pub fn complete_path(prefix: &str) -> Vec<String> {
    let expanded = match (prefix.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => format!("{}/{rest}", PathBuf::from(home).display()),
        _ => prefix.to_string(),
    };
    let (dir, start) = match expanded.rfind('/') {
        Some(i) => (&expanded[..=i], &expanded[i + 1..]),
        None => ("", expanded.as_str()),
    };
    let read_from = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(read_from) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            if !name.starts_with(start) || (name.starts_with('.') && !start.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            Some(format!("{dir}{name}{}", if is_dir { "/" } else { "" }))
        })
        .collect();
    out.sort();
    out.truncate(PATHS);
    out
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "xml" => "text/xml",
        "txt" => "text/plain",
        "htm" | "html" => "text/html",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "zip" => "application/zip",
        "odt" => "application/vnd.oasis.opendocument.text",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// Reads a file to attach; a CDA asked as XDM becomes `IHE_XDM.ZIP`.
pub fn attach(path: &Path, as_xdm: bool, test_profile: bool) -> Result<AttachedFile, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a file", path.display()));
    }
    if meta.len() > ATTACHMENT_LIMIT {
        return Err(format!(
            "{}: {} bytes, more than the {} allowed",
            path.display(),
            meta.len(),
            ATTACHMENT_LIMIT
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("piece-jointe")
        .to_string();
    if !as_xdm {
        return Ok(AttachedFile {
            attachment: Attachment {
                name,
                content_type: content_type(path).to_string(),
                bytes,
            },
            codecda: Vec::new(),
            ins: None,
            subject: None,
        });
    }
    let policy = crate::records::ins::InsPolicy { test_profile };
    let xdm =
        crate::mail::xdm::attach_cda(bytes, &[], policy).map_err(|e| format!("{name}: {e}"))?;
    Ok(AttachedFile {
        attachment: xdm.attachment,
        codecda: xdm.mss.codecda,
        ins: xdm.mss.ins,
        subject: Some(xdm.subject).filter(|s| !s.trim().is_empty()),
    })
}

/// Recipients whose domain the directory does not know as MSSanté
/// (`mail::trust`: without a directory, every one).
async fn outside_trust_space(ctx: &MailContext, recipients: &[String]) -> Vec<String> {
    let mailboxes: Vec<Mailbox> = recipients
        .iter()
        .filter_map(|r| Mailbox::parse(r).ok())
        .collect();
    crate::mail::trust::outside_trust_space_via(&mailboxes, ctx.directory.as_ref())
        .await
        .into_iter()
        .map(|o| o.email)
        .collect()
}

async fn send_receipt(
    ctx: &MailContext,
    receipt: &ReceiptToSend,
    now: i64,
) -> Result<String, String> {
    let Some(outbox) = &ctx.outbox else {
        return Err("no outbox in this session".into());
    };
    let mdn = crate::mail::mdn::Mdn {
        reporter: Mailbox::parse(&receipt.reporter).map_err(|e| e.to_string())?,
        to: receipt.to.clone(),
        original_message_id: receipt.original_message_id.clone(),
        original_subject: receipt.original_subject.clone(),
        original_recipient: None,
        reporting_ua: REPORTING_UA.to_string(),
        mode: crate::mail::mdn::SendingMode::Manually,
        original_headers: None,
    };
    let built = crate::mail::mdn::build_mdn(&mdn, now).map_err(|e| e.to_string())?;
    let result = outbox.enqueue(built, now).await.map_err(|e| e.to_string());
    audit(
        ctx,
        Action::Send,
        Some(&receipt.original_message_id),
        "read receipt (MDN) queued",
        result.is_ok(),
    )
    .await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_complete_within_their_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("compte-rendu.pdf"), b"%PDF").expect("write");
        std::fs::write(dir.path().join("courrier.txt"), b"x").expect("write");
        std::fs::write(dir.path().join(".cache"), b"x").expect("write");
        std::fs::create_dir(dir.path().join("comptes")).expect("mkdir");
        let base = format!("{}/", dir.path().display());
        assert_eq!(
            complete_path(&format!("{base}comp")),
            [format!("{base}compte-rendu.pdf"), format!("{base}comptes/")]
        );
        assert_eq!(complete_path(&base).len(), 3, "hidden files left out");
        assert!(complete_path("/nonexistent-folder/x").is_empty());
    }

    #[test]
    fn attachments_are_read_with_a_type_and_limits_hold() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cr.pdf");
        std::fs::write(&path, b"%PDF-1.4 x").expect("write");
        let file = attach(&path, false, false).expect("attached");
        assert_eq!(file.attachment.name, "cr.pdf");
        assert_eq!(file.attachment.content_type, "application/pdf");
        assert_eq!(file.attachment.bytes, b"%PDF-1.4 x");
        assert!(attach(dir.path(), false, false).is_err());
        assert!(attach(&path, true, false).is_err(), "a PDF is no CDA");
    }

    #[test]
    fn addresses_used_move_to_the_front_once() {
        assert_eq!(address_of("Dr Bob <bob@x.test>"), "bob@x.test");
        assert_eq!(address_of(" bob@x.test "), "bob@x.test");
    }
}
