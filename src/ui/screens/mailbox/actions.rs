//! Mailbox actions that need a word from the user: search, filters, move,
//! delete to Trash, expunge (confirmed), and what their answers do.
//!
//! Actions change nothing locally beyond flags: after the source has done a
//! move, delete or expunge, the folder counts and the list are asked again,
//! so the screen shows the source's truth (and the cache's, offline).

use super::prompt::{Prompt, PromptKind, move_choices};
use super::{mail_error, page_height, reload, target};
use crate::app::i18n::T;
use crate::app::mail_msg::MailEffect;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::domain::mailbox::{ListEntry, ListFilters, MessageId, SourceError};
use crate::ui::list::ListCursor;

/// A search in progress or shown: the list holds its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchView {
    pub query: String,
    pub generation: u64,
    /// Results, once they arrived.
    pub count: Option<usize>,
}

fn folder(state: &State) -> Option<String> {
    state.mailbox.folder_name().map(str::to_string)
}

pub fn open_prompt(state: &mut State, kind: PromptKind) -> Vec<Effect> {
    let input = match &kind {
        PromptKind::Search => state
            .mailbox
            .search
            .as_ref()
            .map(|s| s.query.clone())
            .unwrap_or_default(),
        PromptKind::Filter => filter_text(&state.mailbox.filters, state),
        _ => String::new(),
    };
    state.mailbox.prompt = Some(Prompt::new(kind, input));
    Vec::new()
}

/// Starts a move of the target message: the folder picker opens.
pub fn start_move(state: &mut State) -> Vec<Effect> {
    let Some(id) = target(state) else {
        return Vec::new();
    };
    open_prompt(state, PromptKind::MoveTo { ids: vec![id] })
}

/// Deletes the target message to Trash (no question: it can be moved back).
pub fn delete(state: &mut State) -> Vec<Effect> {
    let (Some(id), Some(folder)) = (target(state), folder(state)) else {
        return Vec::new();
    };
    if state.screen == Screen::Reader {
        state.back();
    }
    state.notify(Notification::new(Level::Info, T::NotifyDeleted));
    vec![Effect::Mail(MailEffect::Delete {
        folder,
        ids: vec![id],
    })]
}

/// Asks before removing the folder's deleted messages for good.
pub fn start_expunge(state: &mut State) -> Vec<Effect> {
    if folder(state).is_none() {
        return Vec::new();
    }
    open_prompt(state, PromptKind::ConfirmExpunge)
}

/// A confirmation prompt answered yes.
pub fn confirmed(state: &mut State, kind: PromptKind) -> Vec<Effect> {
    match kind {
        PromptKind::ConfirmExpunge => match folder(state) {
            Some(folder) => vec![Effect::Mail(MailEffect::Expunge { folder })],
            None => Vec::new(),
        },
        PromptKind::ConfirmOverwrite { index, path } => {
            crate::ui::screens::reader::save_effect(state, index, path, true)
        }
        _ => Vec::new(),
    }
}

/// A text prompt submitted with Enter.
pub fn submitted(state: &mut State, prompt: Prompt) -> Vec<Effect> {
    match prompt.kind {
        PromptKind::Search => search(state, prompt.input.trim()),
        PromptKind::Filter => match parse_filter(&prompt.input, state) {
            Ok(filters) => {
                state.mailbox.filters = filters;
                restart_list(state)
            }
            Err(word) => {
                state.notify(Notification::new(Level::Warn, T::NotifyBadFilter).arg("word", word));
                Vec::new()
            }
        },
        PromptKind::MoveTo { ids } => {
            let choices = move_choices(&state.mailbox, &prompt.input);
            let chosen = choices
                .get(prompt.selected.min(choices.len().saturating_sub(1)))
                .and_then(|i| state.mailbox.folders.get(*i))
                .map(|f| f.name.clone());
            let (Some(target), Some(folder)) = (chosen, folder(state)) else {
                return Vec::new();
            };
            if state.screen == Screen::Reader {
                state.back();
            }
            state.notify(Notification::new(Level::Info, T::NotifyMoved).arg("folder", &target));
            vec![Effect::Mail(MailEffect::Move {
                folder,
                ids,
                target,
            })]
        }
        PromptKind::SavePath { index } => {
            let path = crate::ui::screens::reader::expand_path(prompt.input.trim());
            crate::ui::screens::reader::save_effect(state, index, path, false)
        }
        PromptKind::ConfirmExpunge | PromptKind::ConfirmOverwrite { .. } => Vec::new(),
    }
}

/// The list from the top again after a filter change.
fn restart_list(state: &mut State) -> Vec<Effect> {
    state.mailbox.search = None;
    state.mailbox.cursor = ListCursor::default();
    state.mailbox.keep_selected = None;
    reload(state)
}

