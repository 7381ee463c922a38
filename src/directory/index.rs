//! The on-disk index and its in-memory form.
//!
//! Layout of one generation folder: `index.bin` (every search array, loaded
//! whole into memory: a few flat `Vec`s, no per-entry heap object),
//! `records.bin` (the full entries, read on demand with positioned reads for
//! the results only) and `meta.json`. The root folder holds a `current`
//! symlink naming the generation in use; an import swaps it atomically.
//! An open [`Index`] keeps its own copy of the arrays and an open handle on its
//! `records.bin`, so it keeps answering after a swap removed its folder.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::codec::{Damaged, StreamReader, put_bytes, put_str, put_u32s, put_u64s};
use super::error::Error;
use super::model::Entry;
use super::normalize::{PART_SEP, normalize};
use super::record;

pub const INDEX_FILE: &str = "index.bin";
pub const RECORDS_FILE: &str = "records.bin";
pub const META_FILE: &str = "meta.json";
pub const CURRENT_LINK: &str = "current";
const MAGIC: &[u8; 8] = b"CACHETD1";

/// What an import produced, shown by `directory stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndexStats {
    pub entries: u64,
    pub practitioners: u64,
    pub structures: u64,
    pub activities: u64,
    pub mailboxes: u64,
    pub domains: u64,
    pub malformed_lines: u64,
    pub sources: Vec<String>,
    /// Unix seconds.
    pub built_at: u64,
    pub index_bytes: u64,
}

/// The search arrays. Entry `i`'s name key is `names[names_off[i]..names_off[i+1]]`,
/// `normalize(family) SEP normalize(given)`; activities of entry `i` are
/// `act_start[i]..act_start[i+1]` in the facet arrays, whose values index `strings`.
#[derive(Debug, Default)]
pub struct IndexData {
    pub record_off: Vec<u64>,
    pub names: Vec<u8>,
    pub names_off: Vec<u32>,
    pub by_family: Vec<u32>,
    pub by_given: Vec<u32>,
    pub ids: Vec<u8>,
    pub ids_off: Vec<u32>,
    pub by_id: Vec<u32>,
    pub mail: Vec<u8>,
    pub mail_off: Vec<u32>,
    pub mail_entry: Vec<u32>,
    pub by_addr: Vec<u32>,
    pub by_domain: Vec<u32>,
    pub act_start: Vec<u32>,
    pub f_profession: Vec<u32>,
    pub f_speciality: Vec<u32>,
    pub f_department: Vec<u32>,
    pub f_city: Vec<u32>,
    pub f_postcode: Vec<u32>,
    pub strings: Vec<String>,
    pub domains: Vec<String>,
}

