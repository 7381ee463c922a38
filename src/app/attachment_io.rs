//! Attachments leaving the mailbox: saved to a path the user typed and
//! confirmed, handed to the system viewer, or read as an IHE XDM package.
//!
//! Invariants: a save never replaces an existing file unless the user
//! confirmed it (`overwrite`), and never follows the path into a directory
//! it has to create; a file for the viewer lives only in `$XDG_RUNTIME_DIR`
//! (memory-backed, per user), mode 0600, random name, overwritten and
//! removed afterwards — without that folder viewing is refused, never
//! written to a disk-backed temporary folder. XDM archives stay in memory
//! (`mail::xdm` refuses traversal and zip bombs).

use crate::app::mail_msg::SaveError;
use crate::domain::mailbox::{AttachmentData, MailSource, MessageId};
use crate::domain::text::RichText;
use crate::ui::screens::reader::document::{XdmDocumentInfo, XdmListing};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// How long a file handed to a viewer that returns at once (`xdg-open`
/// forks the real viewer) stays before it is wiped.
pub const VIEWER_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

fn fetch(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
) -> Result<AttachmentData, String> {
    match source.attachment(folder, id, index) {
        Ok(Some(data)) => Ok(data),
        Ok(None) => Err("the attachment is no longer there".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes attachment `index` of a message to `path`.
pub fn save(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
    path: &Path,
    overwrite: bool,
) -> Result<PathBuf, SaveError> {
    if path.is_dir() {
        return Err(SaveError::Failed(format!(
            "{} is a folder: type a file name",
            path.display()
        )));
    }
    if path.exists() && !overwrite {
        return Err(SaveError::Exists(path.to_path_buf()));
    }
    let data = fetch(source, folder, id, index).map_err(SaveError::Failed)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        // Refuses a file that appeared since the check.
        options.create_new(true);
    }
    let written = options
        .open(path)
        .and_then(|mut file| file.write_all(data.bytes.as_slice()).and(file.sync_all()));
    match written {
        Ok(()) => Ok(path.to_path_buf()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(SaveError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(SaveError::Failed(format!("{}: {e}", path.display()))),
    }
}

/// The viewer command: `$CACHET_VIEWER`, else `xdg-open`.
pub fn viewer_command() -> String {
    std::env::var("CACHET_VIEWER")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "xdg-open".to_string())
}

/// A file name safe to create: the attachment's own extension only.
fn runtime_name(name: Option<&str>) -> String {
    let extension: String = name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext)
        .unwrap_or("bin")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let extension = if extension.is_empty() {
        "bin".to_string()
    } else {
        extension
    };
    format!("cachet-view-{:016x}.{extension}", fastrand::u64(..))
}

/// Opens attachment `index` with the system viewer, from `$XDG_RUNTIME_DIR`.
pub fn view(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
) -> Result<(), String> {
    let Some(dir) = super::editor::runtime_dir() else {
        return Err("no XDG_RUNTIME_DIR: no memory-backed folder to hand the file over".into());
    };
    let data = fetch(source, folder, id, index)?;
    view_in(&dir, &viewer_command(), &data, VIEWER_GRACE)
}

/// [`view`] with an explicit folder, viewer and grace period (tests).
pub fn view_in(
    dir: &Path,
    viewer: &str,
    data: &AttachmentData,
    grace: std::time::Duration,
) -> Result<(), String> {
    let path = dir.join(runtime_name(data.name.as_deref()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| e.to_string())?;
        file.write_all(data.bytes.as_slice())
            .and(file.sync_all())
            .map_err(|e| e.to_string())?;
        drop(file);
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{viewer} \"$1\""))
            .arg("cachet-viewer")
            .arg(&path)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| format!("the viewer \"{viewer}\" could not run: {e}"))?;
        if !status.success() {
            return Err(format!("the viewer \"{viewer}\" exited with {status}"));
        }
        std::thread::sleep(grace);
        Ok(())
    })();
    super::editor::scrub(&path);
    result
}

fn package(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
) -> Result<crate::mail::xdm::XdmPackage, String> {
    let data = fetch(source, folder, id, index)?;
    crate::mail::xdm::XdmPackage::read(data.bytes.as_slice().to_vec()).map_err(|e| e.to_string())
}

/// The identifier of an HL7 CX value (`id^^^&oid&ISO^NH` → `id`), with
/// `(INS)` when its authority is the INS-NIR or INS-NIA OID.
fn cx_id(cx: &str) -> String {
    let id = cx.split('^').next().unwrap_or(cx).to_string();
    let ins = [
        "1.2.250.1.213.1.4.8",
        "1.2.250.1.213.1.4.9",
        "1.2.250.1.213.1.4.10",
        "1.2.250.1.213.1.4.11",
    ]
    .iter()
    .any(|oid| cx.contains(&format!("&{oid}&")));
    if ins { format!("{id} (INS)") } else { id }
}

/// A person from an HL7 XCN value (`id^Family^Given^…`): `Given Family`,
/// else the value's first non-empty component.
fn xcn_name(xcn: &str) -> String {
    let parts: Vec<&str> = xcn.split('^').collect();
    let family = parts.get(1).copied().unwrap_or("").trim();
    let given = parts.get(2).copied().unwrap_or("").trim();
    match (given.is_empty(), family.is_empty()) {
        (_, false) if !given.is_empty() => format!("{given} {family}"),
        (_, false) => family.to_string(),
        _ => parts
            .iter()
            .find(|p| !p.is_empty())
            .copied()
            .unwrap_or("")
            .to_string(),
    }
}