fn search(state: &mut State, query: &str) -> Vec<Effect> {
    if query.is_empty() {
        return close_search(state);
    }
    let Some(folder) = folder(state) else {
        return Vec::new();
    };
    let generation = state.generation();
    state.mailbox.search = Some(SearchView {
        query: query.to_string(),
        generation,
        count: None,
    });
    state.mailbox.loading = None; // a list answer now would be stale
    vec![Effect::Mail(MailEffect::Search {
        folder,
        query: query.to_string(),
        generation,
    })]
}

pub fn on_searched(
    state: &mut State,
    generation: u64,
    result: Result<Vec<MessageId>, SourceError>,
) {
    let Some(search) = state
        .mailbox
        .search
        .as_mut()
        .filter(|s| s.generation == generation)
    else {
        return; // stale, or the search was left
    };
    match result {
        Ok(ids) => {
            search.count = Some(ids.len());
            state.mailbox.entries = ids
                .into_iter()
                .map(|id| ListEntry { id, depth: 0 })
                .collect();
            state.mailbox.rows.clear();
            state.mailbox.cursor = ListCursor::default();
            let (len, height) = (state.mailbox.entries.len(), page_height(state));
            state.mailbox.cursor.clamp(len, height);
        }
        Err(error) => {
            state.mailbox.search = None;
            mail_error(state, &error);
        }
    }
}

/// Leaves the search results for the folder; true when there was a search.
pub fn close_search(state: &mut State) -> Vec<Effect> {
    if state.mailbox.search.take().is_none() {
        return Vec::new();
    }
    state.mailbox.keep_selected = state.mailbox.selected_id();
    reload(state)
}

const UNREAD_WORDS: &[&str] = &["non-lus", "nonlus", "unread", "nl"];
const FLAGGED_WORDS: &[&str] = &["suivis", "suivi", "flagged", "flag"];
const ATTACHMENT_WORDS: &[&str] = &["pj", "pièces-jointes", "attachment", "attachments"];

/// The filters as the prompt shows them (so `l` edits the current ones).
pub fn filter_text(filters: &ListFilters, state: &State) -> String {
    let mut words = Vec::new();
    if filters.unread {
        words.push("non-lus".to_string());
    }
    if filters.flagged {
        words.push("suivis".to_string());
    }
    if filters.has_attachment {
        words.push("pj".to_string());
    }
    if let Some(from) = &filters.from {
        words.push(format!("from:{from}"));
    }
    if let Some(to) = &filters.to {
        words.push(format!("to:{to}"));
    }
    if filters.date_from.is_some() || filters.date_to.is_some() {
        let day = |t: Option<i64>| {
            t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .map(|d| {
                    d.to_offset(state.mailbox.utc_offset.unwrap_or(time::UtcOffset::UTC))
                        .date()
                        .to_string()
                })
                .unwrap_or_default()
        };
        words.push(format!(
            "date:{}..{}",
            day(filters.date_from),
            day(filters.date_to)
        ));
    }
    words.join(" ")
}

/// Parses the filter prompt; `Err(word)` names the first word not understood.
pub fn parse_filter(input: &str, state: &State) -> Result<ListFilters, String> {
    let mut filters = ListFilters::default();
    for word in input.split_whitespace() {
        let lower = word.to_lowercase();
        if UNREAD_WORDS.contains(&lower.as_str()) {
            filters.unread = true;
        } else if FLAGGED_WORDS.contains(&lower.as_str()) {
            filters.flagged = true;
        } else if ATTACHMENT_WORDS.contains(&lower.as_str()) {
            filters.has_attachment = true;
        } else if let Some((field, value)) = word.split_once(':')
            && !value.is_empty()
        {
            match field.to_lowercase().as_str() {
                "from" | "de" => filters.from = Some(value.to_string()),
                "to" | "a" | "à" => filters.to = Some(value.to_string()),
                "date" => {
                    let range = crate::mail::search::DateRange::parse_at(
                        value,
                        state.mailbox.utc_offset.unwrap_or(time::UtcOffset::UTC),
                    )
                    .map_err(|_| word.to_string())?;
                    filters.date_from = range.start;
                    filters.date_to = range.end;
                }
                _ => return Err(word.to_string()),
            }
        } else {
            return Err(word.to_string());
        }
    }
    Ok(filters)
}

/// Toggles one of the simple filters and lists again.
pub fn toggle_filter(state: &mut State, change: impl FnOnce(&mut ListFilters)) -> Vec<Effect> {
    change(&mut state.mailbox.filters);
    restart_list(state)
}

pub fn clear_filters(state: &mut State) -> Vec<Effect> {
    if state.mailbox.filters.is_empty() && state.mailbox.search.is_none() {
        return Vec::new();
    }
    state.mailbox.filters = ListFilters::default();
    restart_list(state)
}
