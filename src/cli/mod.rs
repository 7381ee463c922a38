//! Command-line interface: clap definitions shared by `main`, the shell
//! completions and the man page. Each domain has its own file with its
//! subcommands and a `run` function; `main.rs` only dispatches.

pub mod audit;
pub mod card;
pub mod card_provider;
pub mod directory;
pub mod imap;
pub mod mail_wire;
pub mod mailbox;
pub mod message;
pub mod receipts;
pub mod records;
pub mod send;
pub mod send_flow;
pub mod store;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes every command follows.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CARD: u8 = 3;
    pub const NETWORK: u8 = 4;
}

#[derive(Debug, Parser)]
#[command(
    name = "cachet",
    version,
    about = "Poste de travail en terminal pour les professionnels de santé : MSSanté, Annuaire Santé, DMP, carte CPS.",
    long_about = "Cachet: a terminal workstation for French health professionals. Secure mail (MSSanté), the national \
                  directory (Annuaire Santé), the shared patient record (DMP), CPS smart-card login, and an encrypted \
                  cache for offline work.\n\nWithout a subcommand, opens the terminal interface.\n\nExit codes: 0 \
                  success, 1 error, 2 usage, 3 card or PIN problem, 4 network or server problem."
)]
pub struct Cli {
    /// Settings file instead of the XDG one (~/.config/cachet/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of practitioner profiles instead of the XDG one.
    #[arg(long, global = true, value_name = "DIR")]
    pub profile_dir: Option<PathBuf>,
    /// Read the card's PIN from this file descriptor instead of the terminal.
    #[arg(long, global = true, value_name = "N")]
    pub pin_fd: Option<u32>,
    /// Interface language (default: from the settings, then the locale; French otherwise).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Fr,
    En,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Open the interface on generated demo data, with no server and no card.
    Demo {
        /// Seed of the generated data (the same seed gives the same mailbox).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Check or explain the settings file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The CPS card: status, PIN check, and the simulator for tests and development.
    #[command(subcommand)]
    Card(card::CardCommand),
    /// The Annuaire Santé directory: import the extraction files, search, statistics.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// IMAP accounts: check the connection, list folders, sync (not yet into the store).
    #[command(subcommand)]
    Imap(imap::ImapCommand),
    /// Sync the mailbox of one or every account into the encrypted cache.
    Sync(mailbox::SyncArgs),
    /// List a cached folder, newest conversation first (offline, from the cache).
    List(mailbox::ListArgs),
    /// Show a message (from the cache; fetched when online if not cached yet).
    Read(mailbox::ReadArgs),
    /// Search the cached mail (offline): from: to: subject: body: date:A..B.
    Search(mailbox::SearchArgs),
    /// Read, thread and search raw messages (files), offline.
    #[command(subcommand)]
    Message(message::MessageCommand),
    /// The encrypted store of the card holder's profile.
    #[command(subcommand)]
    Store(store::StoreCmd),
    /// Practitioner profiles: create, re-wrap to a renewed card, recover.
    #[command(subcommand)]
    Profile(store::ProfileCmd),
    /// The audit trail: verify, export, prune.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Send a message; its text is read from standard input.
    Send(send::SendArgs),
    /// The outbox: list, send what waits (--flush), retry, cancel, sent messages (--sent).
    Outbox(send::OutboxArgs),
    /// Match the read receipts and delivery reports received to the messages sent.
    Receipts(receipts::ReceiptsArgs),
    /// Answer a read-receipt request (asks first; never automatic).
    Mdn(receipts::MdnArgs),
    /// The shared patient record: render CDA/XDM documents, list a patient's documents.
    #[command(subcommand)]
    Records(records::RecordsCommand),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on standard output.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a settings file (default: the one Cachet would use).
    Check {
        /// The file to check.
        file: Option<PathBuf>,
    },
    /// Print a commented example settings file.
    Example,
    /// Print where Cachet reads and writes its files.
    Paths,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["cachet", "config", "check", "--config", "/tmp/c.toml"])
            .expect("parses");
        assert_eq!(cli.config, Some(PathBuf::from("/tmp/c.toml")));
        assert!(
            Cli::try_parse_from(["cachet", "--pin", "1234"]).is_err(),
            "no PIN argument exists"
        );
    }
}
