//! The encrypted mail cache: what the IMAP sync writes and what the mailbox,
//! the CLI and offline work read. Everything lives in the profile's store
//! (sealed values, hashed keys): per message a summary and, once fetched, the
//! raw body; per folder a precomputed ordered index (thread and sort orders
//! with depth and flag bytes) so a 100k folder opens by decrypting one small
//! record and the rows on screen; a full-text index with HMAC-keyed terms;
//! the durable queue of changes made offline.
//!
//! - [`StoreSyncCache`] and [`StoreOpQueue`]: the `imap::sync` and
//!   `imap::queue` traits over the store, for one account;
//! - [`reader`]: offline reads (ordered view, rows, bodies, search, folders);
//! - [`AccountSync`]: the per-account service that owns the IMAP session
//!   (sync passes, IDLE, reconnects, the queue) and reports [`AccountEvent`]s.
//!
//! Invariants: nothing here imports `app` or `ui`; no plaintext leaves the
//! store except through the caller's own memory; the sync point is written
//! after the data it covers.

pub mod account;
pub mod audit;
pub mod error;
pub mod import;
pub mod index;
pub mod pages;
pub mod postings;
pub mod queue;
pub mod reader;
mod record_reader;
pub mod source;
pub mod store_cache;
pub mod summary;
pub mod summary_codec;

pub use account::{AccountEvent, AccountSync, ColdSyncOptions, SyncPassOptions, cold_sync_folder};
pub use error::Error;
pub use queue::StoreOpQueue;
pub use reader::{FolderView, ViewOptions, first_screen};
pub use source::CachedMailSource;
pub use store_cache::{CacheOptions, StoreSyncCache};
