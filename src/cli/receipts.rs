//! `cachet receipts`: finds the read receipts (MDN) and delivery reports
//! (DSN) in a folder over IMAP and matches them to the sent messages by
//! Original-Message-ID; `cachet mdn UID`: answers a receipt request after
//! asking the user (never automatically), warning when the address asking
//! is not the Return-Path, and sends an RFC 8098 MDN through the outbox.

use std::io::{BufRead, BufReader, Read, Write};

use crate::audit::{Action, AuditEvent, Outcome as AuditOutcome, Target};
use crate::cli::exit;
use crate::cli::mail_wire::{Error, Opened};
use crate::cli::send::{Error as SendError, SendContext, out_err};
use crate::cli::send_flow::{self, SentFiler, outcome_id, report};
use crate::mail::imap::{self, Flags};
use crate::mail::mdn::{
    AskReason, Mdn, ReceiptDecision, ReceiptRequest, SendingMode, build_mdn, decide, report_fields,
};
use crate::mail::mime::{Limits, parse_message};
use crate::mail::outbox::{OutboxStore, SentChecker, Transport};

/// Reports looked at per run, newest first.
const MAX_REPORTS: usize = 500;
/// The IMAP keyword of RFC 3503: a receipt was sent for this message.
const MDN_SENT: &str = "$MDNSent";

#[derive(Debug, clap::Args)]
pub struct ReceiptsArgs {
    /// Folder where reports arrive.
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    #[arg(long)]
    pub json: bool,
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct MdnArgs {
    /// UID of the message that asks for a receipt.
    pub uid: u32,
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// Answer "yes" to the question in advance (the decision is still yours).
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub account: Option<String>,
}

/// `cachet receipts`.
pub async fn receipts<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    args: ReceiptsArgs,
    ctx: &SendContext<'_, S, T, C, F>,
    opened: &Opened,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let mut conn = imap::connect(&opened.imap.account, opened.imap.tls.clone()).await?;
    let found = async {
        conn.select(&args.folder, true, None).await?;
        let mut uids = conn
            .uid_search("HEADER Content-Type \"multipart/report\"")
            .await?;
        if uids.len() > MAX_REPORTS {
            uids.drain(..uids.len() - MAX_REPORTS);
        }
        let mut reports = Vec::new();
        for uid in &uids {
            if let Some(raw) = conn.fetch_body(*uid).await?
                && let Ok(parsed) = parse_message(&raw, &Limits::default())
            {
                reports.extend(report_fields(&parsed, &raw));
            }
        }
        Ok::<_, imap::Error>((uids.len(), reports))
    }
    .await;
    conn.logout().await;
    let (count, reports) = found?;
    let matched = match ctx.sent_log {
        Some(log) => log.apply(reports, ctx.now).await.map_err(SendError::from)?,
        None => Vec::new(),
    };
    ctx.audit.record(AuditEvent {
        action: Action::Read,
        target: Some(Target::Label {
            text: "receipts".into(),
        }),
        request: format!("IMAP UID SEARCH reports in {}", args.folder),
        response: Some(format!("{count} report(s), {} matched", matched.len())),
        outcome: AuditOutcome::Success,
    });
    let sent = match ctx.sent_log {
        Some(log) => log.list().await.map_err(SendError::from)?,
        None => Vec::new(),
    };
    if !args.json {
        writeln!(
            out,
            "{count} report(s) in {}, {} about messages sent from here.",
            args.folder,
            matched.len()
        )
        .map_err(SendError::Output)?;
    }
    send_flow::print_sent(&sent, args.json, out)?;
    Ok(exit::OK)
}

