//! The built-in demo: a generated practice mailbox (no server, no real data).
//!
//! Everything here is fictional and generated from a seed, so the same seed
//! always gives the same mailbox (snapshot tests rely on it). Names, addresses
//! and patients are invented; domains end in `.test`.

mod card;
mod corpus;
mod mailbox;
pub mod records;

pub use card::{DEMO_PIN, DemoCard};
pub use mailbox::{DemoMailbox, generate};
