//! `cachet send` and `cachet outbox`: queue a message (body from standard
//! input), list the outbox, flush it. Written against the outbox traits; the
//! caller (main) supplies the store, the transport (settings, TLS, card) and
//! the Sent checker. A message is committed before any network step, so when
//! the server cannot be reached it stays queued and the command says so
//! (exit code 4).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::exit;
use crate::mail::compose::{Attachment, Draft, Mailbox};
use crate::mail::outbox::{
    Outbox, OutboxEntry, OutboxState, OutboxStore, Outcome, SentChecker, Transport,
};

/// Largest body read from standard input; mail servers refuse far less.
const MAX_BODY: u64 = 32 * 1024 * 1024;

#[derive(Debug, clap::Subcommand)]
pub enum SendCommand {
    /// Send a message; the text is read from standard input.
    Send(SendArgs),
    /// Show the outbox, or send what is waiting in it.
    Outbox(OutboxArgs),
}

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
    #[arg(long)]
    pub subject: String,
    /// File to attach (repeat for several).
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Ask for a read receipt.
    #[arg(long)]
    pub receipt: bool,
}

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Machine-readable listing.
    #[arg(long)]
    pub json: bool,
    /// Try to send every waiting message now.
    #[arg(long)]
    pub flush: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Compose(#[from] crate::mail::compose::Error),
    #[error("{0}")]
    Outbox(#[from] crate::mail::outbox::Error),
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
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
}

impl crate::error::HasKind for Error {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            Error::Compose(e) => e.kind(),
            Error::Outbox(e) => e.kind(),
            Error::ReadFile { .. } | Error::Stdin(_) | Error::Output(_) => ErrorKind::Io,
            Error::NotUtf8 => ErrorKind::Invalid,
        }
    }
}

/// Everything the commands need, wired by `main`.
pub struct SendContext<'a, S, T, C> {
    pub outbox: &'a Outbox<S>,
    pub transport: &'a T,
    pub checker: &'a C,
    pub from: Mailbox,
    pub signature: Option<String>,
    /// Unix seconds (the caller's clock).
    pub now: i64,
}

/// Runs one command; returns the exit code. `out` gets results, `err` the
/// one-sentence explanations.
pub async fn run<S: OutboxStore, T: Transport, C: SentChecker>(
    cmd: SendCommand,
    ctx: SendContext<'_, S, T, C>,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    match cmd {
        SendCommand::Send(args) => send(args, ctx, stdin, out, err).await,
        SendCommand::Outbox(args) => outbox(args, ctx, out, err).await,
    }
}

async fn send<S: OutboxStore, T: Transport, C: SentChecker>(
    args: SendArgs,
    ctx: SendContext<'_, S, T, C>,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let parse = |v: &[String]| {
        v.iter()
            .map(|a| Mailbox::parse(a))
            .collect::<Result<Vec<_>, _>>()
    };
    let mut body = Vec::new();
    stdin
        .take(MAX_BODY)
        .read_to_end(&mut body)
        .map_err(Error::Stdin)?;
    let body = String::from_utf8(body).map_err(|_| Error::NotUtf8)?;
    let attachments = args
        .attach
        .iter()
        .map(|p| read_attachment(p))
        .collect::<Result<Vec<_>, _>>()?;
    let draft = Draft {
        from: Some(ctx.from.clone()),
        to: parse(&args.to)?,
        cc: parse(&args.cc)?,
        bcc: parse(&args.bcc)?,
        subject: args.subject,
        body,
        signature: ctx.signature.clone(),
        attachments,
        request_receipt: args.receipt,
        ..Draft::default()
    };
    let built = draft.build(ctx.now)?;
    let id = ctx.outbox.enqueue(built, ctx.now).await?;
    let outcomes = ctx
        .outbox
        .process_due(ctx.transport, ctx.checker, ctx.now)
        .await?;
    let mine = outcomes.iter().find(|o| outcome_id(o) == id);
    report(mine, &id, out, err)
}

fn report(
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
            format!("The message <{id}> stays in the outbox and will be retried: {reason}."),
            true,
        ),
        Some(Outcome::Failed {
            reason,
            permanent: true,
            ..
        }) => (
            exit::ERROR,
            format!("The server refused the message <{id}>: {reason}."),
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
        writeln!(err, "{text}").map_err(Error::Output)?;
    } else {
        writeln!(out, "{text}").map_err(Error::Output)?;
    }
    Ok(code)
}