impl IndexData {
    /// Writes the index section by section; only one section is ever
    /// duplicated in memory. Returns the number of bytes written.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<u64> {
        let mut total = 0u64;
        let mut buf = Vec::new();
        let mut flush = |buf: &mut Vec<u8>, w: &mut dyn std::io::Write| {
            total += buf.len() as u64;
            let r = w.write_all(buf);
            buf.clear();
            r
        };
        buf.extend_from_slice(MAGIC);
        put_u64s(&mut buf, &self.record_off);
        flush(&mut buf, w)?;
        put_bytes(&mut buf, &self.names);
        flush(&mut buf, w)?;
        for v in [&self.names_off, &self.by_family, &self.by_given] {
            put_u32s(&mut buf, v);
            flush(&mut buf, w)?;
        }
        put_bytes(&mut buf, &self.ids);
        flush(&mut buf, w)?;
        for v in [&self.ids_off, &self.by_id] {
            put_u32s(&mut buf, v);
            flush(&mut buf, w)?;
        }
        put_bytes(&mut buf, &self.mail);
        flush(&mut buf, w)?;
        for v in [
            &self.mail_off,
            &self.mail_entry,
            &self.by_addr,
            &self.by_domain,
            &self.act_start,
            &self.f_profession,
            &self.f_speciality,
            &self.f_department,
            &self.f_city,
            &self.f_postcode,
        ] {
            put_u32s(&mut buf, v);
            flush(&mut buf, w)?;
        }
        for list in [&self.strings, &self.domains] {
            buf.extend_from_slice(&(list.len() as u64).to_le_bytes());
            for s in list {
                put_str(&mut buf, s);
            }
            flush(&mut buf, w)?;
        }
        Ok(total)
    }

    #[cfg(test)]
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    /// Decodes from a stream of `len` bytes (the index file, read in chunks).
    pub fn decode_from(input: impl std::io::Read, len: u64) -> Result<IndexData, Damaged> {
        let mut r = StreamReader::new(input, len);
        r.magic(MAGIC)?;
        let mut d = IndexData {
            record_off: r.u64s()?,
            names: r.bytes()?,
            names_off: r.u32s()?,
            by_family: r.u32s()?,
            by_given: r.u32s()?,
            ids: r.bytes()?,
            ids_off: r.u32s()?,
            by_id: r.u32s()?,
            mail: r.bytes()?,
            mail_off: r.u32s()?,
            mail_entry: r.u32s()?,
            by_addr: r.u32s()?,
            by_domain: r.u32s()?,
            act_start: r.u32s()?,
            f_profession: r.u32s()?,
            f_speciality: r.u32s()?,
            f_department: r.u32s()?,
            f_city: r.u32s()?,
            f_postcode: r.u32s()?,
            ..IndexData::default()
        };
        for list in [&mut d.strings, &mut d.domains] {
            let n = r.fixed_u64()?;
            for _ in 0..n {
                list.push(r.string()?);
            }
        }
        d.validate()?;
        Ok(d)
    }

    /// Checks every cross-reference once at load, so lookups can index freely
    /// afterwards without risking a panic on a damaged file.
    fn validate(&self) -> Result<(), Damaged> {
        let n = self
            .record_off
            .len()
            .checked_sub(1)
            .ok_or(Damaged("no entries table"))?;
        let offsets_ok = |off: &[u32], len: usize, count: usize| {
            off.len() == count + 1
                && off.windows(2).all(|w| w[0] <= w[1])
                && off.last().is_some_and(|&l| l as usize <= len)
        };
        let perm_ok =
            |p: &[u32], count: usize| p.len() == count && p.iter().all(|&i| (i as usize) < count);
        let m = self.mail_entry.len();
        let acts = self.f_profession.len();
        let strings = self.strings.len() as u32;
        let ok = self.record_off.windows(2).all(|w| w[0] <= w[1])
            && offsets_ok(&self.names_off, self.names.len(), n)
            && perm_ok(&self.by_family, n)
            && perm_ok(&self.by_given, n)
            && offsets_ok(&self.ids_off, self.ids.len(), n)
            && perm_ok(&self.by_id, n)
            && offsets_ok(&self.mail_off, self.mail.len(), m)
            && self.mail_entry.iter().all(|&e| (e as usize) < n)
            && perm_ok(&self.by_addr, m)
            && perm_ok(&self.by_domain, m)
            && offsets_ok(&self.act_start, acts, n)
            && [
                &self.f_speciality,
                &self.f_department,
                &self.f_city,
                &self.f_postcode,
            ]
            .iter()
            .all(|f| f.len() == acts)
            && [
                &self.f_profession,
                &self.f_speciality,
                &self.f_department,
                &self.f_city,
                &self.f_postcode,
            ]
            .iter()
            .all(|f| f.iter().all(|&s| s < strings));
        if ok {
            Ok(())
        } else {
            Err(Damaged("inconsistent arrays"))
        }
    }
}

/// An opened index generation.
pub struct Index {
    pub(crate) data: IndexData,
    /// Normalised form of `data.strings`, for facet filters.
    pub(crate) norm_strings: Vec<String>,
    /// Whether entry `i` owns at least one mailbox.
    pub(crate) mail_owner: Vec<bool>,
    records: File,
    dir: PathBuf,
    stats: IndexStats,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("entries", &self.len())
            .finish()
    }
}

