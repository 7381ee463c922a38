//! `cachet store verify`, `cachet profile create|rewrap|recover`.
//!
//! The card comes from a [`CardProvider`] that `main` plugs in (the PC/SC
//! card after PIN entry; the software key in tests and the demo), so these
//! commands never see a PIN. Output goes to the writer given by the caller;
//! failures are returned as [`Error`], whose one-sentence `Display` goes to
//! stderr and whose kind gives the exit code. Rewrap and recover are traced
//! in the profile's audit trail.

use std::io::{Read, Write};
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::audit::{self, Action, AuditEvent, Outcome, Target};
use crate::error::{ErrorKind, HasKind};
use crate::store::{CreateOptions, KeyUnwrapper, Profiles, RecoveryCode};

/// Which card the command needs now (for the prompt: "insert your new card").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRole {
    /// The card of the session.
    Current,
    /// The card being replaced.
    Old,
    /// The replacement card.
    New,
}

/// Supplies unlocked cards; the card module implements it over PC/SC.
pub trait CardProvider {
    fn card(&self, role: CardRole) -> Result<Box<dyn KeyUnwrapper>, crate::store::Error>;
}

/// What `main` resolved before dispatching.
#[derive(Debug, Clone)]
pub struct StoreContext {
    /// `--profile-dir`, else `Profiles::default_root()`.
    pub profiles_root: PathBuf,
}

#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
    /// Check that every stored value decrypts and authenticates, that the
    /// indexes are consistent and that the audit chain is intact.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ProfileCmd {
    /// Create the profile of the inserted card's holder.
    Create {
        /// Do not create a recovery code (a lost card then loses the cache).
        #[arg(long)]
        no_recovery_code: bool,
    },
    /// Card renewal: move the profile from the old card to the new one.
    Rewrap,
    /// Lost card: move the profile to a new card with the recovery code.
    Recover {
        /// Read the recovery code from this file descriptor instead of the terminal.
        #[arg(long, value_name = "N")]
        code_fd: Option<u32>,
    },
}

/// Failures of the store and profile commands.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Audit(#[from] crate::audit::Error),
    #[error("cannot write the output")]
    Output(#[source] std::io::Error),
    #[error("cannot read the recovery code")]
    ReadCode(#[source] std::io::Error),
    #[error("verification failed: {problems} problem(s) found")]
    VerifyFailed { problems: usize },
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Store(e) => e.kind(),
            Error::Audit(e) => e.kind(),
            Error::Output(_) | Error::ReadCode(_) => ErrorKind::Io,
            Error::VerifyFailed { .. } => ErrorKind::Integrity,
        }
    }
}

fn out_err(e: std::io::Error) -> Error {
    Error::Output(e)
}

/// Runs `cachet store ...`; returns the exit code (0 when all is well).
pub fn run_store(
    cmd: &StoreCmd,
    ctx: &StoreContext,
    cards: &dyn CardProvider,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    match cmd {
        StoreCmd::Verify { json } => {
            let card = cards.card(CardRole::Current)?;
            let store = Profiles::new(&ctx.profiles_root).open(card.as_ref())?;
            let report = store.verify()?;
            let trail = audit::verify(&store)?;
            if *json {
                let v = serde_json::json!({ "store": report, "audit": trail });
                writeln!(out, "{v}").map_err(out_err)?;
            } else {
                writeln!(out, "values checked: {}", report.values).map_err(out_err)?;
                for (tree, n) in &report.per_tree {
                    writeln!(out, "  {tree}: {n}").map_err(out_err)?;
                }
                for p in &report.problems {
                    writeln!(out, "problem in {} at {}: {}", p.tree, p.key, p.what)
                        .map_err(out_err)?;
                }
                match &trail.fault {
                    None => writeln!(
                        out,
                        "audit trail: {} entries chained (pruned up to {})",
                        trail.entries, trail.pruned_upto
                    ),
                    Some(b) => writeln!(out, "audit trail broken: {b}"),
                }
                .map_err(out_err)?;
            }
            let problems = report.problem_count + usize::from(trail.fault.is_some());
            if problems > 0 {
                return Err(Error::VerifyFailed { problems });
            }
            Ok(0)
        }
    }
}

/// Runs `cachet profile ...`; returns the exit code.
pub fn run_profile(
    cmd: &ProfileCmd,
    ctx: &StoreContext,
    cards: &dyn CardProvider,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let profiles = Profiles::new(&ctx.profiles_root);
    match cmd {
        ProfileCmd::Create { no_recovery_code } => {
            let card = cards.card(CardRole::Current)?;
            let opts = CreateOptions {
                with_recovery_code: !no_recovery_code,
            };
            let (store, code) = profiles.create(card.as_ref(), opts)?;
            trace(&store, Action::ProfileCreate, "create profile")?;
            writeln!(out, "profile created").map_err(out_err)?;
            if let Some(code) = code {
                writeln!(
                    out,
                    "recovery code (shown once; write it down and keep it away from the card):\n\n    {}\n",
                    code.grouped().as_str()
                )
                .map_err(out_err)?;
            }
            Ok(0)
        }
        ProfileCmd::Rewrap => {
            let old = cards.card(CardRole::Old)?;
            let new = cards.card(CardRole::New)?;
            profiles.rewrap(old.as_ref(), new.as_ref())?;
            let store = profiles.open(new.as_ref())?;
            trace(&store, Action::ProfileRewrap, "rewrap data key to new card")?;
            writeln!(out, "the profile now opens with the new card").map_err(out_err)?;
            Ok(0)
        }
        ProfileCmd::Recover { code_fd } => {
            let typed = read_code(*code_fd)?;
            let code = RecoveryCode::parse(&typed)?;
            let new = cards.card(CardRole::New)?;
            profiles.recover(&code, new.as_ref())?;
            let store = profiles.open(new.as_ref())?;
            trace(
                &store,
                Action::ProfileRecover,
                "recover data key with recovery code",
            )?;
            writeln!(out, "the profile now opens with the new card").map_err(out_err)?;
            Ok(0)
        }
    }
}

fn trace(store: &crate::store::Store, action: Action, request: &str) -> Result<(), Error> {
    audit::append(
        store,
        &AuditEvent {
            action,
            target: Some(Target::Label {
                text: "profile".into(),
            }),
            request: request.into(),
            response: None,
            outcome: Outcome::Success,
        },
    )?;
    Ok(())
}

/// The recovery code from a file descriptor (`/dev/fd/N`, no unsafe) or the
/// terminal without echo.
fn read_code(fd: Option<u32>) -> Result<Zeroizing<String>, Error> {
    match fd {
        Some(n) => {
            let path = format!("/dev/fd/{n}");
            let mut s = Zeroizing::new(String::new());
            std::fs::File::open(&path)
                .and_then(|f| f.take(256).read_to_string(&mut s))
                .map_err(Error::ReadCode)?;
            Ok(s)
        }
        None => rpassword::prompt_password("Recovery code: ")
            .map(Zeroizing::new)
            .map_err(Error::ReadCode),
    }
}
