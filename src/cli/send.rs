//! `cachet send` and `cachet outbox`: queue a message (body from standard
//! input), list the outbox, flush, retry or cancel. Written against the
//! outbox traits; [`crate::cli::mail_wire`] supplies the encrypted store,
//! the SMTP transport, the IMAP Sent check and filing, and the audit trail.
//! A message is committed before any network step, so when the server
//! cannot be reached it stays queued and the command says so (exit code 4).
//! Recipients outside the MSSanté trust space are refused unless
//! `--outside-trust-space` is given; `--protect-attachments` puts the files
//! in an AES-256 archive whose password is printed once.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::audit::{Action, AuditEvent, Outcome as AuditOutcome, Target};
use crate::cli::exit;
use crate::cli::send_flow::{self, AuditSink, SentFiler, outcome_id, report};
use crate::mail::compose::{Attachment, Draft, Mailbox};
use crate::mail::outbox::{
    Outbox, OutboxEntry, OutboxState, OutboxStore, SentChecker, SentLog, Transport,
};
use crate::records::ins::InsPolicy;

/// Largest body read from standard input; mail servers refuse far less.
const MAX_BODY: u64 = 32 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Recipient (repeat for several).
    #[arg(long, required = true, value_name = "ADDRESS")]
    pub to: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,
    /// Hidden recipient: in the envelope only.
    #[arg(long, value_name = "ADDRESS")]
    pub bcc: Vec<String>,
    /// Subject (with --xdm, defaults to the MSSanté convention `XDM/1.0/DDM+…`).
    #[arg(long, required_unless_present = "xdm")]
    pub subject: Option<String>,
    /// File to attach (repeat for several).
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// CDA document to send as IHE_XDM.ZIP (sets X-MSS-CODECDA and X-MSS-INS).
    #[arg(long, value_name = "CDA.xml")]
    pub xdm: Option<PathBuf>,
    /// Ask for a read receipt.
    #[arg(long)]
    pub receipt: bool,
    /// Account name (default: the first account).
    #[arg(long)]
    pub account: Option<String>,
    /// Send even to recipients outside the MSSanté trust space.
    #[arg(long)]
    pub outside_trust_space: bool,
    /// Put the attachments in an AES-256 encrypted zip; its password is printed once.
    #[arg(long)]
    pub protect_attachments: bool,
}

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Machine-readable listing.
    #[arg(long)]
    pub json: bool,
    /// Try to send every waiting message now.
    #[arg(long)]
    pub flush: bool,
    /// Put a failed message back in the queue and try it now.
    #[arg(long, value_name = "MESSAGE-ID", conflicts_with_all = ["cancel", "flush"])]
    pub retry: Option<String>,
    /// Withdraw a queued or failed message.
    #[arg(long, value_name = "MESSAGE-ID", conflicts_with_all = ["retry", "flush"])]
    pub cancel: Option<String>,
    /// Show the sent messages and what their receipts said.
    #[arg(long)]
    pub sent: bool,
    /// Account name (default: the first account).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Compose(#[from] crate::mail::compose::Error),
    #[error("{0}")]
    Outbox(#[from] crate::mail::outbox::Error),
    #[error("{0}")]
    Xdm(#[from] crate::mail::xdm::Error),
    #[error("{0}")]
    Protect(#[from] crate::mail::protect::Error),
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the message text from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("the message text is not valid UTF-8")]
    NotUtf8,
    #[error("--protect-attachments needs at least one --attach or --xdm")]
    NothingToProtect,
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
}

impl crate::error::HasKind for Error {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            Error::Compose(e) => e.kind(),
            Error::Outbox(e) => e.kind(),
            Error::Xdm(e) => e.kind(),
            Error::Protect(e) => e.kind(),
            Error::ReadFile { .. } | Error::Stdin(_) | Error::Output(_) => ErrorKind::Io,
            Error::NotUtf8 | Error::NothingToProtect => ErrorKind::Invalid,
        }
    }
}

