//! In-memory, defensive ZIP access for XDM archives received by mail.
//!
//! Invariants: nothing is ever extracted to disk. An archive is refused at
//! open time when an entry name is absolute, contains `..`, or is not valid
//! text, when an entry is encrypted, or when the entry count, any declared
//! size, the declared total or any compression ratio exceeds [`ZipLimits`].
//! Reads re-check the real decompressed size, so a header that lies about
//! its size cannot get past the bounds either.

use std::io::{Cursor, Read};

use super::error::Error;

/// Bounds on an archive and its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    pub max_archive_bytes: usize,
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Uncompressed/compressed ratio above which an entry is a bomb…
    pub max_ratio: u64,
    /// …once it is larger than this (tiny files compress arbitrarily well).
    pub ratio_floor_bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_archive_bytes: 64 * 1024 * 1024,
            max_entries: 1000,
            max_entry_bytes: 64 * 1024 * 1024,
            max_total_bytes: 256 * 1024 * 1024,
            max_ratio: 100,
            ratio_floor_bytes: 1024 * 1024,
        }
    }
}

/// One file of the archive, by its normalised path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    index: usize,
    /// `/`-separated, no leading `./`, original case.
    pub path: String,
    pub size: u64,
}

/// A checked archive held in memory.
pub struct SafeZip {
    bytes: Vec<u8>,
    entries: Vec<ArchiveEntry>,
    limits: ZipLimits,
}

impl std::fmt::Debug for SafeZip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeZip")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl SafeZip {
    pub fn open(bytes: Vec<u8>, limits: ZipLimits) -> Result<SafeZip, Error> {
        if bytes.len() > limits.max_archive_bytes {
            return Err(Error::ArchiveTooLarge {
                size: bytes.len(),
                limit: limits.max_archive_bytes,
            });
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(Error::Zip)?;
        if zip.len() > limits.max_entries {
            return Err(Error::TooManyEntries {
                count: zip.len(),
                limit: limits.max_entries,
            });
        }
        let mut entries = Vec::new();
        let mut total: u64 = 0;
        for index in 0..zip.len() {
            // Raw access: reads the headers only, decompresses nothing.
            let file = zip.by_index_raw(index).map_err(Error::Zip)?;
            let raw_name = String::from_utf8_lossy(file.name_raw()).into_owned();
            let path = normalise(&raw_name)?;
            if file.encrypted() {
                return Err(Error::Encrypted { name: raw_name });
            }
            if file.is_dir() {
                continue;
            }
            let size = file.size();
            check_entry(&raw_name, size, file.compressed_size(), &limits)?;
            total = total.saturating_add(size);
            if total > limits.max_total_bytes {
                return Err(Error::TotalTooLarge {
                    limit: limits.max_total_bytes,
                });
            }
            entries.push(ArchiveEntry { index, path, size });
        }
        Ok(SafeZip {
            bytes,
            entries,
            limits,
        })
    }

    pub fn entries(&self) -> &[ArchiveEntry] {
        &self.entries
    }

    /// The entry at `path`, compared without case (XDM names are upper case
    /// by the spec, lower or mixed case in the wild).
    pub fn find(&self, path: &str) -> Option<&ArchiveEntry> {
        self.entries
            .iter()
            .find(|e| e.path.eq_ignore_ascii_case(path))
    }

    /// Decompresses one entry into memory, enforcing its declared size.
    pub fn read(&self, entry: &ArchiveEntry) -> Result<Vec<u8>, Error> {
        let mut zip =
            zip::ZipArchive::new(Cursor::new(self.bytes.as_slice())).map_err(Error::Zip)?;
        let file = zip.by_index(entry.index).map_err(Error::Zip)?;
        let declared = entry.size.min(self.limits.max_entry_bytes);
        let mut out =
            Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(16 * 1024 * 1024));
        file.take(declared + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Zip(e.into()))?;
        if out.len() as u64 > declared {
            return Err(Error::LyingSize {
                name: entry.path.clone(),
            });
        }
        Ok(out)
    }
}

fn check_entry(name: &str, size: u64, compressed: u64, limits: &ZipLimits) -> Result<(), Error> {
    if size > limits.max_entry_bytes {
        return Err(Error::EntryTooLarge {
            name: name.to_string(),
            size,
            limit: limits.max_entry_bytes,
        });
    }
    if size > limits.ratio_floor_bytes {
        let ratio = size / compressed.max(1);
        if ratio > limits.max_ratio {
            return Err(Error::CompressionRatio {
                name: name.to_string(),
                ratio,
                limit: limits.max_ratio,
            });
        }
    }
    Ok(())
}

/// Normalises an entry name to `a/b/c`, refusing anything that could point
/// outside the archive if it were ever extracted: absolute paths, drive
/// letters, `..` components, NUL and other control characters.
pub fn normalise(raw: &str) -> Result<String, Error> {
    if raw.chars().any(|c| c.is_control()) || raw.contains('\u{FFFD}') {
        return Err(Error::BadName {
            name: raw.escape_debug().to_string(),
        });
    }
    let slashed = raw.replace('\\', "/");
    let bytes = slashed.as_bytes();
    if slashed.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err(Error::AbsolutePath {
            name: raw.to_string(),
        });
    }
    let mut parts = Vec::new();
    for part in slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(Error::PathTraversal {
                    name: raw.to_string(),
                });
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_or_refused() {
        assert_eq!(
            normalise("IHE_XDM\\SUBSET01\\DOC.XML").unwrap(),
            "IHE_XDM/SUBSET01/DOC.XML"
        );
        assert_eq!(normalise("./a//b/").unwrap(), "a/b");
        assert!(matches!(
            normalise("../etc/passwd"),
            Err(Error::PathTraversal { .. })
        ));
        assert!(matches!(
            normalise("a\\..\\..\\x"),
            Err(Error::PathTraversal { .. })
        ));
        assert!(matches!(
            normalise("/etc/passwd"),
            Err(Error::AbsolutePath { .. })
        ));
        assert!(matches!(
            normalise("C:\\Windows\\x"),
            Err(Error::AbsolutePath { .. })
        ));
        assert!(matches!(normalise("a\0b"), Err(Error::BadName { .. })));
    }

    #[test]
    fn ratio_applies_above_the_floor() {
        let limits = ZipLimits::default();
        assert!(check_entry("small", 1000, 1, &limits).is_ok());
        assert!(matches!(
            check_entry("bomb", 50 * 1024 * 1024, 50 * 1024, &limits),
            Err(Error::CompressionRatio { ratio: 1024, .. })
        ));
        assert!(matches!(
            check_entry("big", 65 * 1024 * 1024, 60 * 1024 * 1024, &limits),
            Err(Error::EntryTooLarge { .. })
        ));
    }
}
