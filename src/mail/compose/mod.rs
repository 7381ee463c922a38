//! Building outgoing RFC 5322 messages: a [`Draft`] (recipients, subject, text,
//! attachments, MSSanté headers) becomes the exact bytes handed to SMTP plus
//! the SMTP envelope. Invariants: Bcc recipients are in the envelope and never
//! in the headers; every message gets a Message-ID in the sender's domain
//! before it is committed to the outbox, so the outbox can track it across
//! crashes; attachments travel as base64 and come back byte-identical.

mod address;
mod draft;
mod error;
mod message_id;
mod reply;
mod subject;

pub use address::Mailbox;
pub use draft::{Attachment, BuiltMessage, Draft, Envelope, MssHeaders};
pub use error::Error;
pub use message_id::new_message_id;
pub use reply::{Original, forward, reply, reply_all};
pub use subject::{forward_subject, reply_subject};
