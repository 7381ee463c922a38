//! The built-in demo: a generated practice mailbox (no server, no real data).
//!
//! Everything here is fictional and generated from a seed, so the same seed
//! always gives the same mailbox (snapshot tests rely on it). Names, addresses
//! and patients are invented; domains end in `.test`.

mod corpus;
mod mailbox;
mod mailbox_raw;
mod mailbox_search;
mod mailbox_source;
#[cfg(test)]
mod mailbox_tests;
pub mod records;

/// The simulated demo card's PIN, shown on the login and lock screens.
pub const DEMO_PIN: &str = "1234";
pub use mailbox::{DemoMailbox, generate};
pub use mailbox_raw::RawFolder;
