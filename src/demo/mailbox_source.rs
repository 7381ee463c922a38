//! The demo mailbox as a [`MailSource`]: list ordering (sort, threads,
//! filters), windowed rows, raw messages, flags, moves and the Trash.

use super::mailbox::{DemoMailbox, DemoMessage, Live};
use super::mailbox_raw::raw_message;
use crate::domain::mailbox::{
    Bytes, Flag, FlagChange, FolderInfo, FolderRole, ListEntry, ListFilters, ListQuery, MailSource,
    MessageId, MessageList, MessageRow, OpenedMessage, SortKey, SourceError, SourceErrorKind,
};
use std::collections::HashMap;
use std::sync::MutexGuard;

fn lock_error() -> SourceError {
    SourceError::new(SourceErrorKind::Store, "the demo mailbox lock is poisoned")
}

fn display_name(address: &str) -> String {
    match address.split_once(" <") {
        Some((name, _)) => name.to_string(),
        None => address.to_string(),
    }
}

fn size_of(m: &DemoMessage) -> u64 {
    (m.body.len() as u64) + m.attachments.iter().map(|a| a.size).sum::<u64>()
}

fn contains_folded(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn matches(m: &DemoMessage, filters: &ListFilters) -> bool {
    (!filters.unread || !m.flags.seen)
        && (!filters.flagged || m.flags.flagged)
        && (!filters.has_attachment || !m.attachments.is_empty())
        && filters
            .from
            .as_deref()
            .is_none_or(|f| contains_folded(&m.from, f))
        && filters
            .to
            .as_deref()
            .is_none_or(|t| contains_folded(&m.to, t) || contains_folded(&m.cc, t))
        && filters.date_from.is_none_or(|d| m.date >= d)
        && filters.date_to.is_none_or(|d| m.date <= d)
}

fn row(m: &DemoMessage) -> MessageRow {
    MessageRow {
        id: m.id,
        from: display_name(&m.from),
        subject: m.subject.clone(),
        date: m.date,
        size: size_of(m),
        flags: m.flags,
        has_attachment: !m.attachments.is_empty(),
        receipt_requested: m.receipt_requested,
    }
}

impl DemoMailbox {
    fn live(&self) -> Result<MutexGuard<'_, Live>, SourceError> {
        self.live.lock().map_err(|_| lock_error())
    }

    fn folder_index(&self, name: &str) -> Result<usize, SourceError> {
        self.folders
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| SourceError::not_found(format!("no folder {name}")))
    }

    fn trash(&self) -> Option<usize> {
        self.folders
            .iter()
            .position(|(_, role)| *role == FolderRole::Trash)
    }
}

/// Sorts one folder's messages (newest first for dates), threads grouped
/// under their root and ordered by their newest message.
fn order(selected: &mut Vec<&DemoMessage>, query: &ListQuery) -> Vec<ListEntry> {
    if query.threaded {
        let mut latest: HashMap<&str, i64> = HashMap::new();
        for m in selected.iter() {
            let entry = latest.entry(m.thread_root.as_str()).or_insert(m.date);
            *entry = (*entry).max(m.date);
        }
        let newest = |m: &DemoMessage| latest.get(m.thread_root.as_str()).copied();
        selected.sort_by(|a, b| {
            newest(b)
                .cmp(&newest(a))
                .then_with(|| a.thread_root.cmp(&b.thread_root))
                .then_with(|| a.date.cmp(&b.date))
        });
        // Depth relative to the first message of the thread that is listed.
        let mut root_depth: HashMap<&str, u16> = HashMap::new();
        return selected
            .iter()
            .map(|m| {
                let base = *root_depth.entry(m.thread_root.as_str()).or_insert(m.depth);
                ListEntry {
                    id: m.id,
                    depth: m.depth.saturating_sub(base),
                }
            })
            .collect();
    }
    let subject = |m: &DemoMessage| {
        let mut s = m.subject.as_str();
        while let Some(rest) = s.strip_prefix("RE: ").or_else(|| s.strip_prefix("TR: ")) {
            s = rest;
        }
        s.to_lowercase()
    };
    match query.sort {
        SortKey::Date => selected.sort_by_key(|m| std::cmp::Reverse(m.date)),
        SortKey::Sender => selected.sort_by(|a, b| {
            display_name(&a.from)
                .to_lowercase()
                .cmp(&display_name(&b.from).to_lowercase())
                .then_with(|| b.date.cmp(&a.date))
        }),
        SortKey::Subject => selected.sort_by(|a, b| {
            subject(a)
                .cmp(&subject(b))
                .then_with(|| b.date.cmp(&a.date))
        }),
        SortKey::Size => selected.sort_by_key(|m| std::cmp::Reverse(size_of(m))),
    }
    selected
        .iter()
        .map(|m| ListEntry { id: m.id, depth: 0 })
        .collect()
}

