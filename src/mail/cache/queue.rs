//! [`StoreOpQueue`]: the durable queue of mail changes of one account, in the
//! encrypted store. A push is on disk (fsync) before it returns, so a change
//! acknowledged to the user survives a crash; an op is removed only when the
//! session acknowledges it (after the server accepted it). Replaying an op
//! twice is harmless (see `imap::queue`), so a crash between the server's
//! answer and the removal costs nothing.

use crate::mail::imap::queue::{OpQueue, PendingOp};
use crate::mail::imap::sync::BackendError;
use crate::store::StoreHandle;

use super::error::{Error, boxed};

#[derive(Clone, Debug)]
pub struct StoreOpQueue {
    store: StoreHandle,
    account: String,
}

impl StoreOpQueue {
    pub fn new(store: StoreHandle, account: &str) -> Self {
        StoreOpQueue {
            store,
            account: account.to_string(),
        }
    }

    fn entries(&self) -> Result<Vec<(u64, PendingOp)>, Error> {
        let account = self.account.clone();
        self.store
            .call(move |s| -> Result<Vec<(u64, PendingOp)>, Error> {
                s.queue(&account)?
                    .into_iter()
                    .map(|(seq, v)| Ok((seq, serde_json::from_slice(&v)?)))
                    .collect()
            })?
    }
}

impl OpQueue for StoreOpQueue {
    fn push(&mut self, op: PendingOp) -> Result<(), BackendError> {
        let account = self.account.clone();
        let bytes = serde_json::to_vec(&op).map_err(boxed)?;
        self.store
            .call(move |s| s.queue_push(&account, &bytes))
            .map_err(boxed)?
            .map_err(boxed)?;
        Ok(())
    }

    fn pending(&self) -> Result<Vec<PendingOp>, BackendError> {
        Ok(self
            .entries()
            .map_err(boxed)?
            .into_iter()
            .map(|(_, op)| op)
            .collect())
    }

    fn ack(&mut self, id: &str) -> Result<(), BackendError> {
        let seqs: Vec<u64> = self
            .entries()
            .map_err(boxed)?
            .into_iter()
            .filter(|(_, op)| op.id == id)
            .map(|(seq, _)| seq)
            .collect();
        let account = self.account.clone();
        self.store
            .call(move |s| -> Result<(), crate::store::Error> {
                for seq in seqs {
                    s.queue_remove(&account, seq)?;
                }
                Ok(())
            })
            .map_err(boxed)?
            .map_err(boxed)
    }
}
