//! What `main` hands the mail commands (`send`, `outbox`, `receipts`,
//! `mdn`): the settings, the profile folder, the card seam, and for accounts
//! that log in with the card its TLS client certificate. Here they become
//! the encrypted store (opened with the card, like the other store
//! commands), the SMTP transport, the IMAP Sent check and filing, the
//! directory's trust space and the audit sink.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;

use crate::audit::AuditEvent;
use crate::cli::exit;
use crate::cli::send::{self, OutboxArgs, SendArgs, SendContext};
use crate::cli::send_flow::{AuditSink, SentFiler};
use crate::cli::store::{CardProvider, CardRole};
use crate::config::{Account, AuthMethod, Settings, TlsMode};
use crate::error::{ErrorKind, HasKind};
use crate::mail::compose::Envelope;
use crate::mail::compose::Mailbox;
use crate::mail::imap::ImapAccount;
use crate::mail::outbox::{
    ImapSent, Outbox, RetryPolicy, SendFailure, SentLog, SmtpTransport, StoreOutboxStore, Transport,
};
use crate::mail::smtp::{PasswordSource, Security, SmtpAuth, SmtpSettings, Timeouts};
use crate::records::ins::InsPolicy;
use crate::store::{Profiles, StoreHandle};

/// The mail commands, as `main` dispatches them.
#[derive(Debug)]
pub enum MailCommand {
    Send(SendArgs),
    Outbox(OutboxArgs),
    Receipts(crate::cli::receipts::ReceiptsArgs),
    Mdn(crate::cli::receipts::MdnArgs),
}

impl MailCommand {
    fn account(&self) -> Option<&str> {
        match self {
            MailCommand::Send(a) => a.account.as_deref(),
            MailCommand::Outbox(a) => a.account.as_deref(),
            MailCommand::Receipts(a) => a.account.as_deref(),
            MailCommand::Mdn(a) => a.account.as_deref(),
        }
    }
}

pub struct MailContext<'a> {
    pub settings: &'a Settings,
    pub profiles_root: PathBuf,
    /// The imported directory (for the trust space); absent: every domain is outside.
    pub directory_root: Option<PathBuf>,
    pub cards: &'a dyn CardProvider,
    pub client_auth: Option<Arc<dyn ResolvesClientCert>>,
    /// Unix seconds.
    pub now: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no account named \"{name}\" in the settings")]
    NoSuchAccount { name: String },
    #[error("the settings have no account")]
    NoAccount,
    #[error("account \"{account}\": {reason}")]
    Config { account: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Send(#[from] send::Error),
    #[error(transparent)]
    Imap(#[from] crate::mail::imap::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::NoSuchAccount { .. } | Error::NoAccount | Error::Config { .. } => {
                ErrorKind::Config
            }
            Error::Store(e) => e.kind(),
            Error::Send(e) => e.kind(),
            Error::Imap(e) => e.kind(),
            Error::Tls(_) => ErrorKind::Tls,
            Error::Runtime(_) => ErrorKind::Io,
        }
    }
}

/// The profile's audit trail through the store thread. An entry that
/// cannot be written is reported on stderr (the action already happened).
pub struct StoreAudit(pub StoreHandle);

impl AuditSink for StoreAudit {
    fn record(&self, event: AuditEvent) {
        let r = self
            .0
            .call(move |s| crate::audit::append(s, &event).map(|_| ()));
        if !matches!(r, Ok(Ok(()))) {
            eprintln!("cachet: the audit trail could not record an event");
        }
    }
}

impl SentFiler for ImapSent {
    async fn file(&self, message_id: &str, bytes: &[u8]) -> Result<String, String> {
        self.append(message_id, bytes)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Everything opened for one command.
pub struct Opened {
    pub store: StoreHandle,
    pub account: Account,
    pub from: Mailbox,
    pub imap: ImapSent,
    pub smtp: Option<SmtpTransport>,
    pub directory: Option<crate::directory::Index>,
}

fn account<'a>(settings: &'a Settings, name: Option<&str>) -> Result<&'a Account, Error> {
    match name {
        Some(n) => settings
            .accounts
            .iter()
            .find(|a| a.name == n)
            .ok_or_else(|| Error::NoSuchAccount {
                name: n.to_string(),
            }),
        None => settings.accounts.first().ok_or(Error::NoAccount),
    }
}

