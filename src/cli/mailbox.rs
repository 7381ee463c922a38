//! `cachet sync`, `cachet list`, `cachet read`, `cachet search`: the mailbox
//! from the command line, over the encrypted cache of the card holder's
//! profile. `sync` is the only command that goes to the server on purpose;
//! `list` and `search` never do; `read` does only when the body is not
//! cached yet (and says clearly when it cannot). Reading a message marks it
//! read: in the cache at once, and on the server now or, offline, through the
//! durable queue at the next connection.
//!
//! The card (store key, and TLS client certificate for card accounts) is
//! resolved by `main` with one PIN entry and passed in, so tests drive these
//! commands with a software key. Every mail-derived string printed as text
//! goes through `terminal_safe`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use rustls::client::ResolvesClientCert;
use serde::Serialize;

use crate::cli::exit;
use crate::cli::imap::tls_options;
use crate::config::Settings;
use crate::domain::envelope::Envelope;
use crate::domain::text::terminal_safe;
use crate::error::{ErrorKind, HasKind};
use crate::mail::cache::reader::{self, AccountStatus, ViewOptions};
use crate::mail::cache::{
    AccountEvent, AccountSync, CacheOptions, StoreOpQueue, StoreSyncCache, SyncPassOptions,
};
use crate::mail::imap::backoff::BackoffPolicy;
use crate::mail::imap::queue::{OpKind, OpQueue, PendingOp};
use crate::mail::imap::session::{ConnState, SessionConfig};
use crate::mail::imap::sync::{SyncOptions, SyncReport};
use crate::mail::imap::types::Flags;
use crate::mail::imap::{Error as ImapError, ImapAccount};
use crate::mail::mime::{Limits, parse_message};
use crate::mail::render::{HeaderBlock, Labels, Preference, RenderOptions, render_message};
use crate::mail::search::parse_query;
use crate::store::{CreateOptions, KeyUnwrapper, Profiles, StoreHandle};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Account name (default: every account).
    #[arg(long)]
    pub account: Option<String>,
    /// Only these folders (repeatable; default: every folder, INBOX first).
    #[arg(long = "folder", value_name = "F")]
    pub folders: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// Account name (default: the first account).
    #[arg(long)]
    pub account: Option<String>,
    /// Rows to print, newest thread first.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    pub uid: u32,
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,
    /// Print the message exactly as stored (RFC 822 bytes).
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// from: to: subject: body: date:A..B "phrase" -exclude
    pub query: String,
    /// Only this folder (default: every cached folder).
    #[arg(long)]
    pub folder: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug)]
pub enum MailboxCommand {
    Sync(SyncArgs),
    List(ListArgs),
    Read(ReadArgs),
    Search(SearchArgs),
}