/// An organisation from an HL7 XON value (`Name^^^…`).
fn xon_name(xon: &str) -> String {
    xon.split('^').next().unwrap_or(xon).to_string()
}

/// `20261121073000` → `21/11/2026`; anything else as written.
fn short_hl7_date(text: &str) -> String {
    match (text.get(0..4), text.get(4..6), text.get(6..8)) {
        (Some(y), Some(m), Some(d)) if text.chars().take(8).all(|c| c.is_ascii_digit()) => {
            format!("{d}/{m}/{y}")
        }
        _ => text.to_string(),
    }
}

/// The documents an XDM attachment describes in its `METADATA.XML`.
pub fn xdm_listing(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
) -> Result<XdmListing, String> {
    let package = package(source, folder, id, index)?;
    let documents = package
        .documents
        .iter()
        .map(|doc| {
            let e = &doc.entry;
            let author = e
                .authors
                .first()
                .map(|a| match (&a.person, a.institutions.first()) {
                    (Some(person), _) => xcn_name(person),
                    (None, Some(institution)) => xon_name(institution),
                    (None, None) => String::new(),
                })
                .unwrap_or_default();
            let mime_type = e.mime_type.clone().unwrap_or_default();
            XdmDocumentInfo {
                title: e.title.clone().unwrap_or_else(|| e.entry_id.clone()),
                patient: cx_id(
                    e.patient_id
                        .as_deref()
                        .or(e.source_patient_id.as_deref())
                        .unwrap_or_default(),
                ),
                author,
                kind: e
                    .type_code
                    .as_ref()
                    .map(|c| c.display.clone().unwrap_or_else(|| c.code.clone()))
                    .unwrap_or_default(),
                date: short_hl7_date(e.creation_time.as_deref().unwrap_or("")),
                is_cda: mime_type.eq_ignore_ascii_case("text/xml")
                    || mime_type.eq_ignore_ascii_case("application/xml")
                    || doc
                        .archive_path
                        .as_deref()
                        .is_some_and(|p| p.to_ascii_lowercase().ends_with(".xml")),
                mime_type,
            }
        })
        .collect();
    Ok(XdmListing {
        attachment: index,
        documents,
    })
}

/// One CDA document of an XDM attachment, rendered as the records viewer does.
pub fn xdm_document(
    source: &dyn MailSource,
    folder: &str,
    id: MessageId,
    index: usize,
    document: usize,
) -> Result<(String, RichText), String> {
    let package = package(source, folder, id, index)?;
    let doc = package
        .documents
        .get(document)
        .ok_or_else(|| "no such document in the package".to_string())?;
    let verified = package.document_bytes(doc).map_err(|e| e.to_string())?;
    let cda = crate::records::cda::parse(&verified.bytes).map_err(|e| e.to_string())?;
    let title = doc
        .entry
        .title
        .clone()
        .unwrap_or_else(|| doc.entry.entry_id.clone());
    Ok((title, crate::records::cda::render(&cda)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mailbox::Bytes;

    #[test]
    fn the_viewer_gets_a_private_file_that_is_removed_after() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seen = dir.path().join("seen");
        let data = AttachmentData {
            name: Some("compte rendu.pdf".into()),
            mime_type: "application/pdf".into(),
            bytes: Bytes::new(b"%PDF-1.4 demo".to_vec()),
        };
        // A scripted viewer that records the mode and content it was given.
        let viewer = format!(
            "sh -c 'stat -c %a \"$0\" > {0}; cat \"$0\" >> {0}'",
            seen.display()
        );
        view_in(dir.path(), &viewer, &data, std::time::Duration::ZERO).expect("viewed");
        let report = std::fs::read_to_string(&seen).expect("viewer ran");
        assert_eq!(report, "600\n%PDF-1.4 demo");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("cachet-view-"))
            .collect();
        assert!(left.is_empty(), "no file left behind");
    }

    #[test]
    fn runtime_names_keep_only_a_clean_extension() {
        let name = runtime_name(Some("../../etc/passwd;rm -rf.p\u{202e}df"));
        assert!(name.starts_with("cachet-view-") && !name.contains('/'));
        assert!(
            name.ends_with(".pdf") || name.ends_with(".rmrfpdf"),
            "{name}"
        );
        assert!(runtime_name(None).ends_with(".bin"));
    }

    #[test]
    fn hl7_values_read_as_names_and_ids() {
        assert_eq!(
            cx_id("280037511234595^^^&1.2.250.1.213.1.4.10&ISO^NH"),
            "280037511234595 (INS)"
        );
        assert_eq!(cx_id("123^^^&1.2.3&ISO"), "123");
        assert_eq!(
            xcn_name("810100000099^Laboratoire BioSanté^^^^^^^&1.2.250.1.71.4.2.1&ISO"),
            "Laboratoire BioSanté"
        );
        assert_eq!(xcn_name("8101^MARTIN^Alice"), "Alice MARTIN");
        assert_eq!(
            xon_name("CHU Exemple^^^^^&1.2&ISO^FINEG^^^1234"),
            "CHU Exemple"
        );
    }

    #[test]
    fn hl7_dates_are_shortened() {
        assert_eq!(short_hl7_date("20261121073000"), "21/11/2026");
        assert_eq!(short_hl7_date("bad"), "bad");
    }
}
