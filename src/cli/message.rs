//! `cachet message …`: work on raw message files (`.eml`) without a server —
//! render one as the reader would, print envelopes, thread a set of files,
//! search them with the local query language, and a `bench` that measures
//! parsing, threading and indexing on generated data (speed lives here, not
//! in tests). Every mail-derived string printed as text goes through
//! `terminal_safe`. Nothing is written to disk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use zeroize::Zeroizing;

use crate::domain::envelope::{Envelope, MailDate};
use crate::domain::text::terminal_safe;
use crate::error::{ErrorKind, HasKind};
use crate::mail::mime::{self, Limits, ParsedMessage, parse_message};
use crate::mail::render::{HeaderBlock, Labels, Preference, RenderOptions, render_message};
use crate::mail::search::{
    self, HmacTermHasher, IndexDocument, MemoryPostings, SearchIndex, parse_query,
};
use crate::mail::thread::{ThreadOptions, build_threads};

#[derive(Debug, clap::Subcommand)]
pub enum MessageCommand {
    /// Render a message file as the reader shows it.
    Show {
        file: PathBuf,
        /// Show every header field.
        #[arg(long)]
        full_headers: bool,
        /// Prefer the HTML alternative over plain text.
        #[arg(long)]
        html: bool,
        /// Columns for HTML layout.
        #[arg(long, default_value_t = 78)]
        width: usize,
    },
    /// Print the envelope of message files.
    Envelope {
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print message files as conversation threads, newest thread first.
    Thread {
        files: Vec<PathBuf>,
        /// Also join threads by subject when references are missing.
        #[arg(long)]
        by_subject: bool,
        #[arg(long)]
        json: bool,
    },
    /// Search message files with the local query language
    /// (from: to: subject: body: date:A..B "phrase" -exclude).
    Search {
        query: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Measure parsing, rendering, threading and indexing on generated data.
    Bench {
        /// Envelopes to thread.
        #[arg(long, default_value_t = 100_000)]
        envelopes: usize,
        /// Messages to parse, render and index.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
    },
}

/// Why a message command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a readable message")]
    Message {
        path: PathBuf,
        #[source]
        source: mime::Error,
    },
    #[error("the search failed")]
    Search(#[from] search::Error),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
    #[error("cannot encode JSON")]
    Json(#[from] serde_json::Error),
}

impl HasKind for CliError {
    fn kind(&self) -> ErrorKind {
        match self {
            CliError::Read { .. } | CliError::Output(_) => ErrorKind::Io,
            CliError::Message { source, .. } => source.kind(),
            CliError::Search(e) => e.kind(),
            CliError::Json(_) => ErrorKind::Invalid,
        }
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }
}

fn load(path: &Path) -> Result<ParsedMessage, CliError> {
    let limits = Limits::default();
    let meta = std::fs::metadata(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > limits.max_message_bytes as u64 {
        return Err(CliError::Message {
            path: path.to_path_buf(),
            source: mime::Error::TooLarge {
                size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
                limit: limits.max_message_bytes,
            },
        });
    }
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_message(&bytes, &limits).map_err(|source| CliError::Message {
        path: path.to_path_buf(),
        source,
    })
}

fn load_envelopes(files: &[PathBuf]) -> Result<Vec<Envelope>, CliError> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| Ok(load(f)?.envelope(u32::try_from(i + 1).unwrap_or(u32::MAX))))
        .collect()
}

fn summary(env: &Envelope, labels: &Labels) -> String {
    let date = env.date.map(|d| labels.format_date(d)).unwrap_or_default();
    let from = env.sender().map(|a| a.display_name()).unwrap_or("");
    terminal_safe(&format!("{date}  {from}  {}", env.subject))
}

pub fn run(command: MessageCommand, labels: Labels, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        MessageCommand::Show {
            file,
            full_headers,
            html,
            width,
        } => {
            let message = load(&file)?;
            let options = RenderOptions {
                headers: if full_headers {
                    HeaderBlock::Full
                } else {
                    HeaderBlock::Summary
                },
                prefer: if html {
                    Preference::Html
                } else {
                    Preference::Plain
                },
                html_width: width,
                labels,
            };
            out.write_all(
                render_message(&message, &options)
                    .to_plain_string(width)
                    .as_bytes(),
            )?;
        }
        MessageCommand::Envelope { files, json } => {
            let envelopes = load_envelopes(&files)?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &envelopes)?;
                writeln!(out)?;
            } else {
                for env in &envelopes {
                    writeln!(out, "{}", summary(env, &labels))?;
                }
            }
        }
        MessageCommand::Thread {
            files,
            by_subject,
            json,
        } => {
            let envelopes = load_envelopes(&files)?;
            let view = build_threads(
                &envelopes,
                &ThreadOptions {
                    subject_fallback: by_subject,
                    ..ThreadOptions::default()
                },
            );
            if json {
                let rows: Vec<serde_json::Value> = view
                    .rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "file": r.message.and_then(|m| files.get(m)),
                            "depth": r.depth,
                            "thread": r.thread,
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
            } else {
                for row in &view.rows {
                    let text = row
                        .message
                        .map(|m| summary(&envelopes[m], &labels))
                        .unwrap_or_else(|| "…".to_string());
                    writeln!(out, "{}{text}", row.prefix)?;
                }
            }
        }
        MessageCommand::Search { query, files, json } => {
            let query = parse_query(&query)?;
            let mut secret = Zeroizing::new([0u8; 32]);
            // A throw-away key: this index lives for one command.
            fastrand::fill(secret.as_mut_slice());
            let mut index =
                SearchIndex::new(HmacTermHasher::new(&secret), MemoryPostings::default());
            for (i, file) in files.iter().enumerate() {
                let uid = u32::try_from(i).unwrap_or(u32::MAX);
                index.index_document(&IndexDocument::from_message(uid, &load(file)?))?;
            }
            let hits: Vec<&PathBuf> = index
                .search(&query)?
                .into_iter()
                .filter_map(|uid| files.get(uid as usize))
                .collect();
            if json {
                serde_json::to_writer_pretty(&mut *out, &hits)?;
                writeln!(out)?;
            } else {
                for hit in hits {
                    writeln!(out, "{}", terminal_safe(&hit.display().to_string()))?;
                }
            }
        }
        MessageCommand::Bench {
            envelopes,
            messages,
        } => bench(envelopes, messages, out)?,
    }
    Ok(())
}