/// What the commands need from `main`.
pub struct MailboxContext<'a> {
    pub settings: &'a Settings,
    pub profiles_root: PathBuf,
    /// The card (or a software key in tests) that opens the profile.
    pub card: &'a dyn KeyUnwrapper,
    /// The card as a TLS client certificate, for `auth = "card"` accounts.
    pub client_auth: Option<Arc<dyn ResolvesClientCert>>,
    /// The TLS versions the card can sign for.
    pub card_tls: crate::tls::TlsVersions,
    pub labels: Labels,
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("no account named \"{name}\" in the settings")]
    NoSuchAccount { name: String },
    #[error("the settings have no account")]
    NoAccount,
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Cache(#[from] crate::mail::cache::Error),
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Query(#[from] crate::mail::search::Error),
    #[error("offline: {reason}")]
    Offline { reason: String },
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
    #[error("cannot encode JSON")]
    Json(#[from] serde_json::Error),
}

impl HasKind for MailboxError {
    fn kind(&self) -> ErrorKind {
        match self {
            MailboxError::NoSuchAccount { .. } | MailboxError::NoAccount => ErrorKind::Config,
            MailboxError::Store(e) => e.kind(),
            MailboxError::Cache(e) => e.kind(),
            MailboxError::Imap(e) => e.kind(),
            MailboxError::Query(e) => e.kind(),
            MailboxError::Offline { .. } => ErrorKind::Network,
            MailboxError::Output(_) => ErrorKind::Io,
            MailboxError::Json(_) => ErrorKind::Invalid,
        }
    }
}

impl MailboxError {
    pub fn exit_code(&self) -> u8 {
        match self {
            MailboxError::NoSuchAccount { .. } | MailboxError::NoAccount => exit::USAGE,
            e => e.kind().exit_code(),
        }
    }
}

type Result<T> = std::result::Result<T, MailboxError>;

fn accounts<'a>(
    settings: &'a Settings,
    name: Option<&str>,
    all_by_default: bool,
) -> Result<Vec<&'a crate::config::Account>> {
    match name {
        Some(n) => settings
            .accounts
            .iter()
            .find(|a| a.name == n)
            .map(|a| vec![a])
            .ok_or_else(|| MailboxError::NoSuchAccount {
                name: n.to_string(),
            }),
        None if settings.accounts.is_empty() => Err(MailboxError::NoAccount),
        None if all_by_default => Ok(settings.accounts.iter().collect()),
        None => Ok(settings.accounts.iter().take(1).collect()),
    }
}