/// `cachet mdn UID`.
pub async fn answer<S: OutboxStore, T: Transport, C: SentChecker, F: SentFiler>(
    args: MdnArgs,
    ctx: &SendContext<'_, S, T, C, F>,
    opened: &Opened,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let mut conn = imap::connect(&opened.imap.account, opened.imap.tls.clone()).await?;
    let fetched = async {
        conn.select(&args.folder, false, None).await?;
        let raw = conn.fetch_body(args.uid).await?;
        let flags = conn.fetch_flags(&args.uid.to_string(), None).await?;
        Ok::<_, imap::Error>((raw, flags))
    }
    .await;
    let (raw, flags) = match fetched {
        Ok(v) => v,
        Err(e) => {
            conn.logout().await;
            return Err(e.into());
        }
    };
    let Some(raw) = raw else {
        conn.logout().await;
        writeln!(err, "No message {} in {}.", args.uid, args.folder).map_err(out_err)?;
        return Ok(exit::ERROR);
    };
    let parsed = match parse_message(&raw, &Limits::default()) {
        Ok(p) => p,
        Err(e) => {
            conn.logout().await;
            writeln!(err, "The message cannot be read: {e}.").map_err(out_err)?;
            return Ok(exit::ERROR);
        }
    };
    let h = &parsed.headers;
    let request = ReceiptRequest {
        disposition_notification_to: h
            .disposition_notification_to
            .iter()
            .map(|a| a.email.clone())
            .collect(),
        return_path: h.return_path.clone(),
        is_report: parsed.report().is_some(),
        already_answered: flags
            .iter()
            .any(|f| f.uid == args.uid && f.flags.contains(MDN_SENT)),
    };
    let (to, reason) = match decide(&request) {
        ReceiptDecision::NotRequested => {
            conn.logout().await;
            writeln!(
                err,
                "No read receipt to send: none was asked, one was already sent, or the message is itself a report."
            )
            .map_err(out_err)?;
            return Ok(exit::ERROR);
        }
        ReceiptDecision::Automatic { to } => (to, None),
        ReceiptDecision::AskUser { to, reason } => (to, Some(reason)),
    };
    let subject = h.subject.clone().unwrap_or_default();
    match reason {
        Some(AskReason::DiffersFromReturnPath) => writeln!(
            err,
            "Warning: the receipt would go to {to}, which is not the sender's Return-Path ({}).",
            h.return_path.as_deref().unwrap_or("?")
        ),
        Some(AskReason::NoReturnPath) => writeln!(
            err,
            "Warning: the message has no Return-Path to compare {to} with."
        ),
        Some(AskReason::SeveralAddresses) => writeln!(
            err,
            "Warning: several addresses ask for the receipt; only {to} would get it."
        ),
        None => Ok(()),
    }
    .map_err(out_err)?;
    let yes = args.yes || {
        write!(
            err,
            "Send a read receipt to {to} for \"{}\"? [y/N] ",
            crate::domain::text::terminal_safe(&subject)
        )
        .map_err(out_err)?;
        err.flush().map_err(out_err)?;
        let mut line = String::new();
        BufReader::new(stdin.take(256))
            .read_line(&mut line)
            .map_err(SendError::Stdin)?;
        matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "o" | "oui"
        )
    };
    if !yes {
        conn.logout().await;
        writeln!(out, "No receipt sent.").map_err(out_err)?;
        return Ok(exit::OK);
    }
    let Some(original_id) = h.message_id.clone() else {
        conn.logout().await;
        writeln!(
            err,
            "The message has no Message-ID: a receipt could not refer to it."
        )
        .map_err(out_err)?;
        return Ok(exit::ERROR);
    };
    let original_id = original_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    let header_block = String::from_utf8_lossy(&raw)
        .split("\r\n\r\n")
        .next()
        .map(str::to_string);
    let mdn = Mdn {
        reporter: ctx.from.clone(),
        to,
        original_message_id: original_id.clone(),
        original_subject: subject,
        original_recipient: Some(ctx.from.email.clone()),
        reporting_ua: format!("Cachet {}", env!("CARGO_PKG_VERSION")),
        mode: SendingMode::Manually,
        original_headers: header_block,
    };
    let built = build_mdn(&mdn, ctx.now).map_err(SendError::from)?;
    let id = built.message_id.clone();
    ctx.outbox
        .enqueue(built, ctx.now)
        .await
        .map_err(SendError::from)?;
    // RFC 3503: marked before it leaves, so it is never answered twice.
    let flagged = conn
        .store_flags(&[args.uid], &Flags::of([MDN_SENT]), &Flags::default())
        .await;
    conn.logout().await;
    ctx.audit.record(AuditEvent {
        action: Action::Send,
        target: Some(Target::Message {
            message_id: original_id,
        }),
        request: "MDN displayed (manual) enqueued; UID STORE +FLAGS $MDNSent".into(),
        response: Some(
            if flagged.is_ok() {
                "OK"
            } else {
                "flag not set"
            }
            .into(),
        ),
        outcome: AuditOutcome::Success,
    });
    let outcomes = send_flow::process(ctx).await?;
    let mine = outcomes.iter().find(|o| outcome_id(o) == id);
    let code = report(mine, &id, out, err)?;
    Ok(code.max(send_flow::settle(ctx, err).await?))
}
