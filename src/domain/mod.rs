//! Plain domain types shared across modules. No I/O here.

pub mod envelope;
pub mod mailbox;
pub mod text;