fn generated_message(i: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let parent = if i > 0 && rng.bool() {
        format!("In-Reply-To: <m{}@example.test>\r\n", rng.usize(0..i))
    } else {
        String::new()
    };
    format!(
        "From: =?UTF-8?Q?Dr_=C3=89mile_{}?= <e{}@example.test>\r\nTo: cardio@example.test\r\n\
         Subject: =?UTF-8?Q?R=C3=A9sultats_{}?=\r\nMessage-ID: <m{i}@example.test>\r\n{parent}\
         Date: Sat, 31 Jan 2026 15:05:00 +0100\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n\
         Bonjour, voici le compte rendu \r\nde l'\u{e9}chographie n\u{b0}{i}.\r\n> cit\u{e9}\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Compte rendu <a href=\"https://x.test/{i}\">ici</a></p>\r\n--b--\r\n",
        i % 500,
        i % 500,
        i % 997
    )
    .into_bytes()
}

fn bench(envelopes: usize, messages: usize, out: &mut dyn Write) -> Result<(), CliError> {
    let mut rng = fastrand::Rng::with_seed(2026);
    let raws: Vec<Vec<u8>> = (0..messages)
        .map(|i| generated_message(i, &mut rng))
        .collect();
    let bytes: usize = raws.iter().map(Vec::len).sum();

    let start = Instant::now();
    let parsed: Vec<ParsedMessage> = raws
        .iter()
        .filter_map(|r| parse_message(r, &Limits::default()).ok())
        .collect();
    let parse_time = start.elapsed();

    let start = Instant::now();
    let lines: usize = parsed
        .iter()
        .map(|m| render_message(m, &RenderOptions::default()).blocks.len())
        .sum();
    let render_time = start.elapsed();

    let start = Instant::now();
    let mut index = SearchIndex::new(
        HmacTermHasher::new(&Zeroizing::new([7u8; 32])),
        MemoryPostings::default(),
    );
    for (i, m) in parsed.iter().enumerate() {
        index.index_document(&IndexDocument::from_message(
            u32::try_from(i).unwrap_or(u32::MAX),
            m,
        ))?;
    }
    let index_time = start.elapsed();
    let start = Instant::now();
    let query = parse_query("from:emile \"compte rendu\" -subject:zzz")?;
    let hits = index.search(&query)?.len();
    let search_time = start.elapsed();

    let envs: Vec<Envelope> = (0..envelopes)
        .map(|i| {
            let parent =
                (i > 0 && rng.u8(0..100) < 60).then(|| rng.usize(i.saturating_sub(500)..i));
            Envelope {
                uid: u32::try_from(i).unwrap_or(u32::MAX),
                message_id: Some(format!("m{i}")),
                in_reply_to: parent.map(|p| format!("m{p}")),
                references: parent.map(|p| vec![format!("m{p}")]).unwrap_or_default(),
                date: Some(MailDate {
                    utc_seconds: 1_767_225_600 + i as i64 * 60,
                    offset_minutes: 60,
                }),
                subject: format!("sujet {}", i % 997),
                ..Envelope::default()
            }
        })
        .collect();
    let start = Instant::now();
    let view = build_threads(&envs, &ThreadOptions::default());
    let thread_time = start.elapsed();

    writeln!(
        out,
        "parse   {messages} messages ({} KiB): {:.1} ms ({:.1} µs/message)",
        bytes / 1024,
        parse_time.as_secs_f64() * 1e3,
        parse_time.as_secs_f64() * 1e6 / messages.max(1) as f64
    )?;
    writeln!(
        out,
        "render  {} messages ({lines} lines): {:.1} ms",
        parsed.len(),
        render_time.as_secs_f64() * 1e3
    )?;
    writeln!(
        out,
        "index   {} messages: {:.1} ms; search ({hits} hits): {:.2} ms",
        parsed.len(),
        index_time.as_secs_f64() * 1e3,
        search_time.as_secs_f64() * 1e3
    )?;
    writeln!(
        out,
        "thread  {envelopes} envelopes ({} threads): {:.1} ms",
        view.thread_count,
        thread_time.as_secs_f64() * 1e3
    )?;
    Ok(())
}
