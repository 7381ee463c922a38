//! Import of extraction files into a new index generation.
//!
//! Pass 1 streams every file once: each usable line is appended in binary to a
//! spool file inside the new generation folder and only a 16-byte reference
//! plus the identifier map stay in memory. Pass 2 groups the spool by entry
//! (practitioner by IDNPS, or structure), merges duplicate mailboxes, writes
//! `records.bin` and the search arrays, then switches the `current` link.
//! Memory is therefore proportional to the number of entries (a few tens of
//! bytes each), not to the size of the files.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::codec::put_str;
use super::error::Error;
use super::index::{CURRENT_LINK, INDEX_FILE, IndexData, IndexStats, META_FILE, RECORDS_FILE};
use super::model::{Activity, Entry, EntryKind, Mailbox, MailboxKind, Origin};
use super::normalize::{PART_SEP, normalize, normalize_into};
use super::parse::{self, Person, Place, Row, RowSink, department_of};
use super::record;

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
    })
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

struct SpoolRef {
    entry: u32,
    len: u32,
    offset: u64,
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

const ROW_ACTIVITY: u8 = 0;
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
    let stats = finalize(
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

/// One spooled line, decoded.
struct SpoolRow {
    tag: u8,
    idnps: String,
    national_id: String,
    civility: String,
    family: String,
    given: String,
    activity: Activity,
    mailbox: Option<Mailbox>,
}

fn decode_spool(buf: &[u8]) -> Option<SpoolRow> {
    let mut r = super::codec::Reader::new(buf);
    let tag = r.u8().ok()?;
    let mut s = || r.str().ok().map(str::to_owned);
    let idnps = s()?;
    let national_id = s()?;
    let civility = s()?;
    let family = s()?;
    let given = s()?;
    let activity = Activity {
        profession_code: s()?,
        profession: s()?,
        category: s()?,
        speciality_code: s()?,
        speciality: s()?,
        mode: s()?,
        structure: s()?,
        street: s()?,
        postcode: s()?,
        city: s()?,
        department: s()?,
        phone: s()?,
    };
    let mailbox = if r.u8().ok()? == 1 {
        let kind = match r.u8().ok()? {
            0 => MailboxKind::Personal,
            1 => MailboxKind::Organisational,
            _ => MailboxKind::Application,
        };
        Some(Mailbox {
            kind,
            address: r.str().ok()?.to_owned(),
            service: r.str().ok()?.to_owned(),
        })
    } else {
        None
    };
    Some(SpoolRow {
        tag,
        idnps,
        national_id,
        civility,
        family,
        given,
        activity,
        mailbox,
    })
}

#[derive(Default)]
struct Interner {
    map: HashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    fn id(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.map.get(value) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(value.to_owned());
        self.map.insert(value.to_owned(), id);
        id
    }
}

/// Facet string for a code and its label, as stored in `strings`.
pub(crate) fn coded(code: &str, label: &str) -> String {
    format!("{code}\u{1f}{label}")
}

fn finalize(
    gen_dir: &Path,
    spool: &File,
    spool_path: &Path,
    refs: &[SpoolRef],
    kinds: &[EntryKind],
    files: &[PathBuf],
    report: &mut ImportReport,
) -> Result<IndexStats, Error> {
    let records_path = gen_dir.join(RECORDS_FILE);
    let mut records = BufWriter::with_capacity(
        1 << 20,
        File::create(&records_path).map_err(|source| Error::Write {
            path: records_path.clone(),
            source,
        })?,
    );
    let n = kinds.len();
    let mut d = IndexData {
        record_off: Vec::with_capacity(n + 1),
        names_off: Vec::with_capacity(n + 1),
        ids_off: Vec::with_capacity(n + 1),
        act_start: Vec::with_capacity(n + 1),
        ..IndexData::default()
    };
    let mut interner = Interner::default();
    let mut domains = BTreeSet::new();
    let mut stats = IndexStats::default();
    let mut rec_buf = Vec::new();
    let mut raw = Vec::new();
    let mut norm = String::new();
    let mut offset = 0u64;
    let mut at = 0usize;
    let overflow = || Error::Format {
        path: gen_dir.to_path_buf(),
        reason: "index larger than 4 GiB".into(),
    };
    for (id, &kind) in kinds.iter().enumerate() {
        let start = at;
        while at < refs.len() && refs[at].entry as usize == id {
            at += 1;
        }
        let mut rows = Vec::with_capacity(at - start);
        for r in &refs[start..at] {
            raw.resize(r.len as usize, 0);
            spool
                .read_exact_at(&mut raw, r.offset)
                .map_err(|source| Error::Read {
                    path: spool_path.to_path_buf(),
                    source,
                })?;
            // The spool is our own file written moments ago; a row that does not
            // decode means a bug, reported rather than dropped silently.
            let row = decode_spool(&raw).ok_or_else(|| Error::Corrupt {
                path: spool_path.to_path_buf(),
                reason: "spool row does not decode".into(),
            })?;
            rows.push(row);
        }
        let entry = merge(kind, rows, report);
        d.record_off.push(offset);
        rec_buf.clear();
        record::encode(&entry, &mut rec_buf);
        records.write_all(&rec_buf).map_err(|source| Error::Write {
            path: records_path.clone(),
            source,
        })?;
        offset += rec_buf.len() as u64;

        d.names_off
            .push(u32::try_from(d.names.len()).map_err(|_| overflow())?);
        normalize_into(&entry.family_name, &mut norm);
        d.names.extend_from_slice(norm.as_bytes());
        d.names.push(PART_SEP);
        normalize_into(&entry.given_name, &mut norm);
        d.names.extend_from_slice(norm.as_bytes());

        d.ids_off
            .push(u32::try_from(d.ids.len()).map_err(|_| overflow())?);
        d.ids
            .extend_from_slice(entry.idnps.to_ascii_lowercase().as_bytes());

        d.act_start.push(d.f_profession.len() as u32);
        for a in &entry.activities {
            d.f_profession
                .push(interner.id(&coded(&a.profession_code, &a.profession)));
            d.f_speciality
                .push(interner.id(&coded(&a.speciality_code, &a.speciality)));
            d.f_department.push(interner.id(&a.department));
            d.f_city.push(interner.id(&a.city));
            d.f_postcode.push(interner.id(&a.postcode));
        }
        for m in &entry.mailboxes {
            d.mail_off
                .push(u32::try_from(d.mail.len()).map_err(|_| overflow())?);
            let address = m.address.to_ascii_lowercase();
            if let Some((_, domain)) = address.rsplit_once('@') {
                domains.insert(domain.to_string());
            }
            d.mail.extend_from_slice(address.as_bytes());
            d.mail_entry.push(id as u32);
        }
        match kind {
            EntryKind::Practitioner => stats.practitioners += 1,
            EntryKind::Structure => stats.structures += 1,
        }
        stats.activities += entry.activities.len() as u64;
        stats.mailboxes += entry.mailboxes.len() as u64;
    }
    d.record_off.push(offset);
    d.names_off
        .push(u32::try_from(d.names.len()).map_err(|_| overflow())?);
    d.ids_off
        .push(u32::try_from(d.ids.len()).map_err(|_| overflow())?);
    d.act_start.push(d.f_profession.len() as u32);
    d.mail_off
        .push(u32::try_from(d.mail.len()).map_err(|_| overflow())?);
    records.flush().map_err(|source| Error::Write {
        path: records_path.clone(),
        source,
    })?;
    records
        .get_ref()
        .sync_all()
        .map_err(|source| Error::Write {
            path: records_path.clone(),
            source,
        })?;
    drop(records);

    sort_arrays(&mut d);
    d.strings = interner.values;
    d.domains = domains.into_iter().collect();

    let index_path = gen_dir.join(INDEX_FILE);
    let bytes = d.encode();
    write_synced(&index_path, &bytes)?;
    stats.entries = n as u64;
    stats.domains = d.domains.len() as u64;
    stats.malformed_lines = report.malformed_total;
    stats.sources = files
        .iter()
        .map(|f| {
            f.file_name()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        })
        .collect();
    stats.built_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    stats.index_bytes = bytes.len() as u64 + offset;
    let meta = serde_json::to_vec_pretty(&stats).map_err(|e| Error::Format {
        path: gen_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_synced(&gen_dir.join(META_FILE), &meta)?;
    Ok(stats)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::create(path).map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    f.sync_all().map_err(err)
}

/// Joins the lines of one entry: identity from the first activity line (else
/// the first mailbox line), activities from the activity file (or, for an
/// entry known only by its mailboxes, from the mailbox lines), mailboxes
/// deduplicated by address.
fn merge(kind: EntryKind, rows: Vec<SpoolRow>, report: &mut ImportReport) -> Entry {
    let ident = rows
        .iter()
        .find(|r| r.tag == ROW_ACTIVITY)
        .or_else(|| rows.first());
    let mut entry = Entry {
        kind,
        idnps: ident.map(|r| r.idnps.clone()).unwrap_or_default(),
        national_id: ident.map(|r| r.national_id.clone()).unwrap_or_default(),
        civility: ident.map(|r| r.civility.clone()).unwrap_or_default(),
        family_name: ident.map(|r| r.family.clone()).unwrap_or_default(),
        given_name: ident.map(|r| r.given.clone()).unwrap_or_default(),
        activities: Vec::new(),
        mailboxes: Vec::new(),
        origin: Origin::Local,
    };
    let has_activity_rows = rows.iter().any(|r| r.tag == ROW_ACTIVITY);
    for row in rows {
        if (row.tag == ROW_ACTIVITY || !has_activity_rows)
            && !entry.activities.contains(&row.activity)
        {
            entry.activities.push(row.activity.clone());
        }
        if let Some(m) = row.mailbox {
            if kind == EntryKind::Structure && entry.family_name.is_empty() {
                entry.family_name = if row.activity.structure.is_empty() {
                    m.service.clone()
                } else {
                    row.activity.structure.clone()
                };
            }
            match entry
                .mailboxes
                .iter_mut()
                .find(|x| x.address.eq_ignore_ascii_case(&m.address))
            {
                Some(existing) => {
                    report.duplicate_mailboxes_merged += 1;
                    if existing.service.is_empty() {
                        existing.service = m.service;
                    }
                }
                None => entry.mailboxes.push(m),
            }
        }
    }
    if kind == EntryKind::Structure
        && entry.family_name.is_empty()
        && let Some(m) = entry.mailboxes.first()
    {
        entry.family_name = m.address.clone();
    }
    entry
}

fn sort_arrays(d: &mut IndexData) {
    let n = d.names_off.len().saturating_sub(1) as u32;
    let names = &d.names;
    let off = &d.names_off;
    let key = |i: u32| &names[off[i as usize] as usize..off[i as usize + 1] as usize];
    let parts = |k: &[u8]| -> (usize, usize) {
        // (end of family, start of given) inside the key
        k.iter()
            .position(|&b| b == PART_SEP)
            .map_or((k.len(), k.len()), |p| (p, p + 1))
    };
    let mut by_family: Vec<u32> = (0..n).collect();
    by_family.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
    let mut by_given: Vec<u32> = (0..n).collect();
    by_given.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        let ((fa, ga), (fb, gb)) = (parts(ka), parts(kb));
        ka[ga..]
            .cmp(&kb[gb..])
            .then(ka[..fa].cmp(&kb[..fb]))
            .then(a.cmp(&b))
    });
    let ids = &d.ids;
    let ioff = &d.ids_off;
    let id_key = |i: u32| &ids[ioff[i as usize] as usize..ioff[i as usize + 1] as usize];
    let mut by_id: Vec<u32> = (0..n).collect();
    by_id.sort_unstable_by(|&a, &b| id_key(a).cmp(id_key(b)).then(a.cmp(&b)));
    let m = d.mail_entry.len() as u32;
    let mail = &d.mail;
    let moff = &d.mail_off;
    let mkey = |i: u32| &mail[moff[i as usize] as usize..moff[i as usize + 1] as usize];
    let domain = |k: &[u8]| -> usize { k.iter().rposition(|&b| b == b'@').map_or(0, |p| p + 1) };
    let mut by_addr: Vec<u32> = (0..m).collect();
    by_addr.sort_unstable_by(|&a, &b| mkey(a).cmp(mkey(b)).then(a.cmp(&b)));
    let mut by_domain: Vec<u32> = (0..m).collect();
    by_domain.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (mkey(a), mkey(b));
        ka[domain(ka)..]
            .cmp(&kb[domain(kb)..])
            .then(ka.cmp(kb))
            .then(a.cmp(&b))
    });
    d.by_family = by_family;
    d.by_given = by_given;
    d.by_id = by_id;
    d.by_addr = by_addr;
    d.by_domain = by_domain;
}

/// Normalised name key of an entry, as the index stores it (used by tests).
pub fn name_key(family: &str, given: &str) -> String {
    let mut s = normalize(family);
    s.push(PART_SEP as char);
    s.push_str(&normalize(given));
    s
}