/// Opens the card holder's profile; `sync` creates it on first use.
fn open_store(ctx: &MailboxContext<'_>, create: bool) -> Result<StoreHandle> {
    let profiles = Profiles::new(&ctx.profiles_root);
    let store = match profiles.open(ctx.card) {
        Err(crate::store::Error::NoProfile) if create => {
            let (store, _) = profiles.create(
                ctx.card,
                CreateOptions {
                    with_recovery_code: false,
                },
            )?;
            eprintln!(
                "profile created without a recovery code (see `cachet profile --help`) / profil créé sans code de secours"
            );
            store
        }
        other => other?,
    };
    Ok(StoreHandle::spawn(store)?)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn session_config(
    ctx: &MailboxContext<'_>,
    account: &crate::config::Account,
) -> Result<SessionConfig> {
    account_session_config(ctx.settings, account, ctx.client_auth.clone(), ctx.card_tls)
}

/// The IMAP session of one account: its server, and TLS with the card's
/// certificate (and the TLS versions it can sign for) for a card account.
pub fn account_session_config(
    settings: &Settings,
    account: &crate::config::Account,
    client_auth: Option<Arc<dyn ResolvesClientCert>>,
    card_tls: crate::tls::TlsVersions,
) -> Result<SessionConfig> {
    let imap = ImapAccount::from_settings(account)?;
    // Only a card account presents the card's certificate.
    let card = account.imap.auth == crate::config::AuthMethod::Card;
    let client_auth = client_auth.filter(|_| card);
    let mut options = tls_options(settings, account, client_auth);
    if card {
        options.versions = card_tls;
    }
    let tls = crate::tls::client_config(&options).map_err(ImapError::from)?;
    Ok(SessionConfig {
        account: imap,
        tls,
        backoff: BackoffPolicy::default(),
        sync: SyncOptions::default(),
        prefetch_recent: 50,
        keepalive: Duration::from_secs(240),
        poll_interval: Duration::from_secs(60),
    })
}

/// Runs one mailbox command; returns the exit code.
pub fn run(cmd: MailboxCommand, ctx: &MailboxContext<'_>, out: &mut dyn Write) -> Result<u8> {
    match cmd {
        MailboxCommand::Sync(args) => sync(&args, ctx, out),
        MailboxCommand::List(args) => list(&args, ctx, out),
        MailboxCommand::Read(args) => read(&args, ctx, out),
        MailboxCommand::Search(args) => search(&args, ctx, out),
    }
}

/// Starts the account's session and waits for the first connection attempt.
async fn connect_service(
    ctx: &MailboxContext<'_>,
    account: &crate::config::Account,
    store: &StoreHandle,
) -> Result<(
    AccountSync,
    tokio::sync::mpsc::UnboundedReceiver<AccountEvent>,
)> {
    let config = session_config(ctx, account)?;
    let t = config.account.timeouts;
    let bound = t.connect + t.greeting + t.secret_command + t.command;
    let (service, events) = AccountSync::spawn(
        config,
        &account.name,
        store.clone(),
        SyncPassOptions {
            auto_sync: false,
            cache: CacheOptions::default(),
        },
    );
    match service.settled(bound).await {
        ConnState::Online => Ok((service, events)),
        ConnState::Offline { reason } => {
            service.shutdown().await;
            Err(MailboxError::Offline { reason })
        }
        ConnState::Connecting => {
            service.shutdown().await;
            Err(MailboxError::Offline {
                reason: "no answer from the server".into(),
            })
        }
    }
}

#[derive(Serialize)]
struct SyncOutcome {
    account: String,
    online: bool,
    reason: Option<String>,
    folders: Vec<SyncReport>,
}

fn sync(args: &SyncArgs, ctx: &MailboxContext<'_>, out: &mut dyn Write) -> Result<u8> {
    let targets = accounts(ctx.settings, args.account.as_deref(), true)?;
    let store = open_store(ctx, true)?;
    let rt = runtime()?;
    let mut outcomes = Vec::new();
    let mut code = exit::OK;
    for account in targets {
        let only = (!args.folders.is_empty()).then_some(args.folders.as_slice());
        let outcome = rt.block_on(sync_account(ctx, account, &store, only, args.json));
        match outcome {
            Ok(o) => outcomes.push(o),
            Err(MailboxError::Offline { reason }) => {
                let cached = cached_count(&store, &account.name);
                eprintln!(
                    "cachet: {}: offline ({}); the cache keeps {cached} message(s) / hors ligne, le cache garde {cached} message(s)",
                    account.name,
                    terminal_safe(&reason)
                );
                code = exit::NETWORK;
                outcomes.push(SyncOutcome {
                    account: account.name.clone(),
                    online: false,
                    reason: Some(reason),
                    folders: Vec::new(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &outcomes)?;
        writeln!(out)?;
    } else {
        for o in &outcomes {
            for r in &o.folders {
                writeln!(
                    out,
                    "{}/{}: {} new, {} flag change(s), {} expunged{}",
                    o.account,
                    terminal_safe(&r.folder),
                    r.new,
                    r.flag_changes,
                    r.expunged,
                    if r.reset { " (folder reset)" } else { "" }
                )?;
            }
        }
    }
    Ok(code)
}

async fn sync_account(
    ctx: &MailboxContext<'_>,
    account: &crate::config::Account,
    store: &StoreHandle,
    only: Option<&[String]>,
    quiet: bool,
) -> Result<SyncOutcome> {
    let (service, mut events) = match connect_service(ctx, account, store).await {
        Ok(s) => s,
        Err(e) => {
            // the session recorded nothing if it never started: say offline here
            let (name, reason) = (account.name.clone(), e.to_string());
            let _ = store
                .call_async(move |s| {
                    reader::save_status(
                        s,
                        &name,
                        &AccountStatus {
                            online: false,
                            at: time::OffsetDateTime::now_utc().unix_timestamp(),
                            reason,
                        },
                    )
                })
                .await;
            return Err(e);
        }
    };
    let pass = service.sync_pass(only);
    tokio::pin!(pass);
    let result = loop {
        tokio::select! {
            r = &mut pass => break r,
            Some(e) = events.recv() => if !quiet { report_event(&e) },
        }
    };
    // The mailbox is complete; a search after this command finds the new
    // messages through the index rather than by reading them.
    if let Err(e) = service.search_index_filed().await {
        tracing::warn!(error = %e, "the search index is not complete");
    }
    service.shutdown().await;
    while let Ok(e) = events.try_recv() {
        if !quiet {
            report_event(&e);
        }
    }
    Ok(SyncOutcome {
        account: account.name.clone(),
        online: true,
        reason: None,
        folders: result?,
    })
}

fn report_event(e: &AccountEvent) {
    match e {
        AccountEvent::Progress(p) => {
            eprintln!("{}: {}/{}", terminal_safe(&p.folder), p.fetched, p.total)
        }
        AccountEvent::Replayed(r) => eprintln!("queued change sent: {r:?}"),
        AccountEvent::SyncFailed { folder, reason } => eprintln!(
            "cachet: {} not synced: {}",
            terminal_safe(folder),
            terminal_safe(reason)
        ),
        _ => {}
    }
}

fn cached_count(store: &StoreHandle, account: &str) -> usize {
    let account = account.to_string();
    store
        .call(move |s| {
            let s: &crate::store::Store = s;
            reader::folders(s, &account).map(|folders| {
                let names: Vec<String> = if folders.is_empty() {
                    vec!["INBOX".into()]
                } else {
                    folders.into_iter().map(|f| f.name).collect()
                };
                names
                    .iter()
                    .filter_map(|n| reader::folder_meta(s, &account, n).ok().flatten())
                    .map(|m| m.total)
                    .sum::<usize>()
            })
        })
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or(0)
}

#[derive(Serialize)]
struct Row<'a> {
    uid: u32,
    depth: u8,
    #[serde(flatten)]
    envelope: &'a Envelope,
}

#[derive(Serialize)]
struct Listing<'a> {
    account: &'a str,
    folder: &'a str,
    total: usize,
    unread: usize,
    synced_at: Option<i64>,
    offline: bool,
    status: Option<AccountStatus>,
    messages: Vec<Row<'a>>,
}

fn flag_marks(e: &Envelope) -> String {
    let f = &e.flags;
    [
        if f.seen { ' ' } else { 'N' },
        if f.flagged { '!' } else { ' ' },
        if f.answered { 'r' } else { ' ' },
        if e.has_attachment { '@' } else { ' ' },
        if e.receipt_requested { '?' } else { ' ' },
    ]
    .iter()
    .collect()
}

fn list(args: &ListArgs, ctx: &MailboxContext<'_>, out: &mut dyn Write) -> Result<u8> {
    let account = accounts(ctx.settings, args.account.as_deref(), false)?
        .first()
        .map(|a| a.name.clone())
        .ok_or(MailboxError::NoAccount)?;
    let store = open_store(ctx, false)?;
    let (name, folder, limit) = (account.clone(), args.folder.clone(), args.limit);
    let (view, rows, status) = store.call(move |s| -> Result<_> {
        let Some(view) = reader::folder_view(s, &name, &folder, ViewOptions::default())? else {
            return Err(crate::mail::cache::Error::FolderNotCached { folder }.into());
        };
        let window: Vec<(u32, u8)> = view.rows.iter().take(limit).copied().collect();
        let uids: Vec<u32> = window.iter().map(|(u, _)| *u).collect();
        let envs = reader::summaries(s, &name, &folder, &uids)?;
        let depth: std::collections::HashMap<u32, u8> = window.into_iter().collect();
        let rows: Vec<(Envelope, u8)> = envs
            .into_iter()
            .map(|e| {
                let d = depth.get(&e.uid).copied().unwrap_or(0);
                (e, d)
            })
            .collect();
        Ok((view, rows, reader::status(s, &name)?))
    })??;
    let offline = status.as_ref().is_some_and(|s| !s.online);
    if args.json {
        let listing = Listing {
            account: &account,
            folder: &args.folder,
            total: view.meta.total,
            unread: view.meta.unread,
            synced_at: view.meta.synced_at,
            offline,
            status,
            messages: rows
                .iter()
                .map(|(e, d)| Row {
                    uid: e.uid,
                    depth: *d,
                    envelope: e,
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &listing)?;
        writeln!(out)?;
        return Ok(exit::OK);
    }
    let synced = view
        .meta
        .synced_at
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        })
        .unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "{} — {} message(s), {} unread — cache of {synced}{}",
        terminal_safe(&args.folder),
        view.meta.total,
        view.meta.unread,
        if offline {
            " — OFFLINE / HORS LIGNE"
        } else {
            ""
        }
    )?;
    for (e, depth) in &rows {
        let date = e
            .date
            .map(|d| ctx.labels.format_date(d))
            .unwrap_or_default();
        let from = e.sender().map(|a| a.display_name()).unwrap_or("");
        let indent = "  ".repeat(usize::from(*depth).min(10));
        let line = format!(
            "{:>7} {} {date:<16} {:<24.24} {indent}{}",
            e.uid,
            flag_marks(e),
            from,
            e.subject
        );
        writeln!(out, "{}", terminal_safe(&line))?;
    }
    Ok(exit::OK)
}

/// Queues (durably) and applies to the cache a change made without a session.
fn queue_offline(store: &StoreHandle, account: &str, folder: &str, uid: u32) -> Result<()> {
    let cache = StoreSyncCache::new(store.clone(), account, CacheOptions::default());
    let seen = Flags::of([Flags::SEEN]);
    cache.apply_local_flags(folder, &[uid], &seen, &Flags::default())?;
    let uid_validity = cache.uid_validity(folder)?.unwrap_or(0);
    let op = PendingOp::new(
        folder,
        uid_validity,
        OpKind::SetFlags {
            uids: vec![uid],
            add: seen,
            remove: Flags::default(),
        },
    );
    StoreOpQueue::new(store.clone(), account)
        .push(op)
        .map_err(|source| ImapError::Cache { source })?;
    Ok(())
}

#[derive(Serialize)]
struct ReadOut<'a> {
    folder: &'a str,
    #[serde(flatten)]
    envelope: &'a Envelope,
    text: String,
}

fn read(args: &ReadArgs, ctx: &MailboxContext<'_>, out: &mut dyn Write) -> Result<u8> {
    let entry = *accounts(ctx.settings, args.account.as_deref(), false)?
        .first()
        .ok_or(MailboxError::NoAccount)?;
    let account = entry.name.clone();
    let store = open_store(ctx, false)?;
    let (name, folder, uid) = (account.clone(), args.folder.clone(), args.uid);
    let (envelope, body) = store.call(move |s| -> Result<_> {
        if reader::folder_meta(s, &name, &folder)?.is_none() {
            return Err(crate::mail::cache::Error::FolderNotCached { folder }.into());
        }
        let env = reader::summaries(s, &name, &folder, &[uid])?
            .into_iter()
            .next()
            .ok_or(crate::mail::cache::Error::NoSuchMessage {
                folder: folder.clone(),
                uid,
            })?;
        Ok((env, reader::cached_body(s, &name, &folder, uid)?))
    })??;
    let mut session = None;
    let raw: zeroize::Zeroizing<Vec<u8>> = match body {
        Some(b) => b,
        None => {
            let rt = runtime()?;
            let fetched = rt.block_on(async {
                let (service, _events) = connect_service(ctx, entry, &store).await?;
                let body = service.body(&args.folder, args.uid).await;
                Ok::<_, MailboxError>((service, body))
            });
            match fetched {
                Ok((service, Ok(Some(b)))) => {
                    session = Some((rt, service));
                    zeroize::Zeroizing::new(b)
                }
                Ok((service, Ok(None))) => {
                    rt.block_on(service.shutdown());
                    return Err(crate::mail::cache::Error::NoSuchMessage {
                        folder: args.folder.clone(),
                        uid: args.uid,
                    }
                    .into());
                }
                Ok((service, Err(e))) => {
                    rt.block_on(service.shutdown());
                    return Err(e.into());
                }
                Err(MailboxError::Offline { reason }) => {
                    return Err(crate::mail::cache::Error::BodyOffline {
                        uid: args.uid,
                        reason,
                    }
                    .into());
                }
                Err(e) => return Err(e),
            }
        }
    };
    // Reading marks the message read: now if a session is open, else queued.
    if !envelope.flags.seen {
        match &session {
            Some((rt, service)) => {
                rt.block_on(service.set_flags(
                    &args.folder,
                    &[args.uid],
                    Flags::of([Flags::SEEN]),
                    Flags::default(),
                ))?;
            }
            None => queue_offline(&store, &account, &args.folder, args.uid)?,
        }
    }
    if let Some((rt, service)) = session {
        rt.block_on(service.shutdown());
    }
    let event = crate::mail::cache::audit::event_for_read(
        &account,
        args.uid,
        envelope.message_id.as_deref(),
    );
    store.call(move |s| crate::mail::cache::audit::record(s, &event))?;
    if args.raw {
        out.write_all(&raw)?;
        return Ok(exit::OK);
    }
    let message = parse_message(&raw, &Limits::default())
        .map_err(|_| crate::mail::cache::Error::Corrupt { what: "message" })?;
    let options = RenderOptions {
        headers: HeaderBlock::Summary,
        prefer: Preference::Plain,
        html_width: 78,
        labels: ctx.labels,
    };
    let text = render_message(&message, &options).to_plain_string(78);
    if args.json {
        let r = ReadOut {
            folder: &args.folder,
            envelope: &envelope,
            text,
        };
        serde_json::to_writer_pretty(&mut *out, &r)?;
        writeln!(out)?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    Ok(exit::OK)
}

#[derive(Serialize)]
struct Hit<'a> {
    folder: &'a str,
    #[serde(flatten)]
    envelope: &'a Envelope,
}

fn search(args: &SearchArgs, ctx: &MailboxContext<'_>, out: &mut dyn Write) -> Result<u8> {
    let account = accounts(ctx.settings, args.account.as_deref(), false)?
        .first()
        .map(|a| a.name.clone())
        .ok_or(MailboxError::NoAccount)?;
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let query = crate::mail::search::parse_query_at(&args.query, offset)
        .or_else(|_| parse_query(&args.query))?;
    let store = open_store(ctx, false)?;
    let only = args.folder.clone();
    let hits: Vec<(String, Envelope)> = store.call(move |s| -> Result<_> {
        let folders: Vec<String> = match only {
            Some(f) => vec![f],
            None => {
                let listed = reader::folders(s, &account)?;
                if listed.is_empty() {
                    vec!["INBOX".to_string()]
                } else {
                    listed.into_iter().map(|f| f.name).collect()
                }
            }
        };
        let mut hits = Vec::new();
        for f in folders {
            if reader::folder_meta(s, &account, &f)?.is_none() {
                continue;
            }
            let mut uids = reader::search(s, &account, &f, &query)?;
            uids.reverse();
            for e in reader::summaries(s, &account, &f, &uids)? {
                hits.push((f.clone(), e));
            }
        }
        Ok(hits)
    })??;
    if args.json {
        let list: Vec<Hit<'_>> = hits
            .iter()
            .map(|(f, e)| Hit {
                folder: f,
                envelope: e,
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
    } else {
        for (f, e) in &hits {
            let date = e
                .date
                .map(|d| ctx.labels.format_date(d))
                .unwrap_or_default();
            let from = e.sender().map(|a| a.display_name()).unwrap_or("");
            let line = format!("{f} {:>7} {date:<16} {:<24.24} {}", e.uid, from, e.subject);
            writeln!(out, "{}", terminal_safe(&line))?;
        }
    }
    Ok(exit::OK)
}