async fn outbox<S: OutboxStore, T: Transport, C: SentChecker>(
    args: OutboxArgs,
    ctx: SendContext<'_, S, T, C>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let mut code = exit::OK;
    if args.flush {
        ctx.outbox.flush_now(ctx.now).await?;
        for o in ctx
            .outbox
            .process_due(ctx.transport, ctx.checker, ctx.now)
            .await?
        {
            let c = report(Some(&o), outcome_id(&o), out, err)?;
            code = code.max(c);
        }
    }
    let entries: Vec<OutboxEntry> = ctx
        .outbox
        .list()
        .await?
        .iter()
        .map(OutboxEntry::from)
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries).map_err(|e| Error::Output(e.into()))?;
        writeln!(out).map_err(Error::Output)?;
    } else if !args.flush {
        if entries.is_empty() {
            writeln!(out, "The outbox is empty.").map_err(Error::Output)?;
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
            .map_err(Error::Output)?;
        }
    }
    Ok(code)
}

fn outcome_id(o: &Outcome) -> &str {
    match o {
        Outcome::Sent { message_id, .. }
        | Outcome::AlreadySent { message_id }
        | Outcome::Deferred { message_id, .. }
        | Outcome::Failed { message_id, .. }
        | Outcome::Unverified { message_id, .. } => message_id,
    }
}

fn read_attachment(path: &Path) -> Result<Attachment, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::mail::outbox::testing::{RecordingSentChecker, RecordingTransport};
    use crate::mail::outbox::{MemoryOutboxStore, RetryPolicy, SendFailure};
    use clap::Parser;

    #[derive(Parser)]
    struct TestCli {
        #[command(subcommand)]
        cmd: SendCommand,
    }

    fn cmd(args: &[&str]) -> SendCommand {
        TestCli::try_parse_from(std::iter::once("cachet").chain(args.iter().copied()))
            .unwrap()
            .cmd
    }

    async fn go(
        ob: &Outbox<MemoryOutboxStore>,
        t: &RecordingTransport,
        args: &[&str],
        stdin: &str,
    ) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let ctx = SendContext {
            outbox: ob,
            transport: t,
            checker: &RecordingSentChecker(t.clone()),
            from: Mailbox::parse("alice@example.test").unwrap(),
            signature: None,
            now: 100,
        };
        let code = run(cmd(args), ctx, stdin.as_bytes(), &mut out, &mut err)
            .await
            .unwrap();
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[tokio::test]
    async fn send_then_list() {
        let ob = Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false);
        let t = RecordingTransport::default();
        let (code, out, _) = go(
            &ob,
            &t,
            &[
                "send",
                "--to",
                "bob@example.test",
                "--subject",
                "Bonjour",
                "--receipt",
            ],
            "Texte\n",
        )
        .await;
        assert_eq!(code, exit::OK);
        assert!(out.starts_with("Sent <"));
        assert_eq!(t.delivered().len(), 1);
        let (code, out, _) = go(&ob, &t, &["outbox", "--json"], "").await;
        assert_eq!(code, exit::OK);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["recipients"][0], "bob@example.test");
        assert_eq!(v[0]["state"], "Sent");
    }

    #[tokio::test]
    async fn unreachable_server_leaves_it_queued_with_exit_4_then_flush_sends() {
        let ob = Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false);
        let t = RecordingTransport::default();
        t.fail_next(SendFailure {
            permanent: false,
            outcome_unknown: false,
            kind: ErrorKind::Network,
            reason: "connection refused".into(),
        });
        let (code, out, err) = go(
            &ob,
            &t,
            &["send", "--to", "bob@example.test", "--subject", "S"],
            "x",
        )
        .await;
        assert_eq!(code, exit::NETWORK);
        assert!(out.is_empty());
        assert!(
            err.contains("stays in the outbox") && err.contains("connection refused"),
            "{err}"
        );
        assert!(t.delivered().is_empty());
        let (_, out, _) = go(&ob, &t, &["outbox"], "").await;
        assert!(out.starts_with("queued"), "{out}");
        let (code, out, _) = go(&ob, &t, &["outbox", "--flush"], "").await;
        assert_eq!(code, exit::OK);
        assert!(out.starts_with("Sent <"));
        assert_eq!(t.delivered().len(), 1);
    }

    #[test]
    fn bad_input_is_refused_by_clap_or_the_builder() {
        assert!(
            TestCli::try_parse_from(["cachet", "send", "--subject", "x"]).is_err(),
            "--to is required"
        );
        assert_eq!(content_type_for("IHE_XDM.ZIP"), "application/zip");
        assert_eq!(content_type_for("noext"), "application/octet-stream");
    }

    #[tokio::test]
    async fn a_bad_address_is_an_error_before_anything_is_queued() {
        let ob = Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false);
        let t = RecordingTransport::default();
        let ctx = SendContext {
            outbox: &ob,
            transport: &t,
            checker: &RecordingSentChecker(t.clone()),
            from: Mailbox::parse("alice@example.test").unwrap(),
            signature: None,
            now: 0,
        };
        let e = run(
            cmd(&["send", "--to", "bob", "--subject", "x"]),
            ctx,
            &b""[..],
            &mut Vec::new(),
            &mut Vec::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Compose(_)));
        assert!(ob.list().await.unwrap().is_empty());
    }
}
