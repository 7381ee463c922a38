//! The append-only, hash-chained audit trail (Ségur SC.MSS/CONF.17 and 18):
//! who (holder IDNPS), when (UTC), what action, on which target (hashed when
//! it names a patient, an address, a mailbox or a message), the protocol
//! request summary and the server's response code, and the outcome. Never
//! message content: callers pass summaries such as `UID STORE 42 +FLAGS
//! (\Deleted)`, and targets go through [`Target`], which hashes.
//!
//! Entries live inside the profile's encrypted store (tree `audit`, keyed by
//! sequence number). Each entry carries its sequence number and the SHA-256
//! of the previous entry; a sealed head record (last seq and hash) is updated
//! in the same atomic batch as each append, and a sealed anchor records the
//! pruned prefix ("pruned up to N with hash H"), so [`verify`] detects a
//! changed, removed, reordered or truncated entry, and pruning for retention
//! keeps the rest verifiable.

pub mod chain;
pub mod entry;
pub mod error;
pub mod export;
pub mod trail;

pub use chain::{ChainBreak, ChainFault};
pub use entry::{Action, AuditEvent, Entry, Outcome, Target};
pub use error::Error;
pub use export::{ExportFormat, ExportRecord, export};
pub use trail::{
    AuditPage, AuditQuery, AuditReport, DEFAULT_RETENTION_DAYS, Retention, append, append_at,
    apply_retention, prune_older_than, query, target_text, verify,
};
