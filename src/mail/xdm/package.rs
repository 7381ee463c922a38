//! Reading an `IHE_XDM.ZIP`: finds every `SUBSETn/METADATA.XML`, parses its
//! metadata, matches each document entry with its file, and hands out the
//! bytes on demand after checking them against the metadata's size and
//! SHA-1 hash.
//!
//! Tolerated variants (seen in real archives): an extra top folder, no
//! `IHE_XDM` level, lower or mixed case names, backslash separators, a
//! document entry without `URI` (matched by its id, or as the only file).

use super::archive::{ArchiveEntry, SafeZip, ZipLimits};
use super::error::Error;
use super::metadata::{self, DocumentEntry, SubmissionSet};

/// A document entry and where its file is in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedDocument {
    /// The subset folder, as found in the archive (`IHE_XDM/SUBSET01`).
    pub subset: String,
    pub entry: DocumentEntry,
    /// The archive path of its file, when it could be found.
    pub archive_path: Option<String>,
}

/// A document's bytes and what was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDocument {
    pub bytes: Vec<u8>,
    /// The metadata had a hash and it matched.
    pub hash_checked: bool,
    /// The metadata had a size and it matched.
    pub size_checked: bool,
}

/// A read XDM archive (held in memory, never extracted).
#[derive(Debug)]
pub struct XdmPackage {
    zip: SafeZip,
    pub submission_sets: Vec<SubmissionSet>,
    pub documents: Vec<PackagedDocument>,
}

impl XdmPackage {
    /// Reads an archive with the default bounds.
    pub fn read(bytes: Vec<u8>) -> Result<XdmPackage, Error> {
        Self::read_with_limits(bytes, ZipLimits::default())
    }

    pub fn read_with_limits(bytes: Vec<u8>, limits: ZipLimits) -> Result<XdmPackage, Error> {
        let zip = SafeZip::open(bytes, limits)?;
        let mut metadata_files: Vec<&ArchiveEntry> = zip
            .entries()
            .iter()
            .filter(|e| last(&e.path).eq_ignore_ascii_case("METADATA.XML"))
            .collect();
        if metadata_files.is_empty() {
            return Err(Error::NoMetadata);
        }
        metadata_files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut submission_sets = Vec::new();
        let mut documents = Vec::new();
        for meta in metadata_files {
            let folder = parent(&meta.path).to_string();
            let objects = metadata::parse(&zip.read(meta)?, &meta.path)?;
            let single = objects.documents.len() == 1;
            for entry in objects.documents {
                let archive_path = locate(&zip, &folder, &entry, single).map(|e| e.path.clone());
                documents.push(PackagedDocument {
                    subset: folder.clone(),
                    entry,
                    archive_path,
                });
            }
            submission_sets.extend(objects.submission_set);
        }
        Ok(XdmPackage {
            zip,
            submission_sets,
            documents,
        })
    }

    /// The document's bytes, checked against the metadata's size and hash.
    pub fn document_bytes(&self, doc: &PackagedDocument) -> Result<VerifiedDocument, Error> {
        let missing = || Error::DocumentMissing {
            entry_id: doc.entry.entry_id.clone(),
        };
        let path = doc.archive_path.as_deref().ok_or_else(missing)?;
        let entry = self.zip.find(path).ok_or_else(missing)?;
        let bytes = self.zip.read(entry)?;
        let size_checked = match doc.entry.size {
            Some(expected) if expected != bytes.len() as u64 => {
                return Err(Error::SizeMismatch {
                    entry_id: doc.entry.entry_id.clone(),
                    expected,
                    actual: bytes.len() as u64,
                });
            }
            Some(_) => true,
            None => false,
        };
        let hash_checked = match &doc.entry.hash {
            Some(expected) => {
                let actual = sha1_hex(&bytes);
                if !expected.eq_ignore_ascii_case(&actual) {
                    return Err(Error::HashMismatch {
                        entry_id: doc.entry.entry_id.clone(),
                        expected: expected.clone(),
                        actual,
                    });
                }
                true
            }
            None => false,
        };
        Ok(VerifiedDocument {
            bytes,
            hash_checked,
            size_checked,
        })
    }
}

/// SHA-1 in lower-case hex, as XDS writes the `hash` slot.
pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
}

fn last(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

fn is_support_file(path: &str) -> bool {
    let name = last(path).to_ascii_uppercase();
    name == "METADATA.XML" || name.ends_with(".XSL") || name.ends_with(".XSLT")
}

/// Finds the file of a document entry: its URI (relative to the subset,
/// else to the archive root), else a file named after its id, else the only
/// document file of a one-document subset.
fn locate<'a>(
    zip: &'a SafeZip,
    folder: &str,
    entry: &DocumentEntry,
    single: bool,
) -> Option<&'a ArchiveEntry> {
    let uri = entry
        .uri
        .as_deref()
        .and_then(|u| super::archive::normalise(u).ok());
    if let Some(found) =
        uri.and_then(|uri| zip.find(&join(folder, &uri)).or_else(|| zip.find(&uri)))
    {
        return Some(found);
    }
    let in_folder: Vec<&ArchiveEntry> = zip
        .entries()
        .iter()
        .filter(|e| parent(&e.path).eq_ignore_ascii_case(folder) && !is_support_file(&e.path))
        .collect();
    let by_id = in_folder.iter().find(|e| {
        let name = last(&e.path);
        let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
        !entry.entry_id.is_empty() && stem.eq_ignore_ascii_case(&entry.entry_id)
    });
    match (by_id, single, in_folder.as_slice()) {
        (Some(found), _, _) => Some(found),
        (None, true, [only]) => Some(only),
        _ => None,
    }
}
