//! The Annuaire Santé directory: extraction import, local index, search, FHIR API.
//!
//! Job: turn the national open-data extractions (`PS_LibreAcces_Personne_activite_*`
//! and `Extraction_Correspondance_MSSante_*`) into a compact on-disk index that
//! answers as-you-type searches in milliseconds, and optionally complete it with
//! the Annuaire Santé FHIR API. The directory is public open data (Licence
//! Ouverte 2.0): the index is deliberately stored **unencrypted**; it holds no
//! patient data and no search history (history lives in the encrypted store).
//!
//! Invariants: an import never modifies the index in use; it builds a complete
//! new index folder and switches the `current` link atomically, so a search
//! always sees one whole generation. A malformed line is counted and reported
//! with its number, never silently dropped and never fatal to the import.
//! Nothing here panics on input data: files, index bytes and server answers are
//! all untrusted.

mod build;
mod codec;
mod error;
pub mod fhir;
mod fhir_map;
pub mod generate;
mod handle;
pub mod import;
mod index;
pub mod model;
pub mod normalize;
mod parse;
mod record;
pub mod search;

pub use error::Error;
pub use handle::{DirectoryHandle, SearchReply};
pub use import::{ImportOptions, ImportReport, Malformed, Progress, import_files};
pub use index::{Index, IndexStats};
pub use model::{Activity, Entry, EntryKind, Mailbox, MailboxKind, Origin};
pub use search::{Completion, Query};
