//! The state machine. Every transition is committed before the step it
//! announces: `Sending` before the SMTP session, `Sent` right after the
//! server's acceptance. A failed commit stops processing (the process may be
//! going down); the next run resumes from what is stored.

use super::{Error, OutboxRecord, OutboxState, OutboxStore, SendFailure, SentChecker, Transport};
use crate::mail::compose::BuiltMessage;

/// Longest wait for the Sent-folder check before deciding "unverified".
const SENT_CHECK_BOUND: std::time::Duration = std::time::Duration::from_secs(120);

/// Exponential backoff for transient failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure, in seconds; doubled each time.
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
    /// Attempts after which a transient failure becomes `Failed`.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base_delay_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// Delay before the attempt following `attempts` failed ones.
    pub fn delay_after(&self, attempts: u32) -> i64 {
        let shift = attempts.saturating_sub(1).min(30);
        self.base_delay_secs
            .saturating_mul(1i64 << shift)
            .min(self.max_delay_secs)
    }
}

/// What one pass did to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the server in this pass.
    Sent {
        message_id: String,
        server_reply: String,
    },
    /// Found already in Sent: the earlier attempt had gone through.
    AlreadySent { message_id: String },
    /// Will be retried at `next_attempt_at`.
    Deferred {
        message_id: String,
        reason: String,
        next_attempt_at: i64,
    },
    /// Given up.
    Failed {
        message_id: String,
        reason: String,
        permanent: bool,
    },
    /// Outcome of an earlier attempt unknown and the Sent check failed:
    /// nothing sent, asked again next pass.
    Unverified { message_id: String, reason: String },
}

pub struct Outbox<S> {
    store: S,
    policy: RetryPolicy,
    /// The server copies submitted mail into Sent itself (no APPEND needed).
    server_files_sent: bool,
}

