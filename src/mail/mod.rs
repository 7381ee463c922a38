//! Mail: MIME parsing and rendering, sanitising, threads, XDM, IMAP, SMTP, outbox.

pub mod compose;
pub mod mdn;
pub mod outbox;
pub mod smtp;
