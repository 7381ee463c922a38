//! The mailbox screen: folders on the left, the message list on the right.
//!
//! The list is virtualised: the state holds the folder's ordered entries
//! (ids and thread depths, from `MailSource::list`) and a [`RowWindow`] of
//! rows for the lines on screen, asked for by id as the cursor moves. List
//! and row requests carry generations: an answer for a folder, sort or
//! window the user has left is dropped.

pub mod actions;
pub mod prompt;
pub mod view;
pub mod window;

use crate::app::command::{ListCmd, MailboxCmd};
use crate::app::i18n::T;
use crate::app::mail_msg::MailEffect;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::domain::mailbox::{
    Flag, FlagChange, FolderInfo, FolderRole, ListEntry, ListFilters, ListQuery, MessageId,
    MessageList, MessageRow, SortKey, SourceError, SourceErrorKind,
};
use crate::ui::layout::{Areas, MailboxAreas, inner_height};
use crate::ui::list::ListCursor;
use window::RowWindow;

#[derive(Debug, Clone, Default)]
pub struct MailboxState {
    pub folders: Vec<FolderInfo>,
    pub folder: usize,
    /// The folder's messages in list order (ids and thread depth only).
    pub entries: Vec<ListEntry>,
    /// Rows for the visible window and its margins.
    pub rows: RowWindow,
    pub cursor: ListCursor,
    pub sort: SortKey,
    pub threaded: bool,
    pub filters: ListFilters,
    /// The generation of the list request in flight, if any.
    pub loading: Option<u64>,
    /// The message to select once the list arrives (after a reload or an unlock).
    pub keep_selected: Option<MessageId>,
    /// The source answers from its cache without a server.
    pub offline: bool,
    /// The last list request failed.
    pub error: Option<SourceErrorKind>,
    /// The open one-line prompt (search, filter, move, confirmations).
    pub prompt: Option<prompt::Prompt>,
    /// Search results shown instead of the folder.
    pub search: Option<actions::SearchView>,
    /// The user's UTC offset, for dates typed in filters (set at start).
    pub utc_offset: Option<time::UtcOffset>,
}

impl MailboxState {
    pub fn folder_name(&self) -> Option<&str> {
        self.folders.get(self.folder).map(|f| f.name.as_str())
    }

    pub fn selected_id(&self) -> Option<MessageId> {
        self.entries.get(self.cursor.selected).map(|e| e.id)
    }

    /// The selected message's row, when it is loaded.
    pub fn selected_row(&self) -> Option<&MessageRow> {
        self.rows.get(self.selected_id()?)
    }

    /// Forgets the list (the lock hides patient data).
    pub fn forget(&mut self) {
        self.keep_selected = self.selected_id().or(self.keep_selected);
        self.entries.clear();
        self.rows.clear();
        self.folders.clear();
        self.loading = None;
        self.prompt = None;
        self.search = None;
    }
}

/// Rows visible in the message list at the current terminal size.
pub fn page_height(state: &State) -> usize {
    let areas = Areas::new(state.size.0, state.size.1);
    inner_height(MailboxAreas::new(areas.body).messages)
}

pub fn folder_label(role: FolderRole) -> Option<T> {
    match role {
        FolderRole::Inbox => Some(T::FolderInbox),
        FolderRole::Sent => Some(T::FolderSent),
        FolderRole::Drafts => Some(T::FolderDrafts),
        FolderRole::Trash => Some(T::FolderTrash),
        FolderRole::Archive => Some(T::FolderArchive),
        FolderRole::Other => None,
    }
}

fn current_query(state: &State) -> Option<ListQuery> {
    Some(ListQuery {
        folder: state.mailbox.folder_name()?.to_string(),
        sort: state.mailbox.sort,
        threaded: state.mailbox.threaded,
        filters: state.mailbox.filters.clone(),
    })
}

/// Asks for the current folder's entries with the current sort and filters
/// (or runs the shown search again).
pub fn reload(state: &mut State) -> Vec<Effect> {
    if let Some(search) = &state.mailbox.search {
        let query = search.query.clone();
        state.mailbox.search = None;
        return actions::submitted(
            state,
            prompt::Prompt::new(prompt::PromptKind::Search, query),
        );
    }
    let Some(query) = current_query(state) else {
        return vec![Effect::LoadFolders];
    };
    let generation = state.generation();
    state.mailbox.loading = Some(generation);
    if state.mailbox.keep_selected.is_none() {
        state.mailbox.keep_selected = state.mailbox.selected_id();
    }
    vec![Effect::Mail(MailEffect::List { query, generation })]
}

