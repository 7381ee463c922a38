//! One folder per screen: its state, its update functions, its view, its tests.

pub mod audit;
pub mod compose;
pub mod directory;
pub mod help;
pub mod login;
pub mod mailbox;
pub mod outbox;
pub mod reader;
pub mod receipt;
pub mod records;
