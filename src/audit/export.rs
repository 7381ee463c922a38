//! `audit export`: entries since a date as JSON lines or CSV (RFC 4180),
//! oldest first, each with its hash so an exported file can be re-checked
//! against the chain. Targets are exported as stored (hashed).

use std::io::Write;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::chain::entry_hash;
use super::entry::Entry;
use super::error::Error;
use crate::store::{Order, Store, TailRange, Tree};

/// Export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// One exported line (JSONL); the CSV has the same columns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportRecord {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    pub holder: String,
    pub action: String,
    pub target: Option<String>,
    pub request: String,
    pub response: Option<String>,
    pub outcome: String,
    pub prev: String,
    pub hash: String,
}

impl ExportRecord {
    fn from_entry(e: &Entry) -> Self {
        let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.at_ms) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| e.at_ms.to_string());
        ExportRecord {
            seq: e.seq,
            time,
            holder: e.holder.clone(),
            action: e.action.as_str().to_string(),
            target: e.target.clone(),
            request: e.request.clone(),
            response: e.response.clone(),
            outcome: e.outcome.as_str().to_string(),
            prev: e.prev.clone(),
            hash: entry_hash(e),
        }
    }
}

const CSV_HEADER: &str = "seq,time,holder,action,target,request,response,outcome,prev,hash";

fn csv_field(s: &str) -> String {
    // Quote everything that could break a row; a leading = + - @ is
    // prefixed with a quote so spreadsheets do not evaluate it.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('\'') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Writes every entry at or after `since` (all when `None`); returns the count.
pub fn export(
    store: &Store,
    since: Option<OffsetDateTime>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, Error> {
    let since_ms =
        since.map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX));
    if format == ExportFormat::Csv {
        writeln!(out, "{CSV_HEADER}")?;
    }
    let mut n = 0;
    let mut next: u64 = 0;
    let mut at_end = false;
    loop {
        let from = next.to_be_bytes();
        let page = store.scan(
            Tree::Audit,
            TailRange {
                from: Some(&from),
                to: None,
            },
            Order::Ascending,
            512,
        )?;
        for raw in &page {
            let e: Entry = serde_json::from_slice(&raw.value)?;
            // Advance by the key, not the stored field, so the loop always ends.
            let key_seq = crate::store::layout::tail_u64(&raw.tail)
                .ok_or_else(|| crate::store::Error::integrity("audit key"))?;
            at_end = key_seq == u64::MAX;
            next = key_seq.saturating_add(1);
            if since_ms.is_some_and(|s| e.at_ms < s) {
                continue;
            }
            let r = ExportRecord::from_entry(&e);
            match format {
                ExportFormat::Jsonl => {
                    serde_json::to_writer(&mut *out, &r)?;
                    writeln!(out)?;
                }
                ExportFormat::Csv => {
                    let cols = [
                        r.seq.to_string(),
                        r.time,
                        r.holder,
                        r.action,
                        r.target.unwrap_or_default(),
                        r.request,
                        r.response.unwrap_or_default(),
                        r.outcome,
                        r.prev,
                        r.hash,
                    ];
                    let line: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
                    writeln!(out, "{}", line.join(","))?;
                }
            }
            n += 1;
        }
        if page.len() < 512 || at_end {
            break;
        }
    }
    out.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_escaped_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=CMD()"), "\"'=CMD()\"");
        assert_eq!(csv_field("l1\nl2"), "\"l1\nl2\"");
    }
}