pub fn on_folders(
    state: &mut State,
    result: Result<Vec<FolderInfo>, SourceError>,
    offline: bool,
) -> Vec<Effect> {
    state.mailbox.offline = offline;
    let folders = match result {
        Ok(folders) => folders,
        Err(error) => {
            mail_error(state, &error);
            return Vec::new();
        }
    };
    let previous = state.mailbox.folder_name().map(str::to_string);
    state.mailbox.folders = folders;
    state.mailbox.folder = previous
        .and_then(|name| state.mailbox.folders.iter().position(|f| f.name == name))
        .or_else(|| {
            state
                .mailbox
                .folders
                .iter()
                .position(|f| f.role == FolderRole::Inbox)
        })
        .unwrap_or(0);
    if state.mailbox.entries.is_empty() && state.mailbox.loading.is_none() {
        reload(state)
    } else {
        Vec::new()
    }
}

/// Tells the user a source failure; offline failures also set the marker.
pub fn mail_error(state: &mut State, error: &SourceError) {
    if error.kind() == SourceErrorKind::Offline {
        state.mailbox.offline = true;
    }
    state.notify(
        Notification::new(Level::Error, T::NotifyMailError).arg("reason", error.to_string()),
    );
}

pub fn on_listed(
    state: &mut State,
    generation: u64,
    result: Result<MessageList, SourceError>,
    offline: bool,
) {
    if state.mailbox.loading != Some(generation) || state.mailbox.search.is_some() {
        return; // a stale answer: the user asked for something else since
    }
    state.mailbox.loading = None;
    state.mailbox.offline = offline;
    let list = match result {
        Ok(list) => list,
        Err(error) => {
            state.mailbox.error = Some(error.kind());
            mail_error(state, &error);
            return;
        }
    };
    state.mailbox.error = None;
    state.mailbox.entries = list.entries;
    state.mailbox.rows.clear();
    let (len, height) = (state.mailbox.entries.len(), page_height(state));
    if let Some(id) = state.mailbox.keep_selected.take()
        && let Some(index) = state.mailbox.entries.iter().position(|e| e.id == id)
    {
        state.mailbox.cursor.select(index, len, height);
    }
    state.mailbox.cursor.clamp(len, height);
}

/// Asks for the rows of the visible window that are missing. Called after
/// every update: cheap (proportional to the window) when nothing is missing.
pub fn ensure_rows(state: &mut State) -> Vec<Effect> {
    if state.mailbox.entries.is_empty() || !state.screen.needs_session() {
        return Vec::new();
    }
    let Some(folder) = state.mailbox.folder_name().map(str::to_string) else {
        return Vec::new();
    };
    let height = page_height(state);
    let range = window::wanted_range(
        state.mailbox.entries.len(),
        state.mailbox.cursor.offset,
        height,
    );
    let Some(ids) = state.mailbox.rows.missing(&state.mailbox.entries, range) else {
        return Vec::new();
    };
    let generation = state.generation();
    state.mailbox.rows.requesting(generation, ids.clone());
    vec![Effect::Mail(MailEffect::Rows {
        folder,
        ids,
        generation,
    })]
}

pub fn on_rows(state: &mut State, generation: u64, result: Result<Vec<MessageRow>, SourceError>) {
    match result {
        Ok(rows) => {
            let height = page_height(state);
            let margin = window::margin(height);
            let len = state.mailbox.entries.len();
            let offset = state.mailbox.cursor.offset;
            let keep =
                offset.saturating_sub(2 * margin).min(len)..(offset + height + 2 * margin).min(len);
            let entries = &state.mailbox.entries;
            state.mailbox.rows.answer(generation, rows, entries, keep);
        }
        Err(error) => {
            state.mailbox.rows.failed(generation);
            mail_error(state, &error);
        }
    }
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (state.mailbox.entries.len(), page_height(state));
    if state.mailbox.cursor.apply(command, len, height) {
        open_selected(state)
    } else {
        Vec::new()
    }
}

/// Opens the selected message in the reader and marks it read.
pub fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.mailbox.selected_id() else {
        return Vec::new();
    };
    let Some(folder) = state.mailbox.folder_name().map(str::to_string) else {
        return Vec::new();
    };
    state.go(Screen::Reader);
    let mut effects = super::reader::open(state, &folder, id);
    let unread = state.mailbox.rows.get(id).is_some_and(|r| !r.flags.seen);
    if unread {
        effects.extend(change_flag(
            state,
            &[id],
            FlagChange {
                flag: Flag::Seen,
                set: true,
            },
        ));
    }
    effects
}

