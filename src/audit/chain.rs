//! The hash chain, as pure functions over entries so it can be checked and
//! tested without a store. The hash of an entry is SHA-256 over a domain tag
//! and its JSON form; the chain starts at an anchor (genesis or the last
//! pruned entry) and must end at the recorded head.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::entry::Entry;

/// Hash standing for "no previous entry".
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the remaining chain starts: nothing pruned (`pruned_upto == 0`,
/// hash [`GENESIS`]) or "pruned up to N with hash H".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub pruned_upto: u64,
    pub hash: String,
}

impl Default for Anchor {
    fn default() -> Self {
        Anchor {
            pruned_upto: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// The last entry appended (recorded with each append).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// What kind of break was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainFault {
    /// An entry (or the one before it) differs from what was chained.
    Changed,
    /// Entries are missing before this sequence number.
    Missing,
    /// The sequence goes backwards or repeats.
    Reordered,
    /// Entries at the end are missing (head not reached).
    Truncated,
    /// A stored value failed authentication.
    Unreadable,
}

/// The first break in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{fault:?} at entry {seq}")]
pub struct ChainBreak {
    pub seq: u64,
    pub fault: ChainFault,
}

/// Hex SHA-256 of an entry in its canonical (serialized) form.
pub fn entry_hash(e: &Entry) -> String {
    let mut h = Sha256::new();
    h.update(b"cachet-audit-v1\0");
    // Serializing a plain struct of strings and integers cannot fail; an
    // empty body would still differ from any real entry's hash.
    h.update(serde_json::to_vec(e).unwrap_or_default());
    hex::encode(h.finalize())
}

/// Incremental verifier: feed entries in key order, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct Verifier {
    expected_seq: u64,
    prev: String,
    checked: u64,
}

impl Verifier {
    pub fn new(anchor: &Anchor) -> Self {
        Verifier {
            expected_seq: anchor.pruned_upto + 1,
            prev: anchor.hash.clone(),
            checked: 0,
        }
    }

    pub fn push(&mut self, e: &Entry) -> Result<(), ChainBreak> {
        if e.seq > self.expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                fault: ChainFault::Missing,
            });
        }
        if e.seq < self.expected_seq {
            return Err(ChainBreak {
                seq: e.seq,
                fault: ChainFault::Reordered,
            });
        }
        if e.prev != self.prev {
            // The previous entry changed, or this one's link did.
            return Err(ChainBreak {
                seq: e.seq,
                fault: ChainFault::Changed,
            });
        }
        self.prev = entry_hash(e);
        self.expected_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Checks the chain reached the recorded head.
    pub fn finish(self, head: Option<&Head>) -> Result<u64, ChainBreak> {
        let last = self.expected_seq - 1;
        match head {
            None if self.checked == 0 => Ok(0),
            None => Err(ChainBreak {
                seq: last,
                fault: ChainFault::Changed,
            }),
            Some(h) if h.seq > last => Err(ChainBreak {
                seq: last + 1,
                fault: ChainFault::Truncated,
            }),
            Some(h) if h.seq < last => Err(ChainBreak {
                seq: h.seq + 1,
                fault: ChainFault::Changed,
            }),
            Some(h) if h.hash != self.prev => Err(ChainBreak {
                seq: last,
                fault: ChainFault::Changed,
            }),
            Some(_) => Ok(self.checked),
        }
    }
}

/// Verifies a whole slice (convenience for tests and exports).
pub fn verify_entries(
    anchor: &Anchor,
    entries: &[Entry],
    head: Option<&Head>,
) -> Result<u64, ChainBreak> {
    let mut v = Verifier::new(anchor);
    for e in entries {
        v.push(e)?;
    }
    v.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::{Action, Outcome};

    fn chain(n: u64) -> (Vec<Entry>, Head) {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for seq in 1..=n {
            let e = Entry {
                seq,
                at_ms: 1_700_000_000_000 + seq as i64,
                holder: "810100000017".into(),
                action: Action::Read,
                target: Some(format!("message:{seq:032x}")),
                request: format!("UID FETCH {seq} BODY.PEEK[]"),
                response: Some("OK".into()),
                outcome: Outcome::Success,
                prev: prev.clone(),
            };
            prev = entry_hash(&e);
            out.push(e);
        }
        (out, Head { seq: n, hash: prev })
    }

    #[test]
    fn intact_chain_verifies() {
        let (c, head) = chain(5);
        assert_eq!(verify_entries(&Anchor::default(), &c, Some(&head)), Ok(5));
    }

    #[test]
    fn changed_entry_is_detected() {
        let (mut c, head) = chain(5);
        c[2].outcome = Outcome::Failure;
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak {
                seq: 4,
                fault: ChainFault::Changed
            }
        );
        let (mut c, head) = chain(5);
        c[4].request = "UID FETCH 1 BODY[]".into();
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(err.fault, ChainFault::Changed);
    }

    #[test]
    fn removed_entry_is_detected() {
        let (mut c, head) = chain(5);
        c.remove(1);
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak {
                seq: 3,
                fault: ChainFault::Missing
            }
        );
        let (mut c, head) = chain(5);
        c.pop();
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak {
                seq: 5,
                fault: ChainFault::Truncated
            }
        );
    }

    #[test]
    fn reordered_entries_are_detected() {
        let (mut c, head) = chain(5);
        c.swap(1, 2);
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak {
                seq: 3,
                fault: ChainFault::Missing
            }
        );
        // Renumbered after the swap, the links no longer match.
        let (mut c, head) = chain(5);
        c.swap(1, 2);
        c[1].seq = 2;
        c[2].seq = 3;
        let err = verify_entries(&Anchor::default(), &c, Some(&head)).unwrap_err();
        assert_eq!(
            err,
            ChainBreak {
                seq: 2,
                fault: ChainFault::Changed
            }
        );
    }

    #[test]
    fn pruned_prefix_verifies_from_its_anchor_only() {
        let (c, head) = chain(6);
        let anchor = Anchor {
            pruned_upto: 3,
            hash: entry_hash(&c[2]),
        };
        assert_eq!(verify_entries(&anchor, &c[3..], Some(&head)), Ok(3));
        let wrong = Anchor {
            pruned_upto: 3,
            hash: entry_hash(&c[1]),
        };
        assert!(verify_entries(&wrong, &c[3..], Some(&head)).is_err());
    }
}