impl MailSource for DemoMailbox {
    fn folders(&self) -> Result<Vec<FolderInfo>, SourceError> {
        let live = self.live()?;
        let mut counts = vec![(0usize, 0usize); self.folders.len()];
        for m in &live.messages {
            if let Some((total, unread)) = counts.get_mut(m.folder) {
                *total += 1;
                *unread += usize::from(!m.flags.seen);
            }
        }
        Ok(self
            .folders
            .iter()
            .zip(counts)
            .map(|((name, role), (total, unread))| FolderInfo {
                name: name.clone(),
                role: *role,
                total,
                unread,
            })
            .collect())
    }

    fn list(&self, query: &ListQuery) -> Result<MessageList, SourceError> {
        let folder = self.folder_index(&query.folder)?;
        let live = self.live()?;
        let mut selected: Vec<&DemoMessage> = live
            .messages
            .iter()
            .filter(|m| m.folder == folder && matches(m, &query.filters))
            .collect();
        Ok(MessageList {
            entries: order(&mut selected, query),
        })
    }

    fn rows(&self, folder: &str, ids: &[MessageId]) -> Result<Vec<MessageRow>, SourceError> {
        let folder = self.folder_index(folder)?;
        let live = self.live()?;
        Ok(ids
            .iter()
            .filter_map(|id| live.get(*id))
            .filter(|m| m.folder == folder)
            .map(row)
            .collect())
    }

    fn open(&self, folder: &str, id: MessageId) -> Result<Option<OpenedMessage>, SourceError> {
        let folder = self.folder_index(folder)?;
        let live = self.live()?;
        Ok(live
            .get(id)
            .filter(|m| m.folder == folder)
            .map(|m| OpenedMessage {
                id,
                flags: m.flags,
                raw: Bytes::new(raw_message(m)),
            }))
    }

    fn set_flags(
        &self,
        folder: &str,
        ids: &[MessageId],
        change: FlagChange,
    ) -> Result<(), SourceError> {
        let folder = self.folder_index(folder)?;
        let mut changed = Vec::new();
        {
            let mut live = self.live()?;
            for id in ids {
                if let Some(m) = live.get_mut(*id).filter(|m| m.folder == folder) {
                    m.flags = m.flags.with(change);
                    changed.push(m.clone());
                }
            }
        }
        for m in &changed {
            self.persist(m, None);
        }
        Ok(())
    }

    fn move_to(&self, folder: &str, ids: &[MessageId], target: &str) -> Result<(), SourceError> {
        let from = self.folder_index(folder)?;
        let to = self.folder_index(target)?;
        if from == to {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                "a message cannot move to its own folder",
            ));
        }
        let mut moved = Vec::new();
        {
            let mut live = self.live()?;
            for id in ids {
                if let Some(m) = live.get_mut(*id).filter(|m| m.folder == from) {
                    m.folder = to;
                    m.flags.deleted = false;
                    moved.push(m.clone());
                }
            }
        }
        for m in &moved {
            self.persist(m, Some(from));
        }
        Ok(())
    }

    fn delete(&self, folder: &str, ids: &[MessageId]) -> Result<(), SourceError> {
        let from = self.folder_index(folder)?;
        match self.trash() {
            Some(trash) if trash != from => {
                let target = self.folders[trash].0.clone();
                self.move_to(folder, ids, &target)
            }
            _ => self.set_flags(
                folder,
                ids,
                FlagChange {
                    flag: Flag::Deleted,
                    set: true,
                },
            ),
        }
    }

    fn expunge(&self, folder: &str) -> Result<usize, SourceError> {
        let folder = self.folder_index(folder)?;
        let removed: Vec<DemoMessage> = {
            let mut live = self.live()?;
            let (gone, kept): (Vec<DemoMessage>, Vec<DemoMessage>) =
                std::mem::take(&mut live.messages)
                    .into_iter()
                    .partition(|m| m.folder == folder && m.flags.deleted);
            live.messages = kept;
            live.reindex();
            gone
        };
        for m in &removed {
            self.persist_removal(m);
        }
        Ok(removed.len())
    }

    fn search(&self, folder: &str, query: &str) -> Result<Vec<MessageId>, SourceError> {
        let folder = self.folder_index(folder)?;
        let parsed = crate::mail::search::parse_query(query)
            .map_err(|e| SourceError::new(SourceErrorKind::Invalid, e.to_string()))?;
        let live = self.live()?;
        let mut search = self.search.lock().map_err(|_| lock_error())?;
        if !search.as_ref().is_some_and(|s| s.is_current(&live)) {
            *search = Some(super::mailbox_search::DemoSearch::build(&live));
        }
        let uids = search
            .as_ref()
            .map(|s| s.search(&parsed))
            .unwrap_or_default();
        let mut found: Vec<&DemoMessage> = uids
            .into_iter()
            .filter_map(|uid| live.get(MessageId(u64::from(uid))))
            .filter(|m| m.folder == folder)
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse(m.date));
        Ok(found.into_iter().map(|m| m.id).collect())
    }
}
