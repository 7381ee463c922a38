//! Shared helpers for integration tests that talk to the real loopback stack.
//!
//! `scripts/test.sh` starts the servers (tests/stack/start-all.sh), which write
//! `KEY=value` lines to `$STACK_DIR/stack.env`, and exports
//! `CACHET_STACK_ENV=<that file>` and `CACHET_REQUIRE_STACK=1` before running
//! `cargo nextest`. A test that needs a server calls [`stack`]: without the
//! stack it is skipped with a message when run by hand (`cargo test`), and it
//! fails when the stack was required (CI), so CI can never pass vacuously.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

/// The running stack's settings, read from `stack.env`.
#[derive(Debug, Clone)]
pub struct Stack {
    values: HashMap<String, String>,
}

impl Stack {
    /// A value from stack.env; panics with a clear message when missing
    /// (a test bug or a stack script bug, never an environment condition).
    pub fn get(&self, key: &str) -> String {
        match self.values.get(key) {
            Some(v) => v.clone(),
            None => panic!("stack.env has no {key}; keys: {:?}", self.values.keys()),
        }
    }

    pub fn get_opt(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    pub fn port(&self, key: &str) -> u16 {
        let v = self.get(key);
        v.parse()
            .unwrap_or_else(|_| panic!("{key}={v} is not a port"))
    }

    pub fn path(&self, key: &str) -> PathBuf {
        PathBuf::from(self.get(key))
    }
}

/// The stack, or `None` (after printing why) when it is not running and not required.
pub fn stack(test: &str) -> Option<Stack> {
    let required = std::env::var("CACHET_REQUIRE_STACK").is_ok_and(|v| v == "1");
    let Ok(file) = std::env::var("CACHET_STACK_ENV") else {
        assert!(
            !required,
            "{test}: CACHET_REQUIRE_STACK=1 but CACHET_STACK_ENV is unset"
        );
        eprintln!("{test}: skipped, the loopback stack is not running (use scripts/test.sh)");
        return None;
    };
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{test}: cannot read CACHET_STACK_ENV={file}: {e}"));
    let values = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect();
    Some(Stack { values })
}

/// Every file under `dir` (recursively) whose extension is one of
/// `extensions`, sorted: the corpus' samples in a stable order.
pub fn files_under(dir: &std::path::Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The shared corpus: `$CACHET_CORPUS_DIR`, else `../shared/corpus` when
/// present (CI has it), else `None`.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CACHET_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.is_dir().then_some(dir)
}

/// A fresh profile in a temporary folder, opened with a software key
/// standing in for the card (kept, to reopen the profile), without a
/// recovery code.
#[allow(clippy::expect_used)] // a test fixture: failing loudly is right
pub fn new_profile(
    holder: &str,
) -> (
    tempfile::TempDir,
    cachet::store::SoftwareUnwrapper,
    cachet::store::Store,
) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let card = cachet::store::SoftwareUnwrapper::generate(holder).expect("a software key");
    let (store, _) = cachet::store::Profiles::new(dir.path())
        .create(
            &card,
            cachet::store::CreateOptions {
                with_recovery_code: false,
            },
        )
        .expect("a new profile");
    (dir, card, store)
}

/// [`new_profile`] on its own thread, as the application holds it.
#[allow(clippy::expect_used)] // a test fixture: failing loudly is right
pub fn new_store(holder: &str) -> (tempfile::TempDir, cachet::store::StoreHandle) {
    let (dir, _, store) = new_profile(holder);
    (
        dir,
        cachet::store::StoreHandle::spawn(store).expect("the store thread"),
    )
}
