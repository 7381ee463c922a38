//! The trail inside a profile: append, query, prune and verify. All of it
//! runs on the store thread (call through `StoreHandle::call`). An append
//! writes the entry and the new head in one durable batch, so an
//! acknowledged entry survives a crash and the head never runs ahead of it.

use time::OffsetDateTime;

use super::chain::{Anchor, ChainBreak, ChainFault, Head, Verifier, entry_hash};
use super::entry::{Action, AuditEvent, Entry, Outcome, Target};
use super::error::Error;
use crate::store::layout::tail_u64;
use crate::store::{Batch, Durability, Order, Store, TailRange, Tree};

/// Recommended retention (Réf. #2 §5: 6 months).
pub const DEFAULT_RETENTION_DAYS: u32 = 183;
const ANCHOR_KEY: &[u8] = b"audit-anchor";
const HEAD_KEY: &[u8] = b"audit-head";
const CHUNK: usize = 512;

/// How long entries are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// A filter for the audit screen. Results come newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Empty: every action.
    pub actions: Vec<Action>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub outcome: Option<Outcome>,
    /// Only entries about this target (compared through its keyed hash).
    pub target: Option<Target>,
    /// Page cursor: only entries with a smaller sequence number.
    pub before_seq: Option<u64>,
    pub limit: usize,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<Entry>,
    /// Cursor for the next (older) page; `None` at the end.
    pub next_before_seq: Option<u64>,
}

/// The result of [`verify`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub entries: u64,
    pub pruned_upto: u64,
    /// The first break, if any.
    pub fault: Option<ChainBreak>,
}

impl AuditReport {
    pub fn is_ok(&self) -> bool {
        self.fault.is_none()
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn read_meta<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &[u8],
) -> Result<Option<T>, Error> {
    match store.get(Tree::Meta, key)? {
        Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
        None => Ok(None),
    }
}

fn anchor(store: &Store) -> Result<Anchor, Error> {
    Ok(read_meta(store, ANCHOR_KEY)?.unwrap_or_default())
}

fn head(store: &Store) -> Result<Option<Head>, Error> {
    read_meta(store, HEAD_KEY)
}

/// The stored form of a target (`kind:keyed-hash`, or `label:text`), for
/// searching the trail for a known patient, address or message.
pub fn target_text(store: &Store, t: &Target) -> Result<String, Error> {
    let (kind, value, hashed) = t.parts();
    if hashed {
        Ok(format!(
            "{kind}:{}",
            store.keyed_hash_hex(&format!("audit-{kind}"), value.as_bytes())?
        ))
    } else {
        Ok(format!("{kind}:{value}"))
    }
}

/// Stages an entry after `head` into `batch`; returns the new head.
fn stage(
    store: &Store,
    batch: &mut Batch<'_>,
    head: Option<&Head>,
    anchor: &Anchor,
    event: &AuditEvent,
    at: OffsetDateTime,
) -> Result<(Entry, Head), Error> {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash.clone()),
        None => (anchor.pruned_upto + 1, anchor.hash.clone()),
    };
    let entry = Entry {
        seq,
        at_ms: ms(at),
        holder: store.holder_id().to_string(),
        action: event.action,
        target: event
            .target
            .as_ref()
            .map(|t| target_text(store, t))
            .transpose()?,
        request: event.request.clone(),
        response: event.response.clone(),
        outcome: event.outcome,
        prev,
    };
    let new_head = Head {
        seq,
        hash: entry_hash(&entry),
    };
    batch.put(
        Tree::Audit,
        &seq.to_be_bytes(),
        &serde_json::to_vec(&entry)?,
    )?;
    batch.put(Tree::Meta, HEAD_KEY, &serde_json::to_vec(&new_head)?)?;
    Ok((entry, new_head))
}

/// Appends an event now; durable when this returns.
pub fn append(store: &Store, event: &AuditEvent) -> Result<Entry, Error> {
    append_at(store, event, now())
}

/// Appends an event with an explicit time (imports, tests).
pub fn append_at(store: &Store, event: &AuditEvent, at: OffsetDateTime) -> Result<Entry, Error> {
    let head = head(store)?;
    let anchor = anchor(store)?;
    let mut batch = store.batch()?;
    let (entry, _) = stage(store, &mut batch, head.as_ref(), &anchor, event, at)?;
    batch.commit(Durability::Flush)?;
    Ok(entry)
}

/// Entries by sequence, ascending, from `from_seq`, in chunks; `f` gets the
/// key's sequence number and the entry (or why it could not be read) and
/// returns whether to go on.
fn for_each_from(
    store: &Store,
    from_seq: u64,
    mut f: impl FnMut(u64, Result<Entry, Error>) -> Result<bool, Error>,
) -> Result<(), Error> {
    let mut next = from_seq;
    loop {
        let from = next.to_be_bytes();
        let tails = store.tails(
            Tree::Audit,
            TailRange {
                from: Some(&from),
                to: None,
            },
            CHUNK,
        )?;
        for tail in &tails {
            let seq = tail_u64(tail).ok_or_else(|| crate::store::Error::integrity("audit key"))?;
            let entry = match store.get(Tree::Audit, tail) {
                Ok(Some(v)) => serde_json::from_slice::<Entry>(&v).map_err(Error::from),
                Ok(None) => continue,
                Err(e) => Err(e.into()),
            };
            if !f(seq, entry)? {
                return Ok(());
            }
            next = match seq.checked_add(1) {
                Some(n) => n,
                None => return Ok(()),
            };
        }
        if tails.len() < CHUNK {
            return Ok(());
        }
    }
}

