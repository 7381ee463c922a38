//! `cachet directory …`: import extractions, search, statistics, generator.
//!
//! The index lives in `<profile>/directory` (public open data, unencrypted).
//! Listing commands take `--json`; human output is sanitised for the terminal
//! because every field comes from outside. Errors are returned to `main`,
//! which prints one sentence and maps [`HasKind::kind`] to the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::directory::fhir::{ApiSettings, FhirClient, OnlineQuery, merge_online};
use crate::directory::generate::generate;
use crate::directory::import::{Phase, Progress};
use crate::directory::{Entry, Error, ImportOptions, Index, Origin, Query, import_files};
use crate::domain::text::terminal_safe;
use crate::error::HasKind;

#[derive(Debug, clap::Subcommand)]
pub enum DirectoryCommand {
    /// Import PS_LibreAcces_Personne_activite and Extraction_Correspondance_MSSante
    /// files (plain or zipped); together they replace the current index.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the import report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search the directory (name, RPPS/ADELI/IDNPS, MSSanté address or @domain).
    Search {
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
        /// Profession code or label ("10", "médecin").
        #[arg(long)]
        profession: Option<String>,
        /// Savoir-faire code or label word ("SM04", "cardio").
        #[arg(long)]
        speciality: Option<String>,
        #[arg(long)]
        city: Option<String>,
        #[arg(long)]
        postcode: Option<String>,
        /// Department code ("75", "2A", "971").
        #[arg(long = "dept")]
        department: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Also ask the Annuaire Santé FHIR API (needs `esante_api_key`).
        #[arg(long)]
        online: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show what the current index holds.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Write synthetic extraction files (56-column activities + MSSanté mailboxes).
    Generate {
        #[arg(long)]
        rows: u64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What the directory commands need from the application settings.
#[derive(Debug, Clone)]
pub struct DirectoryContext {
    /// Folder of the index (`<profile>/directory`).
    pub index_root: PathBuf,
    /// API settings when configured; `--online` needs them.
    pub api: Option<ApiSettings>,
}

impl DirectoryContext {
    pub fn for_profile(profile_dir: &std::path::Path, api: Option<ApiSettings>) -> Self {
        DirectoryContext {
            index_root: profile_dir.join("directory"),
            api,
        }
    }
}

/// Runs one command; `Ok` carries the exit code (0, or 4 when the online part
/// failed but local results were shown).
pub fn run(cmd: DirectoryCommand, ctx: &DirectoryContext) -> Result<u8, Error> {
    match cmd {
        DirectoryCommand::Import { files, json } => import(ctx, &files, json),
        DirectoryCommand::Search {
            query,
            profession,
            speciality,
            city,
            postcode,
            department,
            limit,
            online,
            json,
        } => {
            let q = Query {
                text: query.join(" "),
                profession,
                speciality,
                city,
                postcode,
                department,
                with_mailbox: false,
                limit,
            };
            search(ctx, &q, online, json)
        }
        DirectoryCommand::Stats { json } => stats(ctx, json),
        DirectoryCommand::Generate { rows, out, seed } => {
            let g = generate(rows, seed, &out)?;
            println!(
                "{} activity rows ({} practitioners) in {}\n{} mailbox rows in {}",
                g.activity_rows,
                g.practitioners,
                g.activity_file.display(),
                g.mailbox_rows,
                g.mailbox_file.display()
            );
            Ok(0)
        }
    }
}

fn import(ctx: &DirectoryContext, files: &[PathBuf], json: bool) -> Result<u8, Error> {
    let tty = std::io::stderr().is_terminal();
    let mut last = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let started = Instant::now();
    let mut bar = |p: &Progress| {
        if !tty || (p.phase == Phase::Reading && last.elapsed() < Duration::from_millis(100)) {
            return;
        }
        last = Instant::now();
        let line = match p.phase {
            Phase::Reading => {
                let pct = (p.bytes_read * 100)
                    .checked_div(p.bytes_total)
                    .unwrap_or(0)
                    .min(100);
                let filled = (pct / 5) as usize;
                format!(
                    "file {}/{} [{}{}] {pct:>3}% {} rows",
                    p.file + 1,
                    p.files,
                    "#".repeat(filled),
                    "-".repeat(20 - filled),
                    p.rows
                )
            }
            Phase::Indexing => format!("indexing {} rows…", p.rows),
            Phase::Done => String::new(),
        };
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K{line}");
        if p.phase == Phase::Done {
            let _ = writeln!(err);
        }
    };
    let report = import_files(&ctx.index_root, files, &ImportOptions::default(), &mut bar)?;
    if json {
        let malformed: Vec<_> = report
            .malformed
            .iter()
            .map(|m| {
                serde_json::json!({"file": m.file.display().to_string(), "line": m.line, "reason": m.reason})
            })
            .collect();
        let v = serde_json::json!({
            "stats": report.stats,
            "activity_rows": report.activity_rows,
            "mailbox_rows": report.mailbox_rows,
            "duplicate_mailboxes_merged": report.duplicate_mailboxes_merged,
            "latin1_lines": report.latin1_lines,
            "columns": report.columns,
            "malformed_total": report.malformed_total,
            "malformed": malformed,
            "seconds": started.elapsed().as_secs_f64(),
        });
        println!("{v:#}");
    } else {
        println!(
            "Imported {} activity rows and {} mailbox rows in {:.1} s: {} entries, {} mailboxes, {} domains.",
            report.activity_rows,
            report.mailbox_rows,
            started.elapsed().as_secs_f64(),
            report.stats.entries,
            report.stats.mailboxes,
            report.stats.domains
        );
        if report.latin1_lines > 0 {
            println!("{} lines were read as latin-1.", report.latin1_lines);
        }
        if report.malformed_total > 0 {
            println!("{} malformed lines were skipped:", report.malformed_total);
            for m in &report.malformed {
                println!(
                    "  {}:{}: {}",
                    terminal_safe(&m.file.display().to_string()),
                    m.line,
                    terminal_safe(&m.reason)
                );
            }
            let hidden = report.malformed_total - report.malformed.len() as u64;
            if hidden > 0 {
                println!("  … and {hidden} more");
            }
        }
    }
    Ok(0)
}

fn search(ctx: &DirectoryContext, q: &Query, online: bool, json: bool) -> Result<u8, Error> {
    let index = Index::open(&ctx.index_root);
    let mut results = match (&index, online) {
        (Ok(ix), _) => ix.search(q)?,
        // Online only is still useful before the first import.
        (Err(Error::NoIndex(_)), true) => Vec::new(),
        (Err(_), _) => return index.map(|_| 0),
    };
    let mut code = 0;
    if online {
        let settings = ctx
            .api
            .clone()
            .ok_or_else(|| Error::ApiConfig("no Annuaire Santé API key is configured".into()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| Error::Read {
                path: PathBuf::from("<tokio runtime>"),
                source,
            })?;
        let fetched = runtime.block_on(async {
            let client = FhirClient::new(settings)?;
            client.search(&OnlineQuery::from_text(&q.text)).await
        });
        match fetched {
            Ok(found) => {
                let found = found.into_iter().filter(|e| q.filters_accept(e)).collect();
                results = merge_online(results, found);
            }
            Err(e) if !results.is_empty() => {
                eprintln!("Online search failed, local results only: {e}");
                code = e.kind().exit_code();
            }
            Err(e) => return Err(e),
        }
    }
    if json {
        println!("{:#}", serde_json::json!(results));
    } else if results.is_empty() {
        println!("No match.");
    } else {
        for e in &results {
            print_entry(e);
        }
    }
    Ok(code)
}

fn print_entry(e: &Entry) {
    let origin = match e.origin {
        Origin::Local => "",
        Origin::Online => "  [online]",
        Origin::Both => "  [local+online]",
    };
    let id = if e.idnps.is_empty() {
        String::new()
    } else {
        format!("  IDNPS {}", e.idnps)
    };
    println!("{}{id}{origin}", terminal_safe(&e.display_name()));
    for a in &e.activities {
        let mut parts = vec![a.profession.as_str()];
        for p in [&a.speciality, &a.structure] {
            if !p.is_empty() {
                parts.push(p);
            }
        }
        let place = format!("{} {} {}", a.street, a.postcode, a.city);
        println!(
            "    {} — {}",
            terminal_safe(&parts.join(", ")),
            terminal_safe(place.trim())
        );
    }
    for m in &e.mailboxes {
        let service = if m.service.is_empty() {
            String::new()
        } else {
            format!(" — {}", terminal_safe(&m.service))
        };
        println!(
            "    ✉ {} ({}){service}",
            terminal_safe(&m.address),
            m.kind.code()
        );
    }
}

fn stats(ctx: &DirectoryContext, json: bool) -> Result<u8, Error> {
    let index = Index::open(&ctx.index_root)?;
    let s = index.stats();
    if json {
        println!("{:#}", serde_json::json!(s));
    } else {
        println!(
            "{} entries ({} practitioners, {} structures), {} activities, {} MSSanté mailboxes on {} domains.",
            s.entries, s.practitioners, s.structures, s.activities, s.mailboxes, s.domains
        );
        println!(
            "Built from {} ({} malformed lines), {:.1} MiB on disk.",
            terminal_safe(&s.sources.join(", ")),
            s.malformed_lines,
            s.index_bytes as f64 / 1_048_576.0
        );
    }
    Ok(0)
}
