//! IMAP over TLS for MSSanté and ordinary accounts: connection and login (`connect`), the
//! commands (`conn`), the sync engine against a cache trait (`sync`), the offline queue
//! (`queue`), and one session task per account behind a cloneable handle (`session`) with
//! a second connection for IDLE (`idle`).
//!
//! Invariants: no byte of a credential is sent before TLS; there is no plaintext mode;
//! every network wait is bounded; secrets live in zeroizing buffers and never reach logs,
//! errors or events; this module knows nothing of the UI or the store (traits only).

pub mod audit_log;
pub mod backoff;
mod bulk_reader;
pub mod bulk_scan;
pub mod config;
pub mod conn;
pub mod connect;
pub mod error;
pub mod idle;
pub mod known;
pub mod memory;
pub mod mutf7;
pub mod nesting_guard;
pub mod parse;
pub mod preauth;
pub mod queue;
pub mod secret;
pub mod session;
pub mod sync;
pub mod types;

pub use config::{AuthMethod, ImapAccount, Security, Timeouts};
pub use conn::ImapConn;
pub use connect::connect;
pub use error::Error;
pub use session::{ConnState, ImapEvent, ImapHandle, SessionConfig};
pub use sync::{SyncCache, SyncReport, sync_folder};
pub use types::{FetchedEnvelope, Flags, Folder, SpecialUse};
