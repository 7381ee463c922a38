//! `cachet audit verify` and `cachet audit export --since DATE --format
//! jsonl|csv`. Exporting is itself traced in the trail before the file is
//! written. `cachet audit prune` applies the retention period. `DATE` is `YYYY-MM-DD` (midnight UTC) or RFC 3339.

use std::io::Write;
use std::path::PathBuf;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::store::{CardProvider, CardRole, Error, StoreContext};
use crate::audit::{self, Action, AuditEvent, ExportFormat, Outcome, Target};
use crate::store::Profiles;

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// Check the hash chain: detects changed, removed or reordered entries.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export entries (oldest first) to standard output or a file.
    Export {
        /// Only entries at or after this date (YYYY-MM-DD or RFC 3339).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<OffsetDateTime>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Remove entries older than the retention period; the rest stays verifiable.
    Prune {
        /// Days to keep (default: 6 months, as recommended for MSSanté traces).
        #[arg(long, value_name = "DAYS", default_value_t = audit::DEFAULT_RETENTION_DAYS)]
        retention_days: u32,
    },
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_date(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD or RFC 3339)"))
}

/// Runs `cachet audit ...`; returns the exit code.
pub fn run(
    cmd: &AuditCmd,
    ctx: &StoreContext,
    cards: &dyn CardProvider,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let card = cards.card(CardRole::Current)?;
    let store = Profiles::new(&ctx.profiles_root).open(card.as_ref())?;
    match cmd {
        AuditCmd::Verify { json } => {
            let r = audit::verify(&store)?;
            if *json {
                writeln!(out, "{}", serde_json::json!(r)).map_err(Error::Output)?;
            } else {
                match &r.fault {
                    None => writeln!(
                        out,
                        "audit trail intact: {} entries (pruned up to {})",
                        r.entries, r.pruned_upto
                    ),
                    Some(b) => writeln!(out, "audit trail broken: {b}"),
                }
                .map_err(Error::Output)?;
            }
            match r.fault {
                None => Ok(0),
                Some(_) => Err(Error::VerifyFailed { problems: 1 }),
            }
        }
        AuditCmd::Export {
            since,
            format,
            output,
        } => {
            let since_text = since
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_else(|| "beginning".into());
            audit::append(
                &store,
                &AuditEvent {
                    action: Action::Export,
                    target: Some(Target::Label {
                        text: "audit".into(),
                    }),
                    request: format!("audit export since {since_text} as {format:?}"),
                    response: None,
                    outcome: Outcome::Success,
                },
            )?;
            match output {
                Some(path) => {
                    let mut f = std::io::BufWriter::new(
                        std::fs::File::create(path).map_err(Error::Output)?,
                    );
                    audit::export(&store, *since, *format, &mut f)?;
                }
                None => {
                    audit::export(&store, *since, *format, out)?;
                }
            }
            Ok(0)
        }
        AuditCmd::Prune { retention_days } => {
            let retention = audit::Retention {
                days: *retention_days,
            };
            let removed = audit::apply_retention(&store, retention, OffsetDateTime::now_utc())?;
            writeln!(
                out,
                "{removed} entries older than {retention_days} days removed"
            )
            .map_err(Error::Output)?;
            Ok(0)
        }
    }
}
