//! The durable outbox: every outgoing message is committed to an
//! [`OutboxStore`] before any network step, then moved through
//! `Queued → Sending{attempt} → Sent → Done` (or `Failed`, `Cancelled`) by
//! atomic, versioned state changes.
//!
//! Exactly-once: after a crash at any point a restart finds each record in
//! its last committed state. A record left in `Sending`, or whose last
//! attempt failed after the message data may have reached the server, has an
//! unknown outcome; before it is sent again the [`SentChecker`] is asked
//! whether its Message-ID is already in the Sent folder, and when it cannot
//! answer nothing is sent. The guarantee therefore rests on the checker
//! seeing an accepted message: true where the server files submitted mail
//! itself; with a server that does not, the window is the few milliseconds
//! between the server's `250` and the `Sent` commit. Transient failures are
//! retried with exponential backoff; permanent ones (5xx, too large) stop.
//! One [`Outbox`] owns a store: two runners on one store could both see a
//! stale `Sending` record.

mod engine;
mod error;
pub mod fault;
mod handle;
mod imap_sent;
mod memory;
mod record;
mod sent_log;
mod smtp_transport;
mod store_backed;
pub mod testing;
mod traits;

pub use engine::{Outbox, Outcome, RetryPolicy};
pub use error::Error;
pub use handle::{OutboxHandle, ToFile, spawn_outbox};
pub use imap_sent::ImapSent;
pub use memory::MemoryOutboxStore;
pub use record::{OutboxEntry, OutboxRecord, OutboxState};
pub use sent_log::{MAX_TRACKED, Matched, SentLog, SentMessage};
pub use smtp_transport::SmtpTransport;
pub use store_backed::StoreOutboxStore;
pub use traits::{OutboxStore, SendFailure, SentChecker, Transport};

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod store_tests;