/// The SMTP side of an account (`[account.smtp]`).
pub fn smtp_settings(account: &Account) -> Result<Option<SmtpSettings>, Error> {
    let Some(e) = &account.smtp else {
        return Ok(None);
    };
    let config = |reason: &str| Error::Config {
        account: account.name.clone(),
        reason: reason.to_string(),
    };
    let auth = match e.auth {
        AuthMethod::Card => SmtpAuth::Certificate,
        AuthMethod::Password => SmtpAuth::Password {
            user: e.user.clone().unwrap_or_else(|| account.address.clone()),
            secret: PasswordSource::Command(
                e.password_command
                    .clone()
                    .ok_or_else(|| config("smtp auth = \"password\" needs password_command"))?,
            ),
        },
        AuthMethod::Oauth => return Err(config("OAuth is not supported for SMTP yet")),
    };
    let hello_name = Mailbox::parse(&account.address)
        .map(|m| m.domain())
        .unwrap_or_else(|_| "localhost".into());
    Ok(Some(SmtpSettings {
        host: e.host.clone(),
        port: e.port,
        security: match e.tls {
            TlsMode::Implicit => Security::ImplicitTls,
            TlsMode::Starttls => Security::StartTls,
        },
        auth,
        hello_name,
        timeouts: Timeouts::default(),
    }))
}

/// Opens the store with the card, and the account's servers.
pub fn open(ctx: &MailContext<'_>, account_name: Option<&str>) -> Result<Opened, Error> {
    let account = account(ctx.settings, account_name)?.clone();
    let from = Mailbox::parse(&account.address).map_err(|e| Error::Config {
        account: account.name.clone(),
        reason: e.to_string(),
    })?;
    let tls = crate::tls::client_config(&crate::cli::imap::tls_options(
        ctx.settings,
        &account,
        ctx.client_auth.clone(),
    ))?;
    let imap = ImapSent {
        account: ImapAccount::from_settings(&account)?,
        tls: tls.clone(),
    };
    let smtp = smtp_settings(&account)?.map(|settings| SmtpTransport { settings, tls });
    let card = ctx.cards.card(CardRole::Current)?;
    let store = StoreHandle::spawn(Profiles::new(&ctx.profiles_root).open(card.as_ref())?)?;
    let directory = ctx
        .directory_root
        .as_ref()
        .and_then(|root| crate::directory::Index::open(root).ok());
    Ok(Opened {
        store,
        account,
        from,
        imap,
        smtp,
        directory,
    })
}

/// Runs one mail command; returns the exit code.
pub fn run(
    cmd: MailCommand,
    ctx: &MailContext<'_>,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let opened = open(ctx, cmd.account())?;
    runtime.block_on(run_opened(cmd, &opened, ctx.now, stdin, out, err))
}

async fn run_opened(
    cmd: MailCommand,
    opened: &Opened,
    now: i64,
    stdin: impl Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let audit = StoreAudit(opened.store.clone());
    let log = SentLog::new(opened.store.clone());
    let outbox = Outbox::new(
        StoreOutboxStore::new(opened.store.clone()),
        RetryPolicy::default(),
        false,
    );
    let directory = opened.directory.as_ref();
    let known = move |d: &str| directory.is_some_and(|i| i.is_mssante_domain(d));
    let transport = AccountTransport(opened.smtp.clone());
    if opened.smtp.is_none() && needs_smtp(&cmd) {
        return Err(Error::Config {
            account: opened.account.name.clone(),
            reason: "no [account.smtp] section: cannot send".into(),
        });
    }
    let ctx = SendContext {
        outbox: &outbox,
        transport: &transport,
        checker: &opened.imap,
        filer: &opened.imap,
        sent_log: Some(&log),
        audit: &audit,
        is_mssante_domain: &known,
        from: opened.from.clone(),
        signature: opened.account.signature.clone(),
        ins_policy: InsPolicy::default(),
        now,
    };
    Ok(match cmd {
        MailCommand::Send(a) => send::send(a, &ctx, stdin, out, err).await?,
        MailCommand::Outbox(a) => send::outbox(a, &ctx, out, err).await?,
        MailCommand::Receipts(a) => crate::cli::receipts::receipts(a, &ctx, opened, out).await?,
        MailCommand::Mdn(a) => {
            crate::cli::receipts::answer(a, &ctx, opened, stdin, out, err).await?
        }
    })
}

