//! Handing the terminal to `$EDITOR` and taking it back.
//!
//! A draft may hold health data, so the file the editor works on lives only
//! in `$XDG_RUNTIME_DIR` (a per-user, memory-backed folder), is created with
//! mode 0600 and a random name, is overwritten then removed as soon as the
//! editor exits. Without such a folder the external editor is refused rather
//! than writing to a disk-backed temporary folder.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("no XDG_RUNTIME_DIR: no memory-backed folder for the draft")]
    NoRuntimeDir,
    #[error("cannot prepare the draft file: {0}")]
    File(#[from] std::io::Error),
    #[error("the editor \"{editor}\" could not run: {reason}")]
    Spawn { editor: String, reason: String },
    #[error("the editor \"{editor}\" exited with {status}")]
    Failed { editor: String, status: String },
}

/// The editor command: `$VISUAL`, then `$EDITOR`, then `vi`.
pub fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string())
}

/// The private, memory-backed folder for drafts being edited.
pub fn runtime_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?);
    dir.is_dir().then_some(dir)
}

/// Runs `editor` on `initial` inside `dir` and returns the edited text. The
/// caller must have released the terminal.
pub fn edit_in(dir: &Path, editor: &str, initial: &str) -> Result<String, EditorError> {
    let path = dir.join(format!("cachet-draft-{:016x}.txt", fastrand::u64(..)));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(initial.as_bytes())?;
        file.sync_all()?;
        drop(file);
        // `$EDITOR` may carry arguments ("code --wait"); run it through sh as the shells do.
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("cachet-editor")
            .arg(&path)
            .status()
            .map_err(|e| EditorError::Spawn {
                editor: editor.to_string(),
                reason: e.to_string(),
            })?;
        if !status.success() {
            return Err(EditorError::Failed {
                editor: editor.to_string(),
                status: status.to_string(),
            });
        }
        Ok(std::fs::read_to_string(&path)?)
    })();
    scrub(&path);
    result
}

/// Overwrites then removes a file handed to another program (draft, attachment for a
/// viewer); best effort, the folder is in memory anyway.
pub(crate) fn scrub(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path)
        && let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(path)
    {
        let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
        let _ = file.write_all(&zeros);
        let _ = file.sync_all();
    }
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edited_text_comes_back_and_the_file_is_gone() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A scripted "editor" that appends a line.
        let text = edit_in(
            dir.path(),
            "sh -c 'printf \"ajout\\n\" >> \"$0\"'",
            "Bonjour\n",
        )
        .expect("edits");
        assert_eq!(text, "Bonjour\najout\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "no draft left behind"
        );
    }

    #[test]
    fn a_failing_editor_is_reported_and_cleaned_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = edit_in(dir.path(), "false", "x").unwrap_err();
        assert!(matches!(err, EditorError::Failed { .. }), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