impl<S: OutboxStore> Outbox<S> {
    pub fn new(store: S, policy: RetryPolicy, server_files_sent: bool) -> Self {
        Self {
            store,
            policy,
            server_files_sent,
        }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Commits the message as `Queued`. Nothing touches the network here.
    pub async fn enqueue(&self, built: BuiltMessage, now: i64) -> Result<String, Error> {
        let record = OutboxRecord::new(built, now);
        let id = record.message_id.clone();
        self.store.put(record).await?;
        super::fault::point(super::fault::AFTER_COMMIT);
        Ok(id)
    }

    pub async fn list(&self) -> Result<Vec<OutboxRecord>, Error> {
        self.store.list().await
    }

    /// One pass over every message due at `now` (and every attempt a crash
    /// interrupted), oldest first.
    pub async fn process_due<T: Transport, C: SentChecker>(
        &self,
        transport: &T,
        checker: &C,
        now: i64,
    ) -> Result<Vec<Outcome>, Error> {
        let mut outcomes = Vec::new();
        for record in self.store.list().await? {
            let due = match record.state {
                OutboxState::Queued => record.next_attempt_at <= now,
                // Only a crash leaves this state behind (one owner per store).
                OutboxState::Sending { .. } => true,
                _ => false,
            };
            if due {
                outcomes.push(self.process_one(record, transport, checker, now).await?);
            }
        }
        Ok(outcomes)
    }

    async fn process_one<T: Transport, C: SentChecker>(
        &self,
        mut record: OutboxRecord,
        transport: &T,
        checker: &C,
        now: i64,
    ) -> Result<Outcome, Error> {
        let message_id = record.message_id.clone();
        if record.outcome_unknown || matches!(record.state, OutboxState::Sending { .. }) {
            // Bounded here too: a checker stuck on a dead IMAP session must
            // not stall the whole queue.
            let answer = tokio::time::timeout(SENT_CHECK_BOUND, checker.is_sent(&message_id))
                .await
                .unwrap_or_else(|_| {
                    Err(SendFailure {
                        permanent: false,
                        outcome_unknown: true,
                        kind: crate::error::ErrorKind::Timeout,
                        reason: "the Sent folder did not answer in time".into(),
                    })
                });
            match answer {
                Ok(true) => {
                    // It is in Sent, so it is filed too.
                    record.state = OutboxState::Done;
                    record.outcome_unknown = false;
                    record.last_error = None;
                    self.store.update(record).await?;
                    return Ok(Outcome::AlreadySent { message_id });
                }
                Ok(false) => {}
                Err(f) => {
                    if matches!(record.state, OutboxState::Sending { .. }) {
                        record.state = OutboxState::Queued;
                        record.outcome_unknown = true;
                    }
                    record.last_error = Some(f.reason.clone());
                    self.store.update(record).await?;
                    return Ok(Outcome::Unverified {
                        message_id,
                        reason: f.reason,
                    });
                }
            }
        }

        record.attempts += 1;
        record.state = OutboxState::Sending {
            attempt: record.attempts,
        };
        self.store.update(record.clone()).await?;
        // The store bumped the version; follow it for the next update.
        record.version += 1;

        match transport.send(&record.envelope, &record.bytes).await {
            Ok(server_reply) => {
                record.state = if self.server_files_sent {
                    OutboxState::Done
                } else {
                    OutboxState::Sent
                };
                record.outcome_unknown = false;
                record.last_error = None;
                self.store.update(record).await?;
                super::fault::point(super::fault::AFTER_DATA);
                Ok(Outcome::Sent {
                    message_id,
                    server_reply,
                })
            }
            Err(f) => self.after_failure(record, f, now).await,
        }
    }

    async fn after_failure(
        &self,
        mut record: OutboxRecord,
        f: SendFailure,
        now: i64,
    ) -> Result<Outcome, Error> {
        let message_id = record.message_id.clone();
        record.last_error = Some(f.reason.clone());
        if f.permanent || record.attempts >= self.policy.max_attempts {
            let permanent = f.permanent;
            // Even a final failure keeps the doubt: a user "retry" must
            // still check Sent first.
            record.outcome_unknown |= f.outcome_unknown;
            record.state = OutboxState::Failed {
                reason: f.reason.clone(),
                permanent,
            };
            self.store.update(record).await?;
            return Ok(Outcome::Failed {
                message_id,
                reason: f.reason,
                permanent,
            });
        }
        record.outcome_unknown |= f.outcome_unknown;
        record.next_attempt_at = now + self.policy.delay_after(record.attempts);
        record.state = OutboxState::Queued;
        let next_attempt_at = record.next_attempt_at;
        self.store.update(record).await?;
        Ok(Outcome::Deferred {
            message_id,
            reason: f.reason,
            next_attempt_at,
        })
    }

    /// Messages accepted by the server whose copy must still be appended to
    /// the Sent folder (then [`Outbox::mark_filed`]).
    pub async fn awaiting_filing(&self) -> Result<Vec<OutboxRecord>, Error> {
        let mut v = self.store.list().await?;
        v.retain(|r| r.state == OutboxState::Sent);
        Ok(v)
    }

    /// After the copy was appended to Sent: `Sent → Done`.
    pub async fn mark_filed(&self, message_id: &str) -> Result<(), Error> {
        self.transition(
            message_id,
            "done",
            |s| matches!(s, OutboxState::Sent),
            |r| r.state = OutboxState::Done,
        )
        .await
    }

    /// Withdraws a message that is not being sent.
    pub async fn cancel(&self, message_id: &str) -> Result<(), Error> {
        self.transition(
            message_id,
            "cancelled",
            |s| matches!(s, OutboxState::Queued | OutboxState::Failed { .. }),
            |r| r.state = OutboxState::Cancelled,
        )
        .await
    }

    /// Puts a failed message back in the queue, due at `now`.
    pub async fn retry(&self, message_id: &str, now: i64) -> Result<(), Error> {
        self.transition(
            message_id,
            "queued",
            |s| matches!(s, OutboxState::Failed { .. }),
            |r| {
                r.state = OutboxState::Queued;
                r.next_attempt_at = now;
                r.attempts = 0;
            },
        )
        .await
    }

    /// Makes every queued message due now (the user's "send now").
    pub async fn flush_now(&self, now: i64) -> Result<(), Error> {
        for mut r in self.store.list().await? {
            if r.state == OutboxState::Queued && r.next_attempt_at > now {
                r.next_attempt_at = now;
                self.store.update(r).await?;
            }
        }
        Ok(())
    }

    /// Drops finished records (`Done`, `Cancelled`).
    pub async fn purge_finished(&self) -> Result<usize, Error> {
        let mut n = 0;
        for r in self.store.list().await? {
            if matches!(r.state, OutboxState::Done | OutboxState::Cancelled) {
                self.store.remove(&r.message_id).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn transition(
        &self,
        message_id: &str,
        to: &'static str,
        allowed: impl Fn(&OutboxState) -> bool,
        change: impl Fn(&mut OutboxRecord),
    ) -> Result<(), Error> {
        let mut r = self
            .store
            .get(message_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                id: message_id.to_string(),
            })?;
        if !allowed(&r.state) {
            return Err(Error::BadTransition {
                id: message_id.to_string(),
                from: r.state.name(),
                to,
            });
        }
        change(&mut r);
        self.store.update(r).await
    }
}
