//! `store verify`: every value of the profile decrypts and authenticates
//! under its key, every key belongs to a known tree with the expected shape,
//! and every Message-ID index entry points to a cached envelope. Problems are
//! collected (not just the first) so a report shows the extent of damage.

use std::collections::BTreeMap;

use super::db::Store;
use super::error::Result;
use super::layout::{HASH_LEN, Tree, key, tail_u32};

/// At most this many problems are listed (the count stays exact).
const MAX_LISTED: usize = 100;

/// One inconsistency found by [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub tree: String,
    /// Hex of the sled key (keys hold only keyed hashes and counters).
    pub key: String,
    pub what: String,
}

/// The result of [`Store::verify`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyReport {
    pub values: usize,
    pub per_tree: BTreeMap<String, usize>,
    pub problem_count: usize,
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, tree: &str, k: &[u8], what: &str) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                tree: tree.to_string(),
                key: hex::encode(k),
                what: what.to_string(),
            });
        }
    }
}

impl Store {
    /// Checks every value and index of the profile (needs the store unlocked).
    pub fn verify(&self) -> Result<VerifyReport> {
        let keys = self.keys()?;
        let mut report = VerifyReport::default();
        for item in self.raw_iter()? {
            let (k, v) = item?;
            report.values += 1;
            let Some(tree) = k.first().and_then(|b| Tree::from_byte(*b)) else {
                report.problem("?", &k, "key of no known tree");
                continue;
            };
            *report.per_tree.entry(tree.name().to_string()).or_default() += 1;
            if tree.key_len().is_some_and(|n| n != k.len()) {
                report.problem(tree.name(), &k, "key of the wrong length");
                continue;
            }
            let plain = match keys.open(&k, &v, tree.name()) {
                Ok(p) => p,
                Err(_) => {
                    report.problem(tree.name(), &k, "value fails authentication");
                    continue;
                }
            };
            if tree == Tree::MessageIds {
                // Tail: message-id hash, folder hash; value: UID.
                let target = tail_u32(&plain)
                    .filter(|_| plain.len() == 4)
                    .map(|uid| key(Tree::Envelopes, &[&k[1 + HASH_LEN..], &uid.to_be_bytes()]));
                match target {
                    Some(t) if self.raw_contains(&t)? => {}
                    Some(_) => report.problem(tree.name(), &k, "index entry without its envelope"),
                    None => report.problem(tree.name(), &k, "malformed index entry"),
                }
            }
        }
        Ok(report)
    }
}
