//! [`OutboxStore`] over the encrypted store: records keyed by Message-ID in
//! the store's outbox tree, each write flushed before it returns. Versions
//! are checked on the store thread, inside the same call as the write, so
//! compare-and-swap is atomic against every other user of the store.

use super::{Error, OutboxRecord, OutboxStore};
use crate::store::StoreHandle;

#[derive(Clone, Debug)]
pub struct StoreOutboxStore {
    store: StoreHandle,
}

impl StoreOutboxStore {
    pub fn new(store: StoreHandle) -> Self {
        Self { store }
    }

    pub fn handle(&self) -> &StoreHandle {
        &self.store
    }
}

fn store_err(e: crate::store::Error) -> Error {
    Error::Store(Box::new(e))
}

impl OutboxStore for StoreOutboxStore {
    async fn put(&self, mut record: OutboxRecord) -> Result<(), Error> {
        record.version = 1;
        self.store
            .call_async(move |s| {
                let id = record.message_id.clone();
                match s.outbox_record::<OutboxRecord>(&id) {
                    Ok(Some(_)) => Err(Error::Exists { id }),
                    Ok(None) => s.put_outbox_record(&id, &record).map_err(store_err),
                    Err(e) => Err(store_err(e)),
                }
            })
            .await
            .map_err(store_err)?
    }

    async fn update(&self, record: OutboxRecord) -> Result<(), Error> {
        self.store
            .call_async(move |s| {
                let id = record.message_id.clone();
                let expected = record.version;
                let stored = s
                    .outbox_record::<OutboxRecord>(&id)
                    .map_err(store_err)?
                    .ok_or_else(|| Error::NotFound { id: id.clone() })?;
                if stored.version != expected {
                    return Err(Error::Conflict { id, expected });
                }
                let mut next = record;
                next.version = expected + 1;
                s.put_outbox_record(&id, &next).map_err(store_err)
            })
            .await
            .map_err(store_err)?
    }

    async fn get(&self, message_id: &str) -> Result<Option<OutboxRecord>, Error> {
        let id = message_id.to_string();
        self.store
            .call_async(move |s| s.outbox_record::<OutboxRecord>(&id).map_err(store_err))
            .await
            .map_err(store_err)?
    }

    async fn list(&self) -> Result<Vec<OutboxRecord>, Error> {
        let mut v = self
            .store
            .call_async(|s| s.outbox_records::<OutboxRecord>().map_err(store_err))
            .await
            .map_err(store_err)??;
        v.sort_by(|a, b| (a.created_at, &a.message_id).cmp(&(b.created_at, &b.message_id)));
        Ok(v)
    }

    async fn remove(&self, message_id: &str) -> Result<(), Error> {
        let id = message_id.to_string();
        self.store
            .call_async(move |s| s.remove_outbox_record(&id).map_err(store_err))
            .await
            .map_err(store_err)?
    }
}
