//! Mail: MIME parsing and rendering, sanitising, threads, XDM, IMAP, SMTP, outbox.
pub mod mime;
pub mod render;
pub mod search;
pub mod thread;
pub mod xdm;
