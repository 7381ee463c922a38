//! Mail: MIME parsing and rendering, sanitising, threads, XDM, IMAP, SMTP, outbox.

pub mod cache;
pub mod compose;
pub mod imap;
pub mod mdn;
pub mod mime;
pub mod outbox;
pub mod protect;
pub mod render;
pub mod search;
pub mod smtp;
pub mod thread;
pub mod trust;
pub mod xdm;