pub(crate) fn out_err(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// Everything the commands need, wired by [`crate::cli::mail_wire`] (or a test).
pub struct SendContext<'a, S, T, C, F> {
    pub outbox: &'a Outbox<S>,
    pub transport: &'a T,
    pub checker: &'a C,
    /// Appends accepted messages to the Sent folder.
    pub filer: &'a F,
    /// Where sent messages are tracked for receipts (none: not tracked).
    pub sent_log: Option<&'a SentLog>,
    pub audit: &'a dyn AuditSink,
    /// Whether a domain belongs to the MSSanté trust space (the directory).
    pub is_mssante_domain: &'a (dyn Fn(&str) -> bool + Sync),
    pub from: Mailbox,
    pub signature: Option<String>,
    pub ins_policy: InsPolicy,
    /// Unix seconds (the caller's clock).
    pub now: i64,
}

/// `cachet send`: returns the exit code. `out` gets results, `err` the
/// one-sentence explanations.
pub async fn send<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    args: SendArgs,
    ctx: &SendContext<'_, S, T, C, F>,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let parse = |v: &[String]| {
        v.iter()
            .map(|a| Mailbox::parse(a))
            .collect::<Result<Vec<_>, _>>()
    };
    let (to, cc, bcc) = (parse(&args.to)?, parse(&args.cc)?, parse(&args.bcc)?);
    let outsiders = crate::mail::trust::outside_trust_space(
        to.iter().chain(&cc).chain(&bcc),
        ctx.is_mssante_domain,
    );
    if !outsiders.is_empty() {
        let list = outsiders
            .iter()
            .map(|o| o.email.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if !args.outside_trust_space {
            ctx.audit.record(AuditEvent {
                action: Action::Send,
                target: Some(Target::Label {
                    text: "outbox".into(),
                }),
                request: format!(
                    "refused locally: {} recipient(s) outside the MSSanté trust space",
                    outsiders.len()
                ),
                response: None,
                outcome: AuditOutcome::Denied,
            });
            writeln!(
                err,
                "Not sent: outside the MSSanté trust space (domain unknown to the directory): {list}. \
                 Check the addresses, or send anyway with --outside-trust-space (and consider --protect-attachments)."
            )
            .map_err(out_err)?;
            return Ok(exit::ERROR);
        }
        writeln!(
            err,
            "Warning: outside the MSSanté trust space, the message is not protected end to end: {list}."
        )
        .map_err(out_err)?;
    }

    let mut body = Vec::new();
    stdin
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(Error::Stdin)?;
    let body = String::from_utf8(body).map_err(|_| Error::NotUtf8)?;
    let mut attachments = args
        .attach
        .iter()
        .map(|p| read_attachment(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut subject = args.subject;
    let mut mss = crate::mail::compose::MssHeaders::default();
    if let Some(path) = &args.xdm {
        let cda = read_file(path)?;
        let recipients: Vec<String> = to.iter().chain(&cc).map(|m| m.email.clone()).collect();
        let x = crate::mail::xdm::attach_cda(cda, &recipients, ctx.ins_policy)?;
        attachments.push(x.attachment);
        mss = x.mss;
        subject.get_or_insert(x.subject);
    }
    if args.protect_attachments {
        if attachments.is_empty() {
            return Err(Error::NothingToProtect);
        }
        let p = crate::mail::protect::protect(&attachments)?;
        attachments = vec![p.archive];
        writeln!(
            out,
            "Password of the protected archive (shown only now; give it to the recipient by another channel, phone or SMS): {}",
            p.password.expose()
        )
        .map_err(out_err)?;
    }
    let draft = Draft {
        from: Some(ctx.from.clone()),
        to,
        cc,
        bcc,
        subject: subject.unwrap_or_default(),
        body,
        signature: ctx.signature.clone(),
        attachments,
        request_receipt: args.receipt,
        mss,
        ..Draft::default()
    };
    let built = draft.build(ctx.now)?;
    let recipients = built.envelope.recipients.len();
    let size = built.bytes.len();
    let id = built.message_id.clone();
    ctx.outbox.enqueue(built, ctx.now).await?;
    ctx.audit.record(AuditEvent {
        action: Action::Send,
        target: Some(Target::Message {
            message_id: id.clone(),
        }),
        request: format!("outbox enqueue ({recipients} recipient(s), {size} bytes)"),
        response: None,
        outcome: AuditOutcome::Success,
    });
    let outcomes = send_flow::process(ctx).await?;
    let mine = outcomes.iter().find(|o| outcome_id(o) == id);
    let code = report(mine, &id, out, err)?;
    Ok(code.max(send_flow::settle(ctx, err).await?))
}

/// `cachet outbox …`.
pub async fn outbox<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    args: OutboxArgs,
    ctx: &SendContext<'_, S, T, C, F>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    if args.sent {
        return send_flow::list_sent(ctx, args.json, out).await;
    }
    let mut code = exit::OK;
    if let Some(id) = &args.cancel {
        let id = bare_id(id);
        let r = ctx.outbox.cancel(id).await;
        audit_outbox_action(ctx, Action::Delete, id, "outbox cancel", r.is_ok());
        r?;
        writeln!(out, "Cancelled <{id}>.").map_err(out_err)?;
    }
    if let Some(id) = &args.retry {
        let id = bare_id(id);
        let r = ctx.outbox.retry(id, ctx.now).await;
        audit_outbox_action(ctx, Action::Send, id, "outbox retry", r.is_ok());
        r?;
    }
    if args.flush || args.retry.is_some() {
        ctx.outbox.flush_now(ctx.now).await?;
        ctx.audit.record(AuditEvent {
            action: Action::Send,
            target: Some(Target::Label {
                text: "outbox".into(),
            }),
            request: "outbox flush".into(),
            response: None,
            outcome: AuditOutcome::Success,
        });
        for o in send_flow::process(ctx).await? {
            code = code.max(report(Some(&o), outcome_id(&o), out, err)?);
        }
    }
    code = code.max(send_flow::settle(ctx, err).await?);
    let entries: Vec<OutboxEntry> = ctx
        .outbox
        .list()
        .await?
        .iter()
        .map(OutboxEntry::from)
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries).map_err(|e| Error::Output(e.into()))?;
        writeln!(out).map_err(out_err)?;
    } else if !args.flush && args.retry.is_none() && args.cancel.is_none() {
        if entries.is_empty() {
            writeln!(out, "The outbox is empty.").map_err(out_err)?;
        }
        for e in &entries {
            let state = match &e.state {
                OutboxState::Failed { reason, .. } => format!("failed ({reason})"),
                s => s.name().to_string(),
            };
            writeln!(
                out,
                "{:<10} {:>3} {}  {}",
                state,
                e.attempts,
                e.recipients.join(", "),
                e.message_id
            )
            .map_err(out_err)?;
        }
    }
    Ok(code)
}

/// A Message-ID as typed, with or without brackets.
fn bare_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id)
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })
}

fn read_attachment(path: &Path) -> Result<Attachment, Error> {
    let bytes = read_file(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "piece-jointe".into());
    Ok(Attachment {
        content_type: content_type_for(&name).to_string(),
        name,
        bytes,
    })
}

/// The type of the usual attachments of health mail; anything else is opaque.
fn content_type_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "xml" => "text/xml",
        "txt" => "text/plain",
        "hl7" | "hprim" | "hpr" => "text/plain",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "dcm" => "application/dicom",
        _ => "application/octet-stream",
    }
}

/// One audit entry for a user's action on one outbox message (no content).
fn audit_outbox_action<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    ctx: &SendContext<'_, S, T, C, F>,
    action: Action,
    message_id: &str,
    request: &str,
    succeeded: bool,
) {
    ctx.audit.record(AuditEvent {
        action,
        target: Some(Target::Message {
            message_id: message_id.to_string(),
        }),
        request: request.into(),
        response: None,
        outcome: if succeeded {
            AuditOutcome::Success
        } else {
            AuditOutcome::Failure
        },
    });
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
