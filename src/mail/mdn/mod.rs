//! Read receipts (MDN, RFC 8098) as MSSanté uses them, and the matching of
//! incoming MDNs and DSNs (RFC 3464) to the messages we sent.
//!
//! Invariants: a receipt is never sent automatically when the address asking
//! for it differs from the Return-Path (RFC 8098 §2.1, ANS IG) — the user is
//! asked; no receipt is ever produced for a report (no MDN loops); the MDN
//! goes out with a null reverse path so it can never bounce back. Everything
//! here is pure: the MIME parser extracts the fields, the outbox sends.

mod build;
mod from_mime;
mod request;
mod track;

pub use build::{Mdn, SendingMode, build_mdn};
pub use from_mime::report_fields;
pub use request::{AskReason, ReceiptDecision, ReceiptRequest, decide};
pub use track::{DsnRecipient, ReportFields, ReportKind, TrackedStatus, advance, match_report};
