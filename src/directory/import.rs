//! Import of extraction files into a new index generation.
//!
//! Pass 1 streams every file once: each usable line is appended in binary to a
//! spool file inside the new generation folder and only a 16-byte reference
//! plus the identifier map stay in memory. Pass 2 groups the spool by entry
//! (practitioner by IDNPS, or structure), merges duplicate mailboxes, writes
//! `records.bin` and the search arrays, then switches the `current` link.
//! Memory is therefore proportional to the number of entries (a few tens of
//! bytes each), not to the size of the files.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::codec::put_str;
use super::error::Error;
use super::index::{CURRENT_LINK, IndexStats};
use super::model::{EntryKind, MailboxKind};
use super::parse::{self, Person, Place, Row, RowSink, department_of};

/// Where the import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Indexing,
    Done,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    /// 0-based index of the file being read, and how many there are.
    pub file: usize,
    pub files: usize,
    /// Rows accepted so far, all files together.
    pub rows: u64,
    /// Bytes consumed and total of the current file (uncompressed for a zip entry).
    pub bytes_read: u64,
    pub bytes_total: u64,
}

/// One line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub file: PathBuf,
    /// 1-based, counting the header.
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Keep at most this many malformed-line details (all are counted).
    pub max_malformed_details: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub stats: IndexStats,
    pub activity_rows: u64,
    pub mailbox_rows: u64,
    pub duplicate_mailboxes_merged: u64,
    pub latin1_lines: u64,
    /// Column count of each file's header, in order.
    pub columns: Vec<usize>,
    pub malformed_total: u64,
    pub malformed: Vec<Malformed>,
    pub generation: PathBuf,
}

/// Imports `files` into a new generation under `root` and makes it current.
pub fn import_files(
    root: &Path,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<ImportReport, Error> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(root).map_err(write_err(root))?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let gen_name = format!("gen-{stamp:024}");
    let gen_dir = root.join(&gen_name);
    std::fs::create_dir(&gen_dir).map_err(write_err(&gen_dir))?;

    let result = build(&gen_dir, files, options, progress);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            // Best effort: a failed build leaves no half generation behind.
            let _ = std::fs::remove_dir_all(&gen_dir);
            return Err(e);
        }
    };
    switch_current(root, &gen_name)?;
    remove_older_generations(root, &gen_name);
    progress(&Progress {
        phase: Phase::Done,
        file: files.len(),
        files: files.len(),
        rows: report.activity_rows + report.mailbox_rows,
        bytes_read: 0,
        bytes_total: 0,
    });
    Ok(report)
}

fn switch_current(root: &Path, gen_name: &str) -> Result<(), Error> {
    let tmp = root.join(format!("{CURRENT_LINK}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(gen_name, &tmp).map_err(|source| Error::Write {
        path: tmp.clone(),
        source,
    })?;
    // rename(2) replaces the old link atomically: readers see the old or the new one.
    std::fs::rename(&tmp, root.join(CURRENT_LINK)).map_err(|source| Error::Write {
        path: root.join(CURRENT_LINK),
        source,
    })?;
    // Make the switch itself durable; the generation's files were synced before.
    if let Err(e) = File::open(root).and_then(|d| d.sync_all()) {
        tracing::warn!("cannot sync {}: {e}", root.display());
    }
    Ok(())
}

/// Removes generations older than `keep`. Open readers keep their data (they
/// hold the arrays in memory and an open descriptor on records.bin); newer
/// folders may belong to an import still running, so they are left alone.
fn remove_older_generations(root: &Path, keep: &str) {
    let Ok(dir) = std::fs::read_dir(root) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("gen-")
            && name < keep
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!("cannot remove old directory index {name}: {e}");
        }
    }
}

pub(super) struct SpoolRef {
    pub(super) entry: u32,
    pub(super) len: u32,
    pub(super) offset: u64,
}

struct Builder<'p> {
    spool: BufWriter<File>,
    spool_path: PathBuf,
    spool_len: u64,
    refs: Vec<SpoolRef>,
    keys: HashMap<u64, u32>,
    kinds: Vec<EntryKind>,
    buf: Vec<u8>,
    key_buf: String,
    file: PathBuf,
    file_index: usize,
    files: usize,
    rows_before: u64,
    report: ImportReport,
    max_details: usize,
    progress: &'p mut dyn FnMut(&Progress),
}

pub(super) const ROW_ACTIVITY: u8 = 0;
const ROW_MAILBOX: u8 = 1;

