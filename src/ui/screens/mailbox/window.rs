//! The rows on screen, and only those: a small cache of [`MessageRow`]s for
//! the visible window plus a margin on each side, filled by id from the
//! source. A folder of 100k messages costs one vector of ids; each frame
//! and each keypress costs work proportional to the window, never to the
//! folder.
//!
//! Invariants: at most one row request is in flight (a newer one makes the
//! older stale, its answer is dropped); a request never asks for more ids
//! than the window plus its margins; ids the source no longer has are
//! remembered as gone so they are not asked for again until the next list.

use crate::domain::mailbox::{ListEntry, MessageId, MessageRow};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Default)]
pub struct RowWindow {
    rows: HashMap<MessageId, MessageRow>,
    /// Ids the source answered nothing for (expunged meanwhile).
    gone: HashSet<MessageId>,
    /// The request in flight: its generation and the ids it asked for.
    pending: Option<(u64, Vec<MessageId>)>,
    /// How many ids were requested since the last reset (tests and stats).
    pub requested: usize,
    /// The largest single request since the last reset.
    pub largest_request: usize,
}

/// Rows kept on each side of the visible ones.
pub fn margin(height: usize) -> usize {
    height.max(8)
}

/// The positions worth having rows for: visible plus margins.
pub fn wanted_range(len: usize, offset: usize, height: usize) -> std::ops::Range<usize> {
    let margin = margin(height);
    let start = offset.saturating_sub(margin).min(len);
    let end = offset.saturating_add(height + margin).min(len);
    start..end
}

impl RowWindow {
    pub fn get(&self, id: MessageId) -> Option<&MessageRow> {
        self.rows.get(&id)
    }

    pub fn get_mut(&mut self, id: MessageId) -> Option<&mut MessageRow> {
        self.rows.get_mut(&id)
    }

    pub fn is_gone(&self, id: MessageId) -> bool {
        self.gone.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Forgets every row (new list, lock).
    pub fn clear(&mut self) {
        self.rows.clear();
        self.gone.clear();
        self.pending = None;
    }

    pub fn reset_stats(&mut self) {
        self.requested = 0;
        self.largest_request = 0;
    }

    /// The ids of `entries[range]` that have no row and are not being
    /// fetched; `None` when there is nothing new to ask for.
    pub fn missing(
        &self,
        entries: &[ListEntry],
        range: std::ops::Range<usize>,
    ) -> Option<Vec<MessageId>> {
        let in_flight = |id: &MessageId| {
            self.pending
                .as_ref()
                .is_some_and(|(_, ids)| ids.contains(id))
        };
        let slice = entries.get(range)?;
        let missing: Vec<MessageId> = slice
            .iter()
            .map(|e| e.id)
            .filter(|id| !self.rows.contains_key(id) && !self.gone.contains(id))
            .collect();
        if missing.is_empty() || missing.iter().all(in_flight) {
            return None;
        }
        Some(missing)
    }

    /// Records a request being sent.
    pub fn requesting(&mut self, generation: u64, ids: Vec<MessageId>) {
        self.requested += ids.len();
        self.largest_request = self.largest_request.max(ids.len());
        self.pending = Some((generation, ids));
    }

    /// Takes an answer; false (and nothing changes) when it is stale.
    /// Rows outside `keep` positions are evicted, so the cache stays small.
    pub fn answer(
        &mut self,
        generation: u64,
        rows: Vec<MessageRow>,
        entries: &[ListEntry],
        keep: std::ops::Range<usize>,
    ) -> bool {
        let Some((expected, asked)) = self.pending.take_if(|(g, _)| *g == generation) else {
            return false;
        };
        debug_assert_eq!(expected, generation);
        let answered: HashSet<MessageId> = rows.iter().map(|r| r.id).collect();
        self.gone
            .extend(asked.into_iter().filter(|id| !answered.contains(id)));
        for row in rows {
            self.rows.insert(row.id, row);
        }
        let keep: HashSet<MessageId> = entries
            .get(keep)
            .unwrap_or_default()
            .iter()
            .map(|e| e.id)
            .collect();
        self.rows.retain(|id, _| keep.contains(id));
        true
    }

    /// A failed request: nothing pending any more (the next move retries).
    pub fn failed(&mut self, generation: u64) {
        if self.pending.as_ref().is_some_and(|(g, _)| *g == generation) {
            self.pending = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mailbox::Flags;

    fn entries(n: u64) -> Vec<ListEntry> {
        (0..n)
            .map(|i| ListEntry {
                id: MessageId(i),
                depth: 0,
            })
            .collect()
    }

    fn row(id: MessageId) -> MessageRow {
        MessageRow {
            id,
            from: String::new(),
            subject: String::new(),
            date: 0,
            size: 0,
            flags: Flags::default(),
            has_attachment: false,
            receipt_requested: false,
        }
    }

    #[test]
    fn asks_for_the_window_once_and_drops_stale_answers() {
        let list = entries(100_000);
        let mut window = RowWindow::default();
        let range = wanted_range(list.len(), 50_000, 20);
        let ids = window.missing(&list, range.clone()).expect("all missing");
        assert_eq!(ids.len(), 60, "20 visible + 20 on each side");
        window.requesting(1, ids.clone());
        assert!(window.missing(&list, range.clone()).is_none(), "in flight");
        let newer = wanted_range(list.len(), 60_000, 20);
        let newer_ids = window.missing(&list, newer.clone()).expect("moved");
        window.requesting(2, newer_ids);
        let stale: Vec<MessageRow> = ids.iter().map(|id| row(*id)).collect();
        assert!(!window.answer(1, stale, &list, range), "stale");
        assert!(window.is_empty());
        let rows = (59_980..60_040).map(|i| row(MessageId(i))).collect();
        assert!(window.answer(2, rows, &list, newer.clone()));
        assert_eq!(window.len(), 60);
        assert!(window.missing(&list, newer).is_none());
    }

    #[test]
    fn ids_without_rows_are_not_asked_again() {
        let list = entries(10);
        let mut window = RowWindow::default();
        let ids = window.missing(&list, 0..10).expect("missing");
        window.requesting(1, ids);
        let rows = (0..9).map(|i| row(MessageId(i))).collect();
        assert!(window.answer(1, rows, &list, 0..10));
        assert!(window.is_gone(MessageId(9)));
        assert!(window.missing(&list, 0..10).is_none());
    }
}
