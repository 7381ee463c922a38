//! The precomputed, per-folder ordered index: what opening a folder reads
//! instead of its messages. Records (one sealed value each, per folder):
//!
//! - `META`: sync state (UIDVALIDITY, HIGHESTMODSEQ, UIDNEXT), counts, the
//!   sparse keyword map, the last sync time;
//! - `BASE`: every cached UID with its flag byte (see [`super::summary::bits`]),
//!   5 bytes a message;
//! - one `ORDER` record per (sort key, threaded): the UIDs in display order
//!   with their thread depth, 5 bytes a message;
//! - record 10 held the thread keys (ids, sender, subject, date, size) in
//!   earlier versions: 30 MB at 100k messages, rewritten at every sync and
//!   every deletion. It is removed with the next full orders; the keys are
//!   now rebuilt from the stored summaries when the orders must be (one read
//!   of the folder's pages, about 0.3 s at 100k).
//!
//! Opening a 100k folder is one `ORDER` record (500 kB) plus the rows on
//! screen. Flag changes touch `BASE`/`META` only (orders do not depend on
//! flags); expunges drop entries from every record without a recompute; new
//! messages rebuild the orders from the thread keys at the end of a sync.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::envelope::{Address, Envelope, MailDate};
use crate::domain::mailbox::SortKey;
use crate::mail::thread::{
    Conversations, Direction, SortKey as ThreadSort, ThreadOptions, Threadable, forest,
};

use super::error::Error;
use super::summary::bits;

pub const RECORD_META: u8 = 0;
pub const RECORD_BASE: u8 = 1;
/// Thread keys as earlier versions stored them (see the module notes).
pub const RECORD_LEGACY_THREAD_KEYS: u8 = 10;

pub const SORT_KEYS: [SortKey; 4] = [
    SortKey::Date,
    SortKey::Sender,
    SortKey::Subject,
    SortKey::Size,
];

/// The record holding the order for `sort`, threaded or flat.
pub fn order_record(sort: SortKey, threaded: bool) -> u8 {
    let s = match sort {
        SortKey::Date => 0,
        SortKey::Sender => 1,
        SortKey::Subject => 2,
        SortKey::Size => 3,
    };
    2 + s * 2 + u8::from(threaded)
}

/// Sync state and counts of one cached folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderMeta {
    pub uid_validity: u32,
    pub highest_modseq: Option<u64>,
    pub uid_next: Option<u32>,
    /// Keywords (`$MDNSent`, ...) by UID; most messages have none.
    pub keywords: BTreeMap<u32, Vec<String>>,
    pub total: usize,
    pub unread: usize,
    /// UTC seconds of the last completed sync.
    pub synced_at: Option<i64>,
}

/// Every cached UID with its flag byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base {
    pub flags: BTreeMap<u32, u8>,
}

impl Base {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.flags.len() * 5);
        out.extend_from_slice(&(self.flags.len() as u32).to_le_bytes());
        for (uid, b) in &self.flags {
            out.extend_from_slice(&uid.to_le_bytes());
            out.push(*b);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Base, Error> {
        let rows = decode_rows(bytes)?;
        Ok(Base {
            flags: rows.into_iter().collect(),
        })
    }

    /// The UIDs of an encoded `BASE`, ascending, without building the map.
    pub fn decode_uids(bytes: &[u8]) -> Result<Vec<u32>, Error> {
        let mut uids: Vec<u32> = decode_rows(bytes)?.into_iter().map(|(u, _)| u).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    pub fn unread(&self) -> usize {
        self.flags.values().filter(|b| *b & bits::SEEN == 0).count()
    }
}

/// One display order: UIDs with their thread depth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    pub rows: Vec<(u32, u8)>,
}

impl Order {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.rows.len() * 5);
        out.extend_from_slice(&(self.rows.len() as u32).to_le_bytes());
        for (uid, depth) in &self.rows {
            out.extend_from_slice(&uid.to_le_bytes());
            out.push(*depth);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Order, Error> {
        Ok(Order {
            rows: decode_rows(bytes)?,
        })
    }
}