/// Changes one flag locally at once (rows and counts) and asks the source
/// to follow.
pub fn change_flag(state: &mut State, ids: &[MessageId], change: FlagChange) -> Vec<Effect> {
    let Some(folder) = state.mailbox.folder_name().map(str::to_string) else {
        return Vec::new();
    };
    let mut unread_delta: isize = 0;
    for id in ids {
        if let Some(row) = state.mailbox.rows.get_mut(*id) {
            let after = row.flags.with(change);
            unread_delta += isize::from(!after.seen) - isize::from(!row.flags.seen);
            row.flags = after;
        }
    }
    if let Some(info) = state.mailbox.folders.get_mut(state.mailbox.folder) {
        info.unread = info.unread.saturating_add_signed(unread_delta);
    }
    if let Some(doc) = state
        .reader
        .message
        .as_mut()
        .filter(|doc| ids.contains(&doc.id))
    {
        doc.flags = doc.flags.with(change);
    }
    vec![Effect::Mail(MailEffect::SetFlags {
        folder,
        ids: ids.to_vec(),
        change,
    })]
}

/// The message the mailbox commands act on: the open one in the reader, else the selection.
pub fn target(state: &State) -> Option<MessageId> {
    match state.screen {
        Screen::Reader => state.reader.message_id(),
        _ => state.mailbox.selected_id(),
    }
}

fn toggle(state: &mut State, flag: Flag) -> Vec<Effect> {
    let Some(id) = target(state) else {
        return Vec::new();
    };
    let current = state
        .mailbox
        .rows
        .get(id)
        .map(|r| r.flags)
        .or_else(|| state.reader.message.as_ref().map(|d| d.flags));
    let Some(current) = current else {
        return Vec::new(); // the row is not loaded yet: nothing sensible to toggle
    };
    let set = !current.get(flag);
    let text = match (flag, set) {
        (Flag::Seen, true) => T::NotifyMarkedRead,
        (Flag::Seen, false) => T::NotifyMarkedUnread,
        (_, true) => T::NotifyFlagged,
        (_, false) => T::NotifyUnflagged,
    };
    state.notify(Notification::new(Level::Info, text));
    change_flag(state, &[id], FlagChange { flag, set })
}

pub fn on_command(state: &mut State, command: MailboxCmd) -> Vec<Effect> {
    match command {
        MailboxCmd::ToggleRead => toggle(state, Flag::Seen),
        MailboxCmd::ToggleFlag => toggle(state, Flag::Flagged),
        MailboxCmd::NextUnread => {
            // Among the loaded rows after the cursor (the window and its margin).
            let start = state.mailbox.cursor.selected + 1;
            let entries = &state.mailbox.entries;
            let rows = &state.mailbox.rows;
            let next = (start..entries.len())
                .take_while(|i| rows.get(entries[*i].id).is_some())
                .find(|i| rows.get(entries[*i].id).is_some_and(|r| !r.flags.seen));
            if let Some(index) = next {
                let (len, height) = (entries.len(), page_height(state));
                state.mailbox.cursor.select(index, len, height);
            }
            Vec::new()
        }
        MailboxCmd::CycleSort => {
            state.mailbox.sort = state.mailbox.sort.next();
            state.mailbox.threaded = false;
            reload(state)
        }
        MailboxCmd::ToggleThreads => {
            state.mailbox.threaded = !state.mailbox.threaded;
            reload(state)
        }
        MailboxCmd::FilterUnread => actions::toggle_filter(state, |f| f.unread = !f.unread),
        MailboxCmd::FilterFlagged => actions::toggle_filter(state, |f| f.flagged = !f.flagged),
        MailboxCmd::FilterAttachment => {
            actions::toggle_filter(state, |f| f.has_attachment = !f.has_attachment)
        }
        MailboxCmd::ClearFilters => actions::clear_filters(state),
        MailboxCmd::Search => actions::open_prompt(state, prompt::PromptKind::Search),
        MailboxCmd::Filter => actions::open_prompt(state, prompt::PromptKind::Filter),
        MailboxCmd::Move => actions::start_move(state),
        MailboxCmd::Delete => actions::delete(state),
        MailboxCmd::Expunge => actions::start_expunge(state),
        MailboxCmd::NextFolder | MailboxCmd::PrevFolder => {
            let count = state.mailbox.folders.len();
            if count == 0 {
                return Vec::new();
            }
            let step = if command == MailboxCmd::NextFolder {
                1
            } else {
                count - 1
            };
            let folder = (state.mailbox.folder + step) % count;
            switch_folder(state, folder)
        }
    }
}

/// Shows another folder, from its top.
pub fn switch_folder(state: &mut State, folder: usize) -> Vec<Effect> {
    state.mailbox.folder = folder;
    state.mailbox.search = None;
    state.mailbox.entries.clear();
    state.mailbox.rows.clear();
    state.mailbox.cursor = ListCursor::default();
    state.mailbox.keep_selected = None;
    reload(state)
}

#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod tests;
