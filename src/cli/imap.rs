//! `cachet imap ...`: check an account's IMAP login, list its folders, sync a folder once.
//! Headless helpers for setting up and diagnosing an account; the TUI uses the same
//! `mail::imap` calls. The card's client-certificate resolver is passed in by `main`
//! (it owns the card), so this file never touches the card.
//!
//! Trust: an account is treated as MSSanté (only the configured anchors, never the
//! public roots) when it logs in with the card or its host is under `mssante.fr`.

use std::sync::Arc;

use clap::Subcommand;
use rustls::client::ResolvesClientCert;
use serde::Serialize;

use crate::cli::exit;
use crate::config::Settings;
use crate::error::HasKind;
use crate::mail::imap::memory::MemoryCache;
use crate::mail::imap::sync::{SyncOptions, sync_folder};
use crate::mail::imap::{Error, ImapAccount, connect};
use crate::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy, client_config};

#[derive(Debug, Subcommand)]
pub enum ImapCommand {
    /// Connect and log in, then print what the server offers.
    Check {
        /// Account name (default: the first account).
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List folders with their roles and counts.
    Folders {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Sync one folder's envelopes into memory and print what was fetched (nothing is
    /// written to disk).
    Sync {
        folder: String,
        #[arg(long)]
        account: Option<String>,
        /// Envelopes per FETCH.
        #[arg(long, default_value_t = 200)]
        batch_size: usize,
        #[arg(long)]
        json: bool,
    },
}

/// What can stop an `imap` command.
#[derive(Debug, thiserror::Error)]
pub enum ImapCliError {
    #[error("no account named \"{name}\" in the settings")]
    NoSuchAccount { name: String },
    #[error("the settings have no account")]
    NoAccount,
    #[error(transparent)]
    Imap(#[from] Error),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl ImapCliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ImapCliError::Imap(e) => e.kind().exit_code(),
            ImapCliError::NoSuchAccount { .. } | ImapCliError::NoAccount => exit::USAGE,
            ImapCliError::Runtime(_) => exit::ERROR,
        }
    }
}

fn account<'a>(
    settings: &'a Settings,
    name: Option<&str>,
) -> Result<&'a crate::config::Account, ImapCliError> {
    match name {
        Some(n) => settings
            .accounts
            .iter()
            .find(|a| a.name == n)
            .ok_or_else(|| ImapCliError::NoSuchAccount {
                name: n.to_string(),
            }),
        None => settings.accounts.first().ok_or(ImapCliError::NoAccount),
    }
}

/// The TLS options for an account (see the module note on MSSanté trust).
pub fn tls_options(
    settings: &Settings,
    account: &crate::config::Account,
    client_auth: Option<Arc<dyn ResolvesClientCert>>,
) -> TlsOptions {
    let mut anchors: Vec<AnchorSource> = settings
        .trust
        .anchors
        .iter()
        .map(|p| AnchorSource::PemFile(p.clone()))
        .collect();
    let host = account.imap.host.to_ascii_lowercase();
    let mssante = account.imap.auth == crate::config::AuthMethod::Card
        || host == "mssante.fr"
        || host.ends_with(".mssante.fr");
    TlsOptions {
        trust: if mssante {
            if settings.trust.uses_builtin_igc_sante() {
                anchors.push(AnchorSource::IgcSanteProduction);
            }
            TrustPolicy::ConfiguredOnly { anchors }
        } else {
            TrustPolicy::PublicRoots { extra: anchors }
        },
        versions: TlsVersions::default(),
        client_auth,
    }
}

#[derive(Serialize)]
struct CheckReport {
    host: String,
    port: u16,
    capabilities: Vec<String>,
    qresync: bool,
    condstore: bool,
}

/// Runs one `imap` subcommand; returns the exit code.
pub fn run(
    cmd: ImapCommand,
    settings: &Settings,
    client_auth: Option<Arc<dyn ResolvesClientCert>>,
) -> Result<u8, ImapCliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ImapCliError::Runtime)?;
    runtime.block_on(run_async(cmd, settings, client_auth))
}