fn decode_rows(bytes: &[u8]) -> Result<Vec<(u32, u8)>, Error> {
    let corrupt = || Error::Corrupt {
        what: "folder index",
    };
    let (count, rest) = bytes.split_first_chunk::<4>().ok_or_else(corrupt)?;
    let count = u32::from_le_bytes(*count) as usize;
    if rest.len() != count.checked_mul(5).ok_or_else(corrupt)? {
        return Err(corrupt());
    }
    Ok(rest
        .chunks_exact(5)
        .map(|c| (u32::from_le_bytes([c[0], c[1], c[2], c[3]]), c[4]))
        .collect())
}

/// What threading and sorting need of one message, compact: the keys of a
/// whole folder are held while its orders are rebuilt (100k of them during
/// a first sync). Message-IDs are kept as keyed 64-bit hashes (threading
/// only compares them); sender and subject as they are sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadKey {
    pub uid: u32,
    id: Option<u64>,
    irt: Option<u64>,
    refs: Box<[u64]>,
    sender: Box<str>,
    subject: Box<str>,
    date: Option<i64>,
    size: u64,
}

/// The hash of a Message-ID, keyed at random once per process: an id chosen
/// by a sender cannot be made to collide with another message's to slip into
/// its thread (ids of one folder are only ever compared within one process).
/// `None` for an empty id, as threading ignores those.
fn id_hash(id: &str) -> Option<u64> {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    (!id.is_empty()).then(|| KEY.get_or_init(std::hash::RandomState::new).hash_one(id))
}

/// The fields of a message a [`ThreadKey`] is made from, borrowed from an
/// envelope or from a stored summary.
struct KeyFields<'a> {
    uid: u32,
    message_id: Option<&'a str>,
    in_reply_to: Option<&'a str>,
    references: &'a [String],
    sender: &'a str,
    subject: &'a str,
    date: Option<MailDate>,
    size: u64,
}

impl From<KeyFields<'_>> for ThreadKey {
    fn from(f: KeyFields<'_>) -> ThreadKey {
        ThreadKey {
            uid: f.uid,
            id: f.message_id.and_then(id_hash),
            irt: f.in_reply_to.and_then(id_hash),
            refs: f.references.iter().filter_map(|r| id_hash(r)).collect(),
            sender: f.sender.into(),
            subject: f.subject.into(),
            date: f.date.map(|d| d.utc_seconds),
            size: f.size,
        }
    }
}

impl ThreadKey {
    pub fn of(env: &Envelope) -> ThreadKey {
        ThreadKey::from(KeyFields {
            uid: env.uid,
            message_id: env.message_id.as_deref(),
            in_reply_to: env.in_reply_to.as_deref(),
            references: &env.references,
            sender: env.sender().map_or("", Address::display_name),
            subject: &env.subject,
            date: env.date,
            size: env.size,
        })
    }

    /// The key of a stored summary (its JSON), decoding only what the key
    /// needs: rebuilding the keys of a 100k folder reads every summary.
    pub fn from_summary_json(json: &[u8]) -> Result<ThreadKey, serde_json::Error> {
        /// The fields of an `Envelope` a key reads; the others are skipped.
        #[derive(Deserialize)]
        struct Stored {
            uid: u32,
            #[serde(default)]
            message_id: Option<String>,
            #[serde(default)]
            in_reply_to: Option<String>,
            #[serde(default)]
            references: Vec<String>,
            #[serde(default)]
            from: Vec<Address>,
            #[serde(default)]
            subject: String,
            #[serde(default)]
            date: Option<MailDate>,
            #[serde(default)]
            size: u64,
        }
        let s: Stored = serde_json::from_slice(json)?;
        Ok(ThreadKey::from(KeyFields {
            uid: s.uid,
            message_id: s.message_id.as_deref(),
            in_reply_to: s.in_reply_to.as_deref(),
            references: &s.references,
            sender: s.from.first().map_or("", Address::display_name),
            subject: &s.subject,
            date: s.date,
            size: s.size,
        }))
    }
}

impl Threadable for ThreadKey {
    type Id<'a> = u64;

    fn message_id(&self) -> Option<u64> {
        self.id
    }

    fn references(&self) -> impl Iterator<Item = u64> {
        self.refs.iter().copied()
    }

    fn in_reply_to(&self) -> Option<u64> {
        self.irt
    }

    fn subject(&self) -> &str {
        &self.subject
    }

