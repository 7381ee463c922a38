//! The mailbox screen: folders on the left, the message list on the right.
//!
//! Rows come from the mail source through effects; this module only keeps
//! what is shown and the cursor. Requests carry a generation: a folder
//! answer that arrives after the user moved on is dropped.

pub mod view;

use crate::app::command::{ListCmd, MailboxCmd};
use crate::app::i18n::T;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::domain::mailbox::{
    Flags, FolderInfo, FolderRole, ListQuery, MessageId, MessageRow, SortKey,
};
use crate::ui::layout::{Areas, MailboxAreas, inner_height};
use crate::ui::list::ListCursor;

#[derive(Debug, Clone, Default)]
pub struct MailboxState {
    pub folders: Vec<FolderInfo>,
    pub folder: usize,
    pub rows: Vec<MessageRow>,
    pub cursor: ListCursor,
    pub sort: SortKey,
    pub threaded: bool,
    pub unread_only: bool,
    /// The generation of the folder request in flight, if any.
    pub loading: Option<u64>,
    /// The message to select once rows arrive (after a reload or an unlock).
    pub keep_selected: Option<MessageId>,
}

impl MailboxState {
    pub fn folder_name(&self) -> Option<&str> {
        self.folders.get(self.folder).map(|f| f.name.as_str())
    }

    pub fn selected_row(&self) -> Option<&MessageRow> {
        self.rows.get(self.cursor.selected)
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

/// Asks for the current folder's rows with the current sort and filters.
pub fn reload(state: &mut State) -> Vec<Effect> {
    let Some(folder) = state.mailbox.folder_name().map(str::to_string) else {
        return vec![Effect::LoadFolders];
    };
    let generation = state.generation();
    state.mailbox.loading = Some(generation);
    if state.mailbox.keep_selected.is_none() {
        state.mailbox.keep_selected = state.mailbox.selected_row().map(|r| r.id);
    }
    let query = ListQuery {
        folder,
        sort: state.mailbox.sort,
        threaded: state.mailbox.threaded,
        unread_only: state.mailbox.unread_only,
    };
    vec![Effect::LoadFolder { query, generation }]
}

pub fn on_folders(state: &mut State, folders: Vec<FolderInfo>) -> Vec<Effect> {
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
    if state.mailbox.rows.is_empty() {
        reload(state)
    } else {
        Vec::new()
    }
}

pub fn on_rows(state: &mut State, generation: u64, rows: Vec<MessageRow>) {
    if state.mailbox.loading != Some(generation) {
        return; // a stale answer: the user asked for something else since
    }
    state.mailbox.loading = None;
    state.mailbox.rows = rows;
    let height = page_height(state);
    if let Some(id) = state.mailbox.keep_selected.take()
        && let Some(index) = state.mailbox.rows.iter().position(|r| r.id == id)
    {
        state
            .mailbox
            .cursor
            .select(index, state.mailbox.rows.len(), height);
    }
    state.mailbox.cursor.clamp(state.mailbox.rows.len(), height);
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (state.mailbox.rows.len(), page_height(state));
    if state.mailbox.cursor.apply(command, len, height) {
        open_selected(state)
    } else {
        Vec::new()
    }
}

/// Opens the selected message in the reader and marks it read.
pub fn open_selected(state: &mut State) -> Vec<Effect> {
    let Some(row) = state.mailbox.selected_row().cloned() else {
        return Vec::new();
    };
    let generation = state.generation();
    state.reader.open(row.id, generation);
    state.go(Screen::Reader);
    let mut effects = vec![Effect::OpenMessage {
        id: row.id,
        generation,
    }];
    if !row.flags.seen {
        effects.extend(set_flags(
            state,
            row.id,
            Flags {
                seen: true,
                ..row.flags
            },
        ));
    }
    effects
}

/// Changes a message's flags locally at once and asks the source to follow.
pub fn set_flags(state: &mut State, id: MessageId, flags: Flags) -> Vec<Effect> {
    let mut unread_delta: isize = 0;
    if let Some(row) = state.mailbox.rows.iter_mut().find(|r| r.id == id) {
        unread_delta = isize::from(!flags.seen) - isize::from(!row.flags.seen);
        row.flags = flags;
    }
    if let Some(folder) = state.mailbox.folders.get_mut(state.mailbox.folder) {
        folder.unread = folder.unread.saturating_add_signed(unread_delta);
    }
    vec![Effect::SetFlags { id, flags }]
}

/// The message the mailbox commands act on: the open one in the reader, else the selection.
fn target(state: &State) -> Option<MessageRow> {
    let id = match state.screen {
        Screen::Reader => state.reader.message_id()?,
        _ => state.mailbox.selected_row()?.id,
    };
    state.mailbox.rows.iter().find(|r| r.id == id).cloned()
}

pub fn on_command(state: &mut State, command: MailboxCmd) -> Vec<Effect> {
    match command {
        MailboxCmd::ToggleRead | MailboxCmd::ToggleFlag => {
            let Some(row) = target(state) else {
                return Vec::new();
            };
            let (flags, text) = if command == MailboxCmd::ToggleRead {
                let seen = !row.flags.seen;
                (
                    Flags { seen, ..row.flags },
                    if seen {
                        T::NotifyMarkedRead
                    } else {
                        T::NotifyMarkedUnread
                    },
                )
            } else {
                let flagged = !row.flags.flagged;
                (
                    Flags {
                        flagged,
                        ..row.flags
                    },
                    if flagged {
                        T::NotifyFlagged
                    } else {
                        T::NotifyUnflagged
                    },
                )
            };
            state.notify(Notification::new(Level::Info, text));
            set_flags(state, row.id, flags)
        }
        MailboxCmd::NextUnread => {
            let start = state.mailbox.cursor.selected + 1;
            let rows = &state.mailbox.rows;
            let next = (start..rows.len())
                .chain(0..start)
                .find(|i| !rows[*i].flags.seen);
            if let Some(index) = next {
                let (len, height) = (rows.len(), page_height(state));
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
        MailboxCmd::FilterUnread => {
            state.mailbox.unread_only = !state.mailbox.unread_only;
            reload(state)
        }
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
            state.mailbox.folder = (state.mailbox.folder + step) % count;
            state.mailbox.rows.clear();
            state.mailbox.cursor = ListCursor::default();
            state.mailbox.keep_selected = None;
            reload(state)
        }
    }
}

#[cfg(test)]
mod tests;
