//! Protected attachments for recipients outside the MSSanté trust space: the
//! files go into one ZIP archive whose entries are encrypted with WinZip AES
//! (AE-2, AES-256, key from the password by PBKDF2-HMAC-SHA1), which 7-Zip,
//! the Windows and macOS archive tools open. The password is generated here,
//! shown once to the user who passes it by another channel (phone, SMS), and
//! lives only in a zeroizing buffer: never in Debug, logs or the outbox.
//!
//! Everything happens in memory: no plaintext temporary file.

use std::io::{Cursor, Write};

use zeroize::Zeroizing;

use crate::error::{ErrorKind, HasKind};
use crate::mail::compose::Attachment;

/// Name of the archive attached in place of the files.
pub const ARCHIVE_NAME: &str = "pieces-jointes-protegees.zip";

/// Letters and digits a person reads aloud without confusion (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// 4 groups of 5 characters from 32 symbols: 100 bits.
const GROUPS: usize = 4;
const GROUP_LEN: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("there is no attachment to protect")]
    NoAttachment,
    #[error("the system's random generator failed")]
    Random,
    #[error("the protected archive could not be written")]
    Zip(#[source] zip::result::ZipError),
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::NoAttachment => ErrorKind::Invalid,
            Error::Random | Error::Zip(_) => ErrorKind::Io,
        }
    }
}

/// The generated password: readable groups (`abcde-fghij-…`), zeroized on drop.
pub struct Password(Zeroizing<String>);

impl Password {
    /// A fresh random password.
    pub fn generate() -> Result<Password, Error> {
        let mut random = Zeroizing::new([0u8; GROUPS * GROUP_LEN]);
        getrandom::fill(random.as_mut_slice()).map_err(|_| Error::Random)?;
        let mut s = Zeroizing::new(String::with_capacity(GROUPS * (GROUP_LEN + 1)));
        for (i, b) in random.iter().enumerate() {
            if i > 0 && i % GROUP_LEN == 0 {
                s.push('-');
            }
            // 256 is a multiple of 32: no modulo bias.
            s.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
        Ok(Password(s))
    }

    /// The text, to show the user once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The archive to attach instead of the files, and its password.
#[derive(Debug)]
pub struct Protected {
    pub archive: Attachment,
    pub password: Password,
}

/// Puts `attachments` into one AES-256 encrypted ZIP with a generated password.
pub fn protect(attachments: &[Attachment]) -> Result<Protected, Error> {
    let password = Password::generate()?;
    let archive = protect_with(attachments, &password)?;
    Ok(Protected { archive, password })
}

/// The same with a given password (tests, or a password the user chose).
pub fn protect_with(attachments: &[Attachment], password: &Password) -> Result<Attachment, Error> {
    if attachments.is_empty() {
        return Err(Error::NoAttachment);
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .with_aes_encryption(zip::AesMode::Aes256, password.expose());
    let mut used: Vec<String> = Vec::new();
    for a in attachments {
        let name = unique_name(&entry_name(&a.name), &used);
        zip.start_file(name.as_str(), options).map_err(Error::Zip)?;
        zip.write_all(&a.bytes)
            .map_err(|e| Error::Zip(zip::result::ZipError::Io(e)))?;
        used.push(name);
    }
    let bytes = zip.finish().map_err(Error::Zip)?.into_inner();
    Ok(Attachment {
        name: ARCHIVE_NAME.to_string(),
        content_type: "application/zip".to_string(),
        bytes,
    })
}

/// A flat entry name: the last path component, no control characters.
fn entry_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "piece-jointe".to_string()
    } else {
        clean
    }
}

/// `name`, or `name (2).ext`, `name (3).ext`… when already used.
fn unique_name(name: &str, used: &[String]) -> String {
    let taken = |n: &str| used.iter().any(|u| u.eq_ignore_ascii_case(n));
    if !taken(name) {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|i| format!("{stem} ({i}){ext}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn att(name: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            name: name.into(),
            content_type: "application/pdf".into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn passwords_are_grouped_random_and_redacted() {
        let a = Password::generate().unwrap();
        let b = Password::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), GROUPS * GROUP_LEN + GROUPS - 1);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c == b'-' || ALPHABET.contains(&c))
        );
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn the_archive_reads_back_only_with_the_password() {
        let files = [
            att("compte-rendu.pdf", b"%PDF-1.4 secret"),
            att("dir/compte-rendu.pdf", &[0u8, 1, 2, 255]),
        ];
        let p = protect(&files).unwrap();
        assert_eq!(p.archive.name, ARCHIVE_NAME);
        let raw = &p.archive.bytes;
        assert!(
            !raw.windows(6).any(|w| w == b"secret"),
            "plaintext in archive"
        );
        let mut z = zip::ZipArchive::new(Cursor::new(raw.as_slice())).unwrap();
        assert_eq!(z.len(), 2);
        assert!(z.by_index(0).is_err(), "opened without a password");
        assert!(z.by_index_decrypt(0, b"wrong").is_err());
        let mut got = Vec::new();
        z.by_name_decrypt("compte-rendu.pdf", p.password.expose().as_bytes())
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, b"%PDF-1.4 secret");
        got.clear();
        z.by_name_decrypt("compte-rendu (2).pdf", p.password.expose().as_bytes())
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, [0u8, 1, 2, 255]);
    }

    #[test]
    fn nothing_to_protect_is_an_error() {
        assert!(matches!(protect(&[]), Err(Error::NoAttachment)));
    }

    #[test]
    fn entry_names_are_flat() {
        assert_eq!(entry_name("../../etc/passwd"), "passwd");
        assert_eq!(entry_name("C:\\x\\cr.pdf"), "cr.pdf");
        assert_eq!(entry_name(".."), "piece-jointe");
        assert_eq!(unique_name("a", &["A".into()]), "a (2)");
    }
}