    fn date(&self) -> Option<i64> {
        self.date
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn sender_name(&self) -> &str {
        &self.sender
    }
}

fn thread_sort(sort: SortKey) -> ThreadSort {
    match sort {
        SortKey::Date => ThreadSort::Date,
        SortKey::Sender => ThreadSort::Sender,
        SortKey::Subject => ThreadSort::Subject,
        SortKey::Size => ThreadSort::Size,
    }
}

/// Every order (4 sort keys, threaded and flat) of the given messages,
/// newest (largest, last) first, with the record each goes to.
pub fn compute_orders(keys: impl IntoIterator<Item = ThreadKey>) -> Vec<(u8, Order)> {
    let all: Vec<(SortKey, bool)> = SORT_KEYS
        .iter()
        .flat_map(|s| [(*s, false), (*s, true)])
        .collect();
    orders_of(keys, &all)
}

/// The date orders only (threaded and flat): what the first screen needs.
pub fn compute_date_orders(keys: impl IntoIterator<Item = ThreadKey>) -> Vec<(u8, Order)> {
    orders_of(keys, &[(SortKey::Date, true), (SortKey::Date, false)])
}

fn orders_of(
    keys: impl IntoIterator<Item = ThreadKey>,
    which: &[(SortKey, bool)],
) -> Vec<(u8, Order)> {
    let keys: Vec<ThreadKey> = keys.into_iter().collect();
    // The threaded orders (threaded once) and the flat ones are computed on
    // two threads: at 100k messages each half is some 100 ms of the sync point.
    let half = |threaded: bool| -> Vec<(u8, Order)> {
        let wanted: Vec<SortKey> = which
            .iter()
            .filter(|(_, t)| *t == threaded)
            .map(|(s, _)| *s)
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let conversations = Conversations::new(&keys, forest(&keys, threaded, false));
        wanted
            .into_iter()
            .map(|sort| {
                let options = ThreadOptions {
                    sort: thread_sort(sort),
                    direction: Direction::Descending,
                    threaded,
                    subject_fallback: false,
                };
                let rows = conversations
                    .depths(&keys, &options)
                    .into_iter()
                    .map(|(m, depth)| (keys[m].uid, u8::try_from(depth).unwrap_or(u8::MAX)))
                    .collect();
                (order_record(sort, threaded), Order { rows })
            })
            .collect()
    };
    let (mut threaded, flat) = std::thread::scope(|scope| {
        let flat = scope.spawn(|| half(false));
        let threaded = half(true);
        match flat.join() {
            Ok(flat) => (threaded, flat),
            // a bug in ordering: raised here as it would have been inline
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    threaded.extend(flat);
    // in the order asked
    threaded.sort_by_key(|(record, _)| {
        which
            .iter()
            .position(|(s, t)| order_record(*s, *t) == *record)
            .unwrap_or(usize::MAX)
    });
    threaded
}

/// A threaded order whose placeholder rows were dropped can leave a child
/// two levels under its visible parent; depths are only drawn, so dropping
/// expunged UIDs keeps the order usable until the next rebuild.
pub fn drop_uids(order: &mut Order, gone: &std::collections::BTreeSet<u32>) {
    order.rows.retain(|(uid, _)| !gone.contains(uid));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::thread::build_threads;

    fn envelope(uid: u32, id: &str, irt: Option<&str>, date: i64, sender: &str) -> Envelope {
        Envelope {
            uid,
            message_id: Some(id.into()),
            in_reply_to: irt.map(Into::into),
            references: irt.map(|r| vec![r.to_string()]).unwrap_or_default(),
            from: vec![Address {
                name: Some(sender.into()),
                email: format!("{uid}@x.test"),
            }],
            subject: format!("s{uid}"),
            date: Some(MailDate {
                utc_seconds: date,
                offset_minutes: 0,
            }),
            size: u64::from(uid) * 10,
            ..Envelope::default()
        }
    }

    fn key(uid: u32, id: &str, irt: Option<&str>, date: i64, sender: &str) -> ThreadKey {
        ThreadKey::of(&envelope(uid, id, irt, date, sender))
    }

    #[test]
    fn orders_thread_replies_under_their_parent() {
        let keys = vec![
            key(1, "a", None, 100, "Zoé"),
            key(2, "b", None, 200, "Anne"),
            key(3, "c", Some("a"), 300, "Marc"),
        ];
        let orders: BTreeMap<u8, Order> = compute_orders(keys).into_iter().collect();
        let threaded = &orders[&order_record(SortKey::Date, true)];
        // the thread of 1 is the most recent (its reply is at 300)
        assert_eq!(threaded.rows, vec![(1, 0), (3, 1), (2, 0)]);
        let flat = &orders[&order_record(SortKey::Date, false)];
        assert_eq!(flat.rows, vec![(3, 0), (2, 0), (1, 0)]);
        let by_size = &orders[&order_record(SortKey::Size, false)];
        assert_eq!(by_size.rows[0].0, 3);
        let bytes = threaded.encode();
        assert_eq!(bytes.len(), 4 + 3 * 5);
        assert_eq!(&Order::decode(&bytes).unwrap(), threaded);
        assert!(Order::decode(&bytes[..bytes.len() - 1]).is_err());
    }

    /// Threading once and ordering per sort key gives what threading for
    /// each order gives, on a mailbox with chains, branches, missing parents.
    #[test]
    fn orders_from_one_forest_match_threading_each_time() {
        let mut rng = fastrand::Rng::with_seed(11);
        let names = ["Zoé", "Anne", "Marc", "Luc"];
        let envelopes: Vec<Envelope> = (1..=300u32)
            .map(|uid| {
                let parent = (uid > 1 && rng.bool()).then(|| format!("m{}", rng.u32(1..uid + 20))); // some parents missing
                let mut e = envelope(
                    uid,
                    &format!("m{uid}"),
                    parent.as_deref(),
                    i64::from(rng.u32(0..10_000)),
                    names[rng.usize(..names.len())],
                );
                e.subject = format!("sujet {}", rng.u32(0..30));
                if uid % 7 == 0 {
                    // a longer chain of references, an empty one among them
                    e.references = vec![
                        format!("m{}", uid / 7),
                        String::new(),
                        format!("m{}", uid - 1),
                    ];
                }
                e
            })
            .collect();
        // The orders from the compact keys (hashed ids) are the orders of
        // threading the envelopes themselves (ids as text).
        let keys: Vec<ThreadKey> = envelopes.iter().map(ThreadKey::of).collect();
        for (record, order) in compute_orders(keys) {
            let (sort, threaded) = SORT_KEYS
                .iter()
                .flat_map(|s| [(*s, false), (*s, true)])
                .find(|(s, t)| order_record(*s, *t) == record)
                .unwrap();
            let alone = build_threads(
                &envelopes,
                &ThreadOptions {
                    sort: thread_sort(sort),
                    direction: Direction::Descending,
                    threaded,
                    subject_fallback: false,
                },
            );
            let rows: Vec<(u32, u8)> = alone
                .rows
                .iter()
                .filter_map(|r| Some((envelopes[r.message?].uid, u8::try_from(r.depth).unwrap())))
                .collect();
            assert_eq!(order.rows, rows, "{sort:?} threaded={threaded}");
        }
    }

    #[test]
    fn a_key_read_from_a_stored_summary_is_the_key_of_the_summary() {
        let env = Envelope {
            uid: 12,
            message_id: Some("m12@x".into()),
            in_reply_to: Some("m3@x".into()),
            references: vec!["m1@x".into(), "m3@x".into()],
            from: vec![Address {
                name: Some("Dr Émile".into()),
                email: "e@x.test".into(),
            }],
            to: vec![Address {
                name: None,
                email: "a@x.test".into(),
            }],
            date: Some(MailDate {
                utc_seconds: 1_700_000_000,
                offset_minutes: 60,
            }),
            subject: "Re: \"bilan\"".into(),
            size: 4321,
            ..Envelope::default()
        };
        let json = serde_json::to_vec(&env).unwrap();
        assert_eq!(
            ThreadKey::from_summary_json(&json).unwrap(),
            ThreadKey::of(&env)
        );
        assert!(ThreadKey::from_summary_json(b"{\"uid\": \"x\"}").is_err());
    }

    #[test]
    fn base_round_trips_and_counts_unread() {
        let mut b = Base::default();
        b.flags.insert(5, bits::SEEN);
        b.flags.insert(9, bits::FLAGGED);
        assert_eq!(Base::decode(&b.encode()).unwrap(), b);
        assert_eq!(b.unread(), 1);
    }
}
