//! What the outbox needs from the outside: durable storage, a way to send,
//! and a way to ask the server whether a message already went out.

use std::future::Future;

use super::{Error, OutboxRecord};
use crate::error::ErrorKind;
use crate::mail::compose::Envelope;

/// Durable storage of outbox records. Each call is atomic: after a crash a
/// record is either in its previous or its new state, never in between.
pub trait OutboxStore: Send + Sync {
    /// Inserts a new record (version 1). Fails with `Exists` if the id is taken.
    fn put(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send;
    /// Replaces the record if its stored version is `record.version`; the
    /// stored copy gets `version + 1`. Fails with `Conflict` otherwise.
    fn update(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send;
    fn get(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<OutboxRecord>, Error>> + Send;
    /// Every record, oldest first.
    fn list(&self) -> impl Future<Output = Result<Vec<OutboxRecord>, Error>> + Send;
    fn remove(&self, message_id: &str) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Why an attempt failed, as the outbox needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Resending the same message can never succeed.
    pub permanent: bool,
    /// The message data may have reached the server before the failure.
    pub outcome_unknown: bool,
    pub kind: ErrorKind,
    /// One sentence for the user (no message content).
    pub reason: String,
}

pub trait Transport: Send + Sync {
    /// Ok carries the server's final reply (its queue id), for the audit trail.
    fn send(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> impl Future<Output = Result<String, SendFailure>> + Send;
}

/// Answers "is a message with this Message-ID already in the Sent folder?"
/// (the IMAP side implements it with `SEARCH HEADER Message-ID`).
pub trait SentChecker: Send + Sync {
    fn is_sent(&self, message_id: &str) -> impl Future<Output = Result<bool, SendFailure>> + Send;
}