fn needs_smtp(cmd: &MailCommand) -> bool {
    match cmd {
        MailCommand::Send(_) | MailCommand::Mdn(_) => true,
        MailCommand::Outbox(a) => a.flush || a.retry.is_some(),
        MailCommand::Receipts(_) => false,
    }
}

/// The account's SMTP transport, if it has one (listings need none).
pub struct AccountTransport(pub Option<SmtpTransport>);

impl Transport for AccountTransport {
    async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<String, SendFailure> {
        match &self.0 {
            Some(t) => t.send(envelope, bytes).await,
            None => Err(SendFailure {
                permanent: false,
                outcome_unknown: false,
                kind: ErrorKind::Config,
                reason: "the account has no SMTP server".into(),
            }),
        }
    }
}

/// Exit code of an error of this module.
pub fn exit_code(e: &Error) -> u8 {
    match e {
        Error::NoSuchAccount { .. } | Error::NoAccount => exit::USAGE,
        e => e.kind().exit_code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(smtp: &str) -> Settings {
        let text = format!(
            "[[account]]\nname = \"a\"\naddress = \"alice@cabinet.mssante.fr\"\n[account.imap]\nhost = \"imap.test\"\nport = 993\ntls = \"implicit\"\nauth = \"card\"\n{smtp}"
        );
        Settings::parse(&text, "config.toml").unwrap()
    }

    #[test]
    fn smtp_settings_follow_the_account() {
        let s = settings(
            "[account.smtp]\nhost = \"smtp.test\"\nport = 587\ntls = \"starttls\"\nauth = \"password\"\nuser = \"alice\"\npassword_command = \"pass smtp\"\n",
        );
        let smtp = smtp_settings(&s.accounts[0]).unwrap().unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("smtp.test", 587));
        assert_eq!(smtp.security, Security::StartTls);
        assert_eq!(smtp.hello_name, "cabinet.mssante.fr");
        assert!(matches!(
            smtp.auth,
            SmtpAuth::Password { ref user, secret: PasswordSource::Command(ref c) }
                if user == "alice" && c == "pass smtp"
        ));
        let s = settings(
            "[account.smtp]\nhost = \"smtp.test\"\nport = 465\ntls = \"implicit\"\nauth = \"card\"\n",
        );
        let smtp = smtp_settings(&s.accounts[0]).unwrap().unwrap();
        assert!(matches!(smtp.auth, SmtpAuth::Certificate));
        assert_eq!(smtp.security, Security::ImplicitTls);
        assert!(smtp_settings(&settings("").accounts[0]).unwrap().is_none());
    }

    #[test]
    fn listing_needs_no_smtp_but_sending_does() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["cachet", "outbox", "--json"]).unwrap();
        let Some(crate::cli::Commands::Outbox(a)) = cli.command else {
            unreachable!()
        };
        assert!(!needs_smtp(&MailCommand::Outbox(a)));
        let cli = crate::cli::Cli::try_parse_from(["cachet", "outbox", "--flush"]).unwrap();
        let Some(crate::cli::Commands::Outbox(a)) = cli.command else {
            unreachable!()
        };
        assert!(needs_smtp(&MailCommand::Outbox(a)));
        assert_eq!(exit_code(&Error::NoAccount), exit::USAGE);
        assert!(matches!(
            account(&Settings::default(), None),
            Err(Error::NoAccount)
        ));
    }
}