fn hash_key(tag: u8, value: &str) -> u64 {
    let mut h = DefaultHasher::new();
    tag.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

impl Builder<'_> {
    fn entry_for(&mut self, key: u64, kind: EntryKind) -> Result<u32, Error> {
        if let Some(&id) = self.keys.get(&key) {
            return Ok(id);
        }
        let id = u32::try_from(self.kinds.len()).map_err(|_| Error::Format {
            path: self.file.clone(),
            reason: "more than 4 billion entries".into(),
        })?;
        self.keys.insert(key, id);
        self.kinds.push(kind);
        Ok(id)
    }

    fn spool_row(
        &mut self,
        entry: u32,
        tag: u8,
        person: &Person<'_>,
        place: &Place<'_>,
        mailbox: Option<(MailboxKind, &str, &str)>,
    ) -> Result<(), Error> {
        let b = &mut self.buf;
        b.clear();
        b.push(tag);
        for s in [
            person.idnps,
            person.national_id,
            person.civility,
            person.family,
            person.given,
        ] {
            put_str(b, s);
        }
        let dept = if place.department.is_empty() {
            department_of(place.postcode)
        } else {
            place.department
        };
        for s in [
            place.profession_code,
            place.profession,
            place.category,
            place.speciality_code,
            place.speciality,
            place.mode,
            place.structure,
            place.street.as_str(),
            place.postcode,
            place.city,
            dept,
            place.phone,
        ] {
            put_str(b, s);
        }
        match mailbox {
            Some((kind, address, service)) => {
                b.push(1);
                b.push(kind as u8);
                put_str(b, address);
                put_str(b, service);
            }
            None => b.push(0),
        }
        let len = u32::try_from(b.len()).map_err(|_| Error::Format {
            path: self.file.clone(),
            reason: "line too long".into(),
        })?;
        self.spool.write_all(b).map_err(|source| Error::Write {
            path: self.spool_path.clone(),
            source,
        })?;
        self.refs.push(SpoolRef {
            entry,
            len,
            offset: self.spool_len,
        });
        self.spool_len += u64::from(len);
        Ok(())
    }
}

impl RowSink for Builder<'_> {
    fn row(&mut self, row: Row<'_>) -> Result<(), Error> {
        match row {
            Row::Activity { person, place } => {
                self.report.activity_rows += 1;
                let id = self.entry_for(hash_key(b'P', person.idnps), EntryKind::Practitioner)?;
                self.spool_row(id, ROW_ACTIVITY, &person, &place, None)
            }
            Row::Mailbox {
                person,
                place,
                kind,
                address,
                service,
            } => {
                self.report.mailbox_rows += 1;
                let (key, entry_kind) = if !person.idnps.is_empty() {
                    (hash_key(b'P', person.idnps), EntryKind::Practitioner)
                } else if !place.structure_id.is_empty() {
                    (hash_key(b'S', place.structure_id), EntryKind::Structure)
                } else {
                    self.key_buf.clear();
                    self.key_buf.push_str(address);
                    self.key_buf.make_ascii_lowercase();
                    (hash_key(b'A', &self.key_buf), EntryKind::Structure)
                };
                let id = self.entry_for(key, entry_kind)?;
                self.spool_row(
                    id,
                    ROW_MAILBOX,
                    &person,
                    &place,
                    Some((kind, address, service)),
                )
            }
        }
    }

    fn malformed(&mut self, line: u64, reason: String) {
        self.report.malformed_total += 1;
        if self.report.malformed.len() < self.max_details {
            self.report.malformed.push(Malformed {
                file: self.file.clone(),
                line,
                reason,
            });
        }
    }

    fn progress(&mut self, rows: u64, bytes_read: u64, bytes_total: u64) {
        (self.progress)(&Progress {
            phase: Phase::Reading,
            file: self.file_index,
            files: self.files,
            rows: self.rows_before + rows,
            bytes_read,
            bytes_total,
        });
    }
}

fn build(
    gen_dir: &Path,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<ImportReport, Error> {
    let spool_path = gen_dir.join("spool.tmp");
    let spool_file = File::create(&spool_path).map_err(|source| Error::Write {
        path: spool_path.clone(),
        source,
    })?;
    let mut b = Builder {
        spool: BufWriter::with_capacity(1 << 20, spool_file),
        spool_path: spool_path.clone(),
        spool_len: 0,
        refs: Vec::new(),
        keys: HashMap::new(),
        kinds: Vec::new(),
        buf: Vec::with_capacity(1024),
        key_buf: String::new(),
        file: PathBuf::new(),
        file_index: 0,
        files: files.len(),
        rows_before: 0,
        report: ImportReport::default(),
        max_details: if options.max_malformed_details == 0 {
            1000
        } else {
            options.max_malformed_details
        },
        progress,
    };
    for (i, path) in files.iter().enumerate() {
        b.file = path.clone();
        b.file_index = i;
        let summary = parse::read_path(path, &mut b)?;
        b.rows_before += summary.rows;
        b.report.latin1_lines += summary.latin1_lines;
        b.report.columns.push(summary.columns);
    }
    b.spool.flush().map_err(|source| Error::Write {
        path: spool_path.clone(),
        source,
    })?;
    (b.progress)(&Progress {
        phase: Phase::Indexing,
        file: files.len(),
        files: files.len(),
        rows: b.rows_before,
        bytes_read: 0,
        bytes_total: 0,
    });
    let Builder {
        mut refs,
        kinds,
        mut report,
        ..
    } = b;
    drop(b.keys);
    refs.sort_by_key(|r| r.entry); // stable: file order kept within an entry
    let spool = File::open(&spool_path).map_err(|source| Error::Read {
        path: spool_path.clone(),
        source,
    })?;
    let stats = super::build::finalize(
        gen_dir,
        &spool,
        &spool_path,
        &refs,
        &kinds,
        files,
        &mut report,
    )?;
    drop(spool);
    let _ = std::fs::remove_file(&spool_path);
    report.stats = stats;
    report.generation = gen_dir.to_path_buf();
    Ok(report)
}
