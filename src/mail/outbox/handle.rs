//! The outbox's single owner: a task holding the [`Outbox`], the transport
//! and the Sent checker, driven through a cloneable [`OutboxHandle`]. Every
//! request carries a oneshot reply; requests are served one at a time, which
//! is what makes a `Sending` record found by a pass necessarily stale. The
//! owner never schedules itself: the runtime sends `process_due` on its own
//! timer (and after a reconnect), so tests drive time explicitly.

use tokio::sync::{mpsc, oneshot};

use super::{Error, Outbox, OutboxEntry, OutboxStore, Outcome, SentChecker, Transport};
use crate::mail::compose::BuiltMessage;

enum Request {
    Enqueue {
        built: Box<BuiltMessage>,
        now: i64,
        reply: oneshot::Sender<Result<String, Error>>,
    },
    List {
        reply: oneshot::Sender<Result<Vec<OutboxEntry>, Error>>,
    },
    ProcessDue {
        now: i64,
        reply: oneshot::Sender<Result<Vec<Outcome>, Error>>,
    },
    Flush {
        now: i64,
        reply: oneshot::Sender<Result<Vec<Outcome>, Error>>,
    },
    AwaitingFiling {
        reply: oneshot::Sender<Result<Vec<ToFile>, Error>>,
    },
    MarkFiled {
        id: String,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Cancel {
        id: String,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Retry {
        id: String,
        now: i64,
        reply: oneshot::Sender<Result<(), Error>>,
    },
}

/// An accepted message whose copy belongs in the Sent folder.
pub struct ToFile {
    pub message_id: String,
    pub bytes: Vec<u8>,
}

#[derive(Clone)]
pub struct OutboxHandle {
    tx: mpsc::Sender<Request>,
}

/// Starts the owner task on the current tokio runtime.
pub fn spawn_outbox<S, T, C>(outbox: Outbox<S>, transport: T, checker: C) -> OutboxHandle
where
    S: OutboxStore + 'static,
    T: Transport + 'static,
    C: SentChecker + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Request>(32);
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            // A dropped reply receiver only means the caller lost interest.
            match req {
                Request::Enqueue { built, now, reply } => {
                    let _ = reply.send(outbox.enqueue(*built, now).await);
                }
                Request::List { reply } => {
                    let r = outbox
                        .list()
                        .await
                        .map(|v| v.iter().map(OutboxEntry::from).collect());
                    let _ = reply.send(r);
                }
                Request::ProcessDue { now, reply } => {
                    let _ = reply.send(outbox.process_due(&transport, &checker, now).await);
                }
                Request::Flush { now, reply } => {
                    let r = match outbox.flush_now(now).await {
                        Ok(()) => outbox.process_due(&transport, &checker, now).await,
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(r);
                }
                Request::AwaitingFiling { reply } => {
                    let r = outbox.awaiting_filing().await.map(|v| {
                        v.into_iter()
                            .map(|r| ToFile {
                                message_id: r.message_id,
                                bytes: r.bytes,
                            })
                            .collect()
                    });
                    let _ = reply.send(r);
                }
                Request::MarkFiled { id, reply } => {
                    let _ = reply.send(outbox.mark_filed(&id).await);
                }
                Request::Cancel { id, reply } => {
                    let _ = reply.send(outbox.cancel(&id).await);
                }
                Request::Retry { id, now, reply } => {
                    let _ = reply.send(outbox.retry(&id, now).await);
                }
            }
        }
    });
    OutboxHandle { tx }
}

impl OutboxHandle {
    async fn ask<R>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<R, Error>>) -> Request,
    ) -> Result<R, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Commits the message; returns its Message-ID. No network step.
    pub async fn enqueue(&self, built: BuiltMessage, now: i64) -> Result<String, Error> {
        self.ask(|reply| Request::Enqueue {
            built: Box::new(built),
            now,
            reply,
        })
        .await
    }

    pub async fn list(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.ask(|reply| Request::List { reply }).await
    }

    pub async fn process_due(&self, now: i64) -> Result<Vec<Outcome>, Error> {
        self.ask(|reply| Request::ProcessDue { now, reply }).await
    }

    /// Makes every queued message due and runs a pass ("send now").
    pub async fn flush(&self, now: i64) -> Result<Vec<Outcome>, Error> {
        self.ask(|reply| Request::Flush { now, reply }).await
    }

    /// Each accepted message to APPEND to Sent.
    pub async fn awaiting_filing(&self) -> Result<Vec<ToFile>, Error> {
        self.ask(|reply| Request::AwaitingFiling { reply }).await
    }

    pub async fn mark_filed(&self, id: &str) -> Result<(), Error> {
        self.ask(|reply| Request::MarkFiled {
            id: id.to_string(),
            reply,
        })
        .await
    }

    pub async fn cancel(&self, id: &str) -> Result<(), Error> {
        self.ask(|reply| Request::Cancel {
            id: id.to_string(),
            reply,
        })
        .await
    }

    pub async fn retry(&self, id: &str, now: i64) -> Result<(), Error> {
        self.ask(|reply| Request::Retry {
            id: id.to_string(),
            now,
            reply,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::compose::Envelope;
    use crate::mail::outbox::testing::{RecordingSentChecker, RecordingTransport};
    use crate::mail::outbox::{MemoryOutboxStore, OutboxState, RetryPolicy};

    #[tokio::test]
    async fn clones_share_one_owner() {
        let t = RecordingTransport::default();
        let h = spawn_outbox(
            Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false),
            t.clone(),
            RecordingSentChecker(t.clone()),
        );
        let h2 = h.clone();
        let built = BuiltMessage {
            message_id: "1@x.test".into(),
            envelope: Envelope {
                from: "a@x.test".into(),
                recipients: vec!["b@x.test".into()],
            },
            bytes: b"Message-ID: <1@x.test>\r\n\r\nx\r\n".to_vec(),
        };
        h.enqueue(built, 0).await.unwrap();
        assert_eq!(h2.list().await.unwrap()[0].state, OutboxState::Queued);
        let out = h2.flush(0).await.unwrap();
        assert!(
            matches!(out.as_slice(), [Outcome::Sent { message_id, .. }] if message_id == "1@x.test"),
            "{out:?}"
        );
        let to_file = h.awaiting_filing().await.unwrap();
        assert_eq!(to_file.len(), 1);
        assert_eq!(to_file[0].message_id, "1@x.test");
        h.mark_filed("1@x.test").await.unwrap();
        assert_eq!(h.list().await.unwrap()[0].state, OutboxState::Done);
        assert_eq!(t.delivered(), ["1@x.test"]);
        assert!(matches!(
            h.cancel("1@x.test").await,
            Err(Error::BadTransition { .. })
        ));
    }
}