impl Index {
    /// Opens the current generation under `root`.
    pub fn open(root: &Path) -> Result<Index, Error> {
        // A concurrent import may delete the generation we just resolved;
        // resolving again finds the new one.
        let mut last = None;
        for _ in 0..3 {
            let link = root.join(CURRENT_LINK);
            let target = match std::fs::read_link(&link) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::NoIndex(root.to_path_buf()));
                }
                Err(source) => return Err(Error::Read { path: link, source }),
            };
            match Index::open_generation(&root.join(target)) {
                Err(Error::Read { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    last = Some(Error::NoIndex(root.to_path_buf()));
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| Error::NoIndex(root.to_path_buf())))
    }

    pub fn open_generation(dir: &Path) -> Result<Index, Error> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| Error::Read { path, source })
        };
        let records_path = dir.join(RECORDS_FILE);
        let records = File::open(&records_path).map_err(|source| Error::Read {
            path: records_path,
            source,
        })?;
        let index_path = dir.join(INDEX_FILE);
        let file = File::open(&index_path).map_err(|source| Error::Read {
            path: index_path.clone(),
            source,
        })?;
        let len = file
            .metadata()
            .map_err(|source| Error::Read {
                path: index_path,
                source,
            })?
            .len();
        let corrupt = |reason: String| Error::Corrupt {
            path: dir.to_path_buf(),
            reason,
        };
        let data = IndexData::decode_from(std::io::BufReader::new(file), len)
            .map_err(|d| corrupt(d.0.to_string()))?;
        let stats: IndexStats = serde_json::from_slice(&read(META_FILE)?)
            .map_err(|e| corrupt(format!("meta.json: {e}")))?;
        let norm_strings = data.strings.iter().map(|s| normalize(s)).collect();
        let mut mail_owner = vec![false; data.record_off.len().saturating_sub(1)];
        for &e in &data.mail_entry {
            mail_owner[e as usize] = true; // validated: every owner < entry count
        }
        Ok(Index {
            data,
            norm_strings,
            mail_owner,
            records,
            dir: dir.to_path_buf(),
            stats,
        })
    }

    pub fn stats(&self) -> &IndexStats {
        &self.stats
    }

    pub fn len(&self) -> usize {
        self.data.record_off.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The MSSanté domains present in the index (sorted, lowercase).
    pub fn domains(&self) -> &[String] {
        &self.data.domains
    }

    /// Whether `domain` belongs to the MSSanté trust space as far as the
    /// directory knows.
    pub fn is_mssante_domain(&self, domain: &str) -> bool {
        let d = domain.trim().to_ascii_lowercase();
        self.data.domains.binary_search(&d).is_ok()
    }

    /// The full entry `id`, read from `records.bin`.
    pub fn entry(&self, id: u32) -> Result<Entry, Error> {
        let i = id as usize;
        let corrupt = |reason: &str| Error::Corrupt {
            path: self.dir.clone(),
            reason: reason.to_string(),
        };
        let (Some(&start), Some(&end)) =
            (self.data.record_off.get(i), self.data.record_off.get(i + 1))
        else {
            return Err(corrupt("entry number out of range"));
        };
        let len = usize::try_from(end - start).map_err(|_| corrupt("record too large"))?;
        let mut buf = vec![0u8; len];
        self.records
            .read_exact_at(&mut buf, start)
            .map_err(|source| Error::Read {
                path: self.dir.join(RECORDS_FILE),
                source,
            })?;
        record::decode(&buf).map_err(|d| corrupt(d.0))
    }

    pub(crate) fn name_key(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let d = &self.data;
        &d.names[d.names_off[i] as usize..d.names_off[i + 1] as usize]
    }

    /// The (family, given) parts of an entry's name key.
    pub(crate) fn name_parts(&self, id: u32) -> (&[u8], &[u8]) {
        let key = self.name_key(id);
        match key.iter().position(|&b| b == PART_SEP) {
            Some(p) => (&key[..p], &key[p + 1..]),
            None => (key, &[]),
        }
    }

    pub(crate) fn id_key(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let d = &self.data;
        &d.ids[d.ids_off[i] as usize..d.ids_off[i + 1] as usize]
    }

    pub(crate) fn mail_key(&self, m: u32) -> &[u8] {
        let i = m as usize;
        let d = &self.data;
        &d.mail[d.mail_off[i] as usize..d.mail_off[i + 1] as usize]
    }

    pub(crate) fn activities(&self, id: u32) -> std::ops::Range<usize> {
        let i = id as usize;
        self.data.act_start[i] as usize..self.data.act_start[i + 1] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IndexData {
        IndexData {
            record_off: vec![0, 10, 25],
            names: b"dupont\x01jean\x00martin\x01alice".to_vec(),
            names_off: vec![0, 11, 24],
            by_family: vec![0, 1],
            by_given: vec![1, 0],
            ids: b"810000000001810000000002".to_vec(),
            ids_off: vec![0, 12, 24],
            by_id: vec![0, 1],
            mail: b"a@b.mssante.fr".to_vec(),
            mail_off: vec![0, 14],
            mail_entry: vec![1],
            by_addr: vec![0],
            by_domain: vec![0],
            act_start: vec![0, 1, 1],
            f_profession: vec![0],
            f_speciality: vec![1],
            f_department: vec![2],
            f_city: vec![2],
            f_postcode: vec![2],
            strings: vec!["10\u{1f}Médecin".into(), "\u{1f}".into(), "75".into()],
            domains: vec!["b.mssante.fr".into()],
        }
    }

    #[test]
    fn round_trips_and_rejects_damage_without_panicking() {
        let bytes = sample().encode();
        let back = IndexData::decode_from(&bytes[..], bytes.len() as u64).unwrap();
        assert_eq!(back.names, sample().names);
        assert_eq!(back.strings, sample().strings);
        // Every truncation is an error, never a panic.
        for cut in 0..bytes.len() {
            assert!(
                IndexData::decode_from(&bytes[..cut], cut as u64).is_err(),
                "cut at {cut}"
            );
        }
        // A cross-reference out of range is caught at load.
        let mut bad = sample();
        bad.by_family = vec![0, 7];
        let b = bad.encode();
        assert!(IndexData::decode_from(&b[..], b.len() as u64).is_err());
        let mut bad = sample();
        bad.f_city = vec![99];
        let b = bad.encode();
        assert!(IndexData::decode_from(&b[..], b.len() as u64).is_err());
    }
}
