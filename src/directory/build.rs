//! Second pass of an import: groups the spooled lines by entry, merges them
//! into full entries (identity, activities, deduplicated mailboxes), writes
//! `records.bin`, and builds the sorted search arrays of `index.bin`.
//! Memory here is the search arrays themselves (flat vectors) plus one
//! entry's lines at a time.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::codec::Reader;
use super::error::Error;
use super::import::{ImportReport, ROW_ACTIVITY, SpoolRef};
use super::index::{INDEX_FILE, IndexData, IndexStats, META_FILE, RECORDS_FILE};
use super::model::{Activity, Entry, EntryKind, Mailbox, MailboxKind, Origin};
use super::normalize::{PART_SEP, normalize_into};
use super::record;

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
    let mut r = Reader::new(buf);
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

/// Facet string for a code and its label, as stored in `strings`, built in
/// a reused buffer (this runs for every activity).
fn coded<'b>(buf: &'b mut String, code: &str, label: &str) -> &'b str {
    buf.clear();
    buf.push_str(code);
    buf.push('\u{1f}');
    buf.push_str(label);
    buf
}

pub(super) fn finalize(
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
    let mut facet = String::new();
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
                .push(interner.id(coded(&mut facet, &a.profession_code, &a.profession)));
            d.f_speciality
                .push(interner.id(coded(&mut facet, &a.speciality_code, &a.speciality)));
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
    let index_bytes = write_index(&index_path, &d)?;
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
    stats.index_bytes = index_bytes + offset;
    let meta = serde_json::to_vec_pretty(&stats).map_err(|e| Error::Format {
        path: gen_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_synced(&gen_dir.join(META_FILE), &meta)?;
    Ok(stats)
}

fn write_index(path: &Path, d: &IndexData) -> Result<u64, Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path).map_err(err)?);
    let n = d.write_to(&mut w).map_err(err)?;
    let f = w.into_inner().map_err(|e| err(e.into_error()))?;
    f.sync_all().map_err(err)?;
    Ok(n)
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
        if (row.tag == ROW_ACTIVITY || !has_activity_rows)
            && !entry.activities.contains(&row.activity)
        {
            entry.activities.push(row.activity);
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
