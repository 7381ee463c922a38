//! [`KnownFlags`]: the flags the cache holds for each of a folder's
//! messages, as the sync engine compares them with the server's. A mailbox
//! has few distinct flag sets (unread, read, read and answered, a keyword or
//! two), so each message keeps the number of its set: at 100 000 messages a
//! map of flag sets took 28 MB, this takes about 2.

use std::collections::{BTreeMap, HashMap};

use super::types::Flags;

#[derive(Debug, Clone, Default)]
pub struct KnownFlags {
    /// Each known UID with the number of its flag set in `sets`.
    by_uid: BTreeMap<u32, u32>,
    sets: Vec<Flags>,
    numbers: HashMap<Flags, u32>,
}

impl KnownFlags {
    pub fn insert(&mut self, uid: u32, flags: &Flags) {
        let number = match self.numbers.get(flags) {
            Some(n) => *n,
            None => {
                // at most one set per message, so the count fits
                let n = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
                self.sets.push(flags.clone());
                self.numbers.insert(flags.clone(), n);
                n
            }
        };
        self.by_uid.insert(uid, number);
    }

    pub fn get(&self, uid: u32) -> Option<&Flags> {
        let number = *self.by_uid.get(&uid)?;
        self.sets.get(number as usize)
    }

    pub fn contains(&self, uid: u32) -> bool {
        self.by_uid.contains_key(&uid)
    }

    pub fn remove(&mut self, uid: u32) -> bool {
        self.by_uid.remove(&uid).is_some()
    }

    /// The known UIDs, ascending.
    pub fn uids(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.by_uid.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }
}

impl PartialEq for KnownFlags {
    /// The same UIDs with the same flags (however the sets are numbered).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .uids()
                .all(|uid| self.get(uid).is_some() && self.get(uid) == other.get(uid))
    }
}

impl Eq for KnownFlags {}

impl<'a> FromIterator<(u32, &'a Flags)> for KnownFlags {
    fn from_iter<I: IntoIterator<Item = (u32, &'a Flags)>>(iter: I) -> Self {
        let mut known = KnownFlags::default();
        for (uid, flags) in iter {
            known.insert(uid, flags);
        }
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_uid_keeps_its_own_flags_and_equal_sets_are_shared() {
        let seen = Flags::of([Flags::SEEN]);
        let flagged = Flags::of([Flags::SEEN, Flags::FLAGGED, "$Urgent"]);
        let mut known: KnownFlags = [(3, &seen), (5, &flagged), (9, &seen)]
            .into_iter()
            .collect();
        assert_eq!(known.sets.len(), 2);
        assert_eq!(known.get(3), Some(&seen));
        assert_eq!(known.get(5), Some(&flagged));
        assert_eq!(known.get(4), None);
        known.insert(3, &flagged);
        assert_eq!(known.get(3), Some(&flagged));
        assert_eq!(known.get(9), Some(&seen));
        assert!(known.remove(9));
        assert!(!known.remove(9));
        assert!(!known.contains(9));
        assert_eq!(known.uids().collect::<Vec<_>>(), vec![3, 5]);
        assert_eq!(known.uids().next_back(), Some(5));
        assert_eq!(known.len(), 2);
    }

    #[test]
    fn equality_is_by_uid_and_flags_not_by_numbering() {
        let (a, b) = (Flags::of([Flags::SEEN]), Flags::of([Flags::DRAFT]));
        let one: KnownFlags = [(1, &a), (2, &b)].into_iter().collect();
        let other: KnownFlags = [(2, &b), (1, &a)].into_iter().collect();
        assert_eq!(one, other);
        let changed: KnownFlags = [(1, &b), (2, &b)].into_iter().collect();
        assert_ne!(one, changed);
        assert_ne!(one, KnownFlags::default());
    }
}
