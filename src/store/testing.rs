//! Fixtures for the crate's own tests: a fresh profile in a temporary
//! folder, opened with a software key standing in for the card.
#![allow(clippy::unwrap_used)] // test fixtures: failing loudly is right

use super::{CreateOptions, Profiles, SoftwareUnwrapper, Store};

/// A new profile without a recovery code, its key (to reopen it) and the
/// opened store; the folder lives as long as the returned `TempDir`.
pub(crate) fn profile(holder: &str) -> (tempfile::TempDir, SoftwareUnwrapper, Store) {
    let dir = tempfile::tempdir().unwrap();
    let card = SoftwareUnwrapper::generate(holder).unwrap();
    let (store, _) = Profiles::new(dir.path())
        .create(
            &card,
            CreateOptions {
                with_recovery_code: false,
            },
        )
        .unwrap();
    (dir, card, store)
}
