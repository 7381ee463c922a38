//! What became of the messages we sent: one entry per Message-ID accepted by
//! the server, with the status the receipts (MDN) and delivery reports (DSN)
//! brought back. Kept in the encrypted store as one setting (the most recent
//! [`MAX_TRACKED`] messages), updated on the store thread so two writers
//! never lose each other's news.

use crate::mail::mdn::{ReportFields, TrackedStatus, advance, match_report};
use crate::store::StoreHandle;

use super::Error;

const SETTING: &str = "mail.sent-messages";
/// Older entries are dropped past this count.
pub const MAX_TRACKED: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentMessage {
    /// Without brackets.
    pub message_id: String,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    /// Unix seconds.
    pub sent_at: i64,
    pub receipt_requested: bool,
    pub status: TrackedStatus,
    pub updated_at: i64,
}

/// A report that changed a tracked message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub message_id: String,
    pub status: TrackedStatus,
}

#[derive(Clone, Debug)]
pub struct SentLog {
    store: StoreHandle,
}

fn store_err(e: crate::store::Error) -> Error {
    Error::Store(Box::new(e))
}

fn load(s: &crate::store::Store) -> Result<Vec<SentMessage>, Error> {
    Ok(s.setting::<Vec<SentMessage>>(SETTING)
        .map_err(store_err)?
        .unwrap_or_default())
}

impl SentLog {
    pub fn new(store: StoreHandle) -> Self {
        Self { store }
    }

    /// Adds a message (idempotent: a Message-ID already there is kept as is).
    pub async fn record(&self, message: SentMessage) -> Result<(), Error> {
        self.store
            .call_async(move |s| {
                let mut all = load(s)?;
                if all.iter().any(|m| m.message_id == message.message_id) {
                    return Ok(());
                }
                all.push(message);
                if all.len() > MAX_TRACKED {
                    let extra = all.len() - MAX_TRACKED;
                    all.drain(..extra);
                }
                s.put_setting(SETTING, &all).map_err(store_err)
            })
            .await
            .map_err(store_err)?
    }

    /// Every tracked message, oldest first.
    pub async fn list(&self) -> Result<Vec<SentMessage>, Error> {
        self.store
            .call_async(|s| load(s))
            .await
            .map_err(store_err)?
    }

    /// Applies reports (MDN, DSN) to the tracked messages; returns those that
    /// matched a message, with the resulting status.
    pub async fn apply(&self, reports: Vec<ReportFields>, now: i64) -> Result<Vec<Matched>, Error> {
        self.store
            .call_async(move |s| {
                let mut all = load(s)?;
                let mut matched = Vec::new();
                for report in &reports {
                    let ids: Vec<&str> = all.iter().map(|m| m.message_id.as_str()).collect();
                    let Some((id, status)) = match_report(ids, report) else {
                        continue;
                    };
                    if let Some(m) = all.iter_mut().find(|m| m.message_id == id) {
                        let next = advance(&m.status, status);
                        if next != m.status {
                            m.status = next;
                            m.updated_at = now;
                        }
                        matched.push(Matched {
                            message_id: id,
                            status: m.status.clone(),
                        });
                    }
                }
                if !matched.is_empty() {
                    s.put_setting(SETTING, &all).map_err(store_err)?;
                }
                Ok(matched)
            })
            .await
            .map_err(store_err)?
    }
}
