//! An in-memory [`OutboxStore`] (no file at all): for tests, for the demo
//! mode, and as the executable specification of the store contract.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Error, OutboxRecord, OutboxStore};

#[derive(Clone, Default)]
pub struct MemoryOutboxStore {
    inner: Arc<Mutex<BTreeMap<String, OutboxRecord>>>,
}

impl MemoryOutboxStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding exactly these records (as a restart would find them).
    pub fn from_records(records: Vec<OutboxRecord>) -> Self {
        let map = records
            .into_iter()
            .map(|r| (r.message_id.clone(), r))
            .collect();
        Self {
            inner: Arc::new(Mutex::new(map)),
        }
    }

    /// Copy of every committed record.
    pub fn records(&self) -> Result<Vec<OutboxRecord>, Error> {
        let mut v: Vec<_> = self.lock()?.values().cloned().collect();
        v.sort_by(|a, b| (a.created_at, &a.message_id).cmp(&(b.created_at, &b.message_id)));
        Ok(v)
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<String, OutboxRecord>>, Error> {
        self.inner
            .lock()
            .map_err(|_| Error::Store("outbox memory store poisoned".into()))
    }

    fn put_now(&self, mut record: OutboxRecord) -> Result<(), Error> {
        let mut map = self.lock()?;
        if map.contains_key(&record.message_id) {
            return Err(Error::Exists {
                id: record.message_id,
            });
        }
        record.version = 1;
        map.insert(record.message_id.clone(), record);
        Ok(())
    }

    fn update_now(&self, mut record: OutboxRecord) -> Result<(), Error> {
        let mut map = self.lock()?;
        let Some(stored) = map.get_mut(&record.message_id) else {
            return Err(Error::NotFound {
                id: record.message_id,
            });
        };
        if stored.version != record.version {
            return Err(Error::Conflict {
                id: record.message_id,
                expected: record.version,
            });
        }
        record.version += 1;
        *stored = record;
        Ok(())
    }
}

impl OutboxStore for MemoryOutboxStore {
    fn put(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send {
        std::future::ready(self.put_now(record))
    }

    fn update(&self, record: OutboxRecord) -> impl Future<Output = Result<(), Error>> + Send {
        std::future::ready(self.update_now(record))
    }

    fn get(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<OutboxRecord>, Error>> + Send {
        std::future::ready(self.lock().map(|m| m.get(message_id).cloned()))
    }

    fn list(&self) -> impl Future<Output = Result<Vec<OutboxRecord>, Error>> + Send {
        std::future::ready(self.records())
    }

    fn remove(&self, message_id: &str) -> impl Future<Output = Result<(), Error>> + Send {
        let res = self.lock().and_then(|mut m| {
            m.remove(message_id)
                .map(|_| ())
                .ok_or_else(|| Error::NotFound {
                    id: message_id.to_string(),
                })
        });
        std::future::ready(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::compose::{BuiltMessage, Envelope};
    use crate::mail::outbox::OutboxState;

    fn rec(id: &str) -> OutboxRecord {
        let built = BuiltMessage {
            message_id: id.into(),
            envelope: Envelope {
                from: "a@x.test".into(),
                recipients: vec!["b@x.test".into()],
            },
            bytes: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
        };
        OutboxRecord::new(built, 10)
    }

    #[tokio::test]
    async fn versions_make_updates_atomic() {
        let s = MemoryOutboxStore::new();
        s.put(rec("1@x.test")).await.unwrap();
        assert!(matches!(
            s.put(rec("1@x.test")).await,
            Err(Error::Exists { .. })
        ));
        let mut r = s.get("1@x.test").await.unwrap().unwrap();
        assert_eq!(r.version, 1);
        let stale = r.clone();
        r.state = OutboxState::Sending { attempt: 1 };
        s.update(r).await.unwrap();
        assert!(matches!(s.update(stale).await, Err(Error::Conflict { .. })));
        let now = s.get("1@x.test").await.unwrap().unwrap();
        assert_eq!(
            (now.version, now.state),
            (2, OutboxState::Sending { attempt: 1 })
        );
        s.remove("1@x.test").await.unwrap();
        assert!(s.list().await.unwrap().is_empty());
        assert!(matches!(
            s.remove("1@x.test").await,
            Err(Error::NotFound { .. })
        ));
    }
}
