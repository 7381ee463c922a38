//! Test-only crash points: when `CACHET_TEST_FAULT` names a point, the
//! process kills itself with SIGKILL there (no destructor, no flush), which
//! is how the crash tests stop the sending process at an exact step. Only
//! in debug builds: a release binary ignores the variable.

/// Environment variable naming the point to die at.
pub const FAULT_ENV: &str = "CACHET_TEST_FAULT";

/// The message is committed to the outbox, before any network step.
pub const AFTER_COMMIT: &str = "after-commit";
/// The server accepted the DATA and the `Sent` state is committed, before
/// the copy is appended to the Sent folder.
pub const AFTER_DATA: &str = "after-data";
/// The copy is in the Sent folder, before the record is marked filed.
pub const AFTER_APPEND: &str = "after-append";

/// Dies here when the test asked for it.
pub fn point(name: &str) {
    if cfg!(debug_assertions) && std::env::var(FAULT_ENV).is_ok_and(|v| v == name) {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        // SIGKILL cannot be caught; should it fail to be sent, stop anyway.
        std::process::abort();
    }
}