async fn run_async(
    cmd: ImapCommand,
    settings: &Settings,
    client_auth: Option<Arc<dyn ResolvesClientCert>>,
) -> Result<u8, ImapCliError> {
    let name = match &cmd {
        ImapCommand::Check { account, .. }
        | ImapCommand::Folders { account, .. }
        | ImapCommand::Sync { account, .. } => account.clone(),
    };
    let entry = account(settings, name.as_deref())?;
    let imap = ImapAccount::from_settings(entry)?;
    let tls = client_config(&tls_options(settings, entry, client_auth)).map_err(Error::from)?;
    let mut conn = connect(&imap, tls).await?;
    match cmd {
        ImapCommand::Check { json, .. } => {
            let report = CheckReport {
                host: imap.host.clone(),
                port: imap.port,
                capabilities: conn.capabilities().0.iter().cloned().collect(),
                qresync: conn.has_qresync(),
                condstore: conn.has_condstore(),
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                println!(
                    "{}:{}: logged in over TLS; QRESYNC {}, CONDSTORE {}",
                    report.host,
                    report.port,
                    yes_no(report.qresync),
                    yes_no(report.condstore)
                );
            }
        }
        ImapCommand::Folders { json, .. } => {
            let folders = conn.list_folders(true).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&folders).unwrap_or_default()
                );
            } else {
                for f in folders {
                    let role = f.special_use.map(|r| format!("{r:?}")).unwrap_or_default();
                    let (messages, unseen) = f.status.map_or((0, 0), |s| (s.messages, s.unseen));
                    println!("{:<30} {:<8} {messages:>7} {unseen:>7}", f.name, role);
                }
            }
        }
        ImapCommand::Sync {
            folder,
            batch_size,
            json,
            ..
        } => {
            let mut cache = MemoryCache::default();
            let mut progress = |p: crate::mail::imap::sync::SyncProgress| {
                if !json {
                    eprintln!("{}: {}/{}", p.folder, p.fetched, p.total);
                }
            };
            let report = sync_folder(
                &mut conn,
                &mut cache,
                &folder,
                SyncOptions {
                    batch_size,
                    ..SyncOptions::default()
                },
                &mut progress,
            )
            .await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                println!(
                    "{}: {} new, {} flag changes, {} expunged ({:?})",
                    report.folder,
                    report.new,
                    report.flag_changes,
                    report.expunged,
                    report.strategy
                );
            }
        }
    }
    conn.logout().await;
    Ok(exit::OK)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(host: &str, auth: &str) -> Settings {
        let text = format!(
            "[trust]\nanchors = [\"/etc/igc.pem\"]\n[[account]]\nname = \"a\"\naddress = \"a@b.test\"\n[account.imap]\nhost = \"{host}\"\nport = 993\ntls = \"implicit\"\nauth = \"{auth}\"\nuser = \"a\"\npassword_command = \"true\"\noauth_token_command = \"true\"\n"
        );
        Settings::parse(&text, "config.toml").unwrap()
    }

    #[test]
    fn mssante_accounts_trust_only_the_configured_anchors_and_igc_sante() {
        let anchors = vec![AnchorSource::PemFile("/etc/igc.pem".into())];
        let with_igc = vec![
            AnchorSource::PemFile("/etc/igc.pem".into()),
            AnchorSource::IgcSanteProduction,
        ];
        for (host, auth) in [
            ("imap.x.mssante.fr", "password"),
            ("imap.example.test", "card"),
        ] {
            let s = settings(host, auth);
            let t = tls_options(&s, &s.accounts[0], None);
            assert_eq!(
                t.trust,
                TrustPolicy::ConfiguredOnly {
                    anchors: with_igc.clone()
                }
            );
            let mut s = s;
            s.trust.builtin_igc_sante = Some(false);
            let t = tls_options(&s, &s.accounts[0], None);
            assert_eq!(
                t.trust,
                TrustPolicy::ConfiguredOnly {
                    anchors: anchors.clone()
                }
            );
        }
        let s = settings("imap.example.test", "password");
        let t = tls_options(&s, &s.accounts[0], None);
        assert_eq!(t.trust, TrustPolicy::PublicRoots { extra: anchors });
        // a look-alike domain is not MSSanté
        let s = settings("imap.notmssante.fr", "oauth");
        assert!(matches!(
            tls_options(&s, &s.accounts[0], None).trust,
            TrustPolicy::PublicRoots { .. }
        ));
    }

    #[test]
    fn unknown_accounts_are_usage_errors() {
        let s = settings("h", "password");
        let e = run(
            ImapCommand::Check {
                account: Some("nope".into()),
                json: false,
            },
            &s,
            None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), exit::USAGE);
        assert!(e.to_string().contains("nope"));
        let empty = Settings::default();
        let e = run(
            ImapCommand::Folders {
                account: None,
                json: true,
            },
            &empty,
            None,
        )
        .unwrap_err();
        assert!(matches!(e, ImapCliError::NoAccount));
    }
}