/// Checks the whole trail: every entry decrypts, keys match sequence
/// numbers, links match hashes, and the chain reaches the recorded head.
pub fn verify(store: &Store) -> Result<AuditReport, Error> {
    let anchor = anchor(store)?;
    let head = head(store)?;
    let mut v = Verifier::new(&anchor);
    let mut fault = None;
    for_each_from(store, anchor.pruned_upto + 1, |key_seq, entry| {
        let e = match entry {
            Ok(e) => e,
            Err(_) => {
                fault = Some(ChainBreak {
                    seq: key_seq,
                    fault: ChainFault::Unreadable,
                });
                return Ok(false);
            }
        };
        if e.seq != key_seq {
            fault = Some(ChainBreak {
                seq: key_seq,
                fault: ChainFault::Reordered,
            });
            return Ok(false);
        }
        if let Err(b) = v.push(&e) {
            fault = Some(b);
            return Ok(false);
        }
        Ok(true)
    })?;
    let entries = match fault {
        Some(_) => 0,
        None => match v.finish(head.as_ref()) {
            Ok(n) => n,
            Err(b) => {
                fault = Some(b);
                0
            }
        },
    };
    Ok(AuditReport {
        entries,
        pruned_upto: anchor.pruned_upto,
        fault,
    })
}

/// Newest-first, filtered, paged entries for the audit screen.
pub fn query(store: &Store, q: &AuditQuery) -> Result<AuditPage, Error> {
    if q.limit == 0 {
        return Err(Error::Invalid {
            reason: "a query needs a positive limit".into(),
        });
    }
    let since = q.since.map(ms);
    let target = q
        .target
        .as_ref()
        .map(|t| target_text(store, t))
        .transpose()?;
    let until = q.until.map(ms);
    let mut entries = Vec::new();
    let mut cursor = q.before_seq;
    loop {
        let to = cursor.map(u64::to_be_bytes);
        let range = TailRange {
            from: None,
            to: to.as_ref().map(|b| b.as_slice()),
        };
        let page = store.scan(Tree::Audit, range, Order::Descending, CHUNK)?;
        let exhausted = page.len() < CHUNK;
        for raw in &page {
            let e: Entry = serde_json::from_slice(&raw.value)?;
            // Page by the key, not the stored field, so paging always advances.
            cursor = Some(
                tail_u64(&raw.tail).ok_or_else(|| crate::store::Error::integrity("audit key"))?,
            );
            // Sequence order follows time order; stop once past `since`.
            if since.is_some_and(|s| e.at_ms < s) {
                return Ok(AuditPage {
                    entries,
                    next_before_seq: None,
                });
            }
            let keep = (q.actions.is_empty() || q.actions.contains(&e.action))
                && q.outcome.is_none_or(|o| o == e.outcome)
                && until.is_none_or(|u| e.at_ms <= u)
                && (target.is_none() || e.target == target);
            if keep {
                entries.push(e);
                if entries.len() == q.limit {
                    return Ok(AuditPage {
                        next_before_seq: cursor,
                        entries,
                    });
                }
            }
        }
        if exhausted {
            return Ok(AuditPage {
                entries,
                next_before_seq: None,
            });
        }
    }
}

/// Removes entries older than `cutoff` and records the pruned prefix in the
/// anchor, plus a `prune` entry, in one durable batch. Returns how many
/// entries were removed.
pub fn prune_older_than(store: &Store, cutoff: OffsetDateTime) -> Result<u64, Error> {
    let anchor = anchor(store)?;
    let cutoff_ms = ms(cutoff);
    let mut last: Option<Entry> = None;
    for_each_from(store, anchor.pruned_upto + 1, |_, e| {
        let e = e?;
        if e.at_ms >= cutoff_ms {
            return Ok(false);
        }
        last = Some(e);
        Ok(true)
    })?;
    let Some(last) = last else {
        return Ok(0);
    };
    let removed = last.seq - anchor.pruned_upto;
    let new_anchor = Anchor {
        pruned_upto: last.seq,
        hash: entry_hash(&last),
    };
    let head = head(store)?;
    let mut batch = store.batch()?;
    for seq in anchor.pruned_upto + 1..=last.seq {
        batch.remove(Tree::Audit, &seq.to_be_bytes());
    }
    batch.put(Tree::Meta, ANCHOR_KEY, &serde_json::to_vec(&new_anchor)?)?;
    let event = AuditEvent {
        action: Action::Prune,
        target: Some(Target::Label {
            text: "audit".into(),
        }),
        request: format!("prune up to {} (hash {})", last.seq, new_anchor.hash),
        response: None,
        outcome: Outcome::Success,
    };
    stage(store, &mut batch, head.as_ref(), &new_anchor, &event, now())?;
    batch.commit(Durability::Flush)?;
    Ok(removed)
}

/// Prunes what `retention` no longer requires, relative to `now`.
pub fn apply_retention(
    store: &Store,
    retention: Retention,
    now: OffsetDateTime,
) -> Result<u64, Error> {
    prune_older_than(store, now - time::Duration::days(i64::from(retention.days)))
}
