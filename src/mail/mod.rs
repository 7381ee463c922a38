//! Mail: MIME parsing and rendering, sanitising, threads, XDM, IMAP, SMTP, outbox.
pub mod imap;
