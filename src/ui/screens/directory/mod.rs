//! The directory screen: search as you type, results, detail, "write to".
//!
//! Every keystroke in the search field sends a query with a new generation;
//! answers for older generations are dropped, so results never flicker back
//! to an earlier prefix. Filters are typed in the same field (`dept:75`,
//! `prof:infirmier`, `spe:cardio`, `ville:Lyon`, `cp:69003`).

pub mod view;

use crate::app::command::{DirectoryCmd, ListCmd};
use crate::app::i18n::T;
use crate::app::keys::{Key, KeyPress};
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::directory::model::Entry;
use crate::directory::search::Query;
use crate::ui::layout::{Areas, inner_height};
use crate::ui::list::ListCursor;

const RESULT_LIMIT: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct DirectoryState {
    /// An index is available (imported, or the demo's generated one).
    pub available: bool,
    pub input: String,
    /// Keys go to the search field (else to the result list).
    pub typing: bool,
    pub results: Vec<Entry>,
    pub cursor: ListCursor,
    /// The generation of the newest query sent.
    pub pending: Option<u64>,
    /// The detail pane shows the selected entry in full.
    pub detail: bool,
    /// An Annuaire Santé API is configured.
    pub api_configured: bool,
    /// Searches also ask the API (the offline index stays the default).
    pub online: bool,
}

pub fn page_height(state: &State) -> usize {
    inner_height(Areas::new(state.size.0, state.size.1).body).saturating_sub(2)
}

/// Splits the field into free text and `key:value` filters.
pub fn parse_query(input: &str) -> Query {
    let mut query = Query {
        limit: RESULT_LIMIT,
        ..Query::default()
    };
    let mut words = Vec::new();
    for word in input.split_whitespace() {
        match word.split_once(':') {
            Some((key, value)) if !value.is_empty() => match key.to_lowercase().as_str() {
                "dept" | "dep" | "departement" | "département" => {
                    query.department = Some(value.to_string())
                }
                "prof" | "profession" => query.profession = Some(value.to_string()),
                "spe" | "spé" | "specialite" | "spécialité" => {
                    query.speciality = Some(value.to_string())
                }
                "ville" | "city" => query.city = Some(value.to_string()),
                "cp" | "postcode" => query.postcode = Some(value.to_string()),
                _ => words.push(word),
            },
            _ => words.push(word),
        }
    }
    query.text = words.join(" ");
    query
}

fn search(state: &mut State) -> Vec<Effect> {
    let query = parse_query(&state.directory.input);
    let empty = query.text.is_empty()
        && query.department.is_none()
        && query.profession.is_none()
        && query.speciality.is_none()
        && query.city.is_none()
        && query.postcode.is_none();
    if empty {
        state.directory.results.clear();
        state.directory.pending = None;
        return Vec::new();
    }
    let generation = state.generation();
    state.directory.pending = Some(generation);
    vec![Effect::SearchDirectory {
        query: Box::new(query),
        online: state.directory.online,
        generation,
    }]
}

/// Keys typed into the search field; `None` lets the keymap have them.
pub fn on_key(state: &mut State, key: &KeyPress) -> Option<Vec<Effect>> {
    if !state.directory.typing || !state.directory.available || key.mods.ctrl || key.mods.alt {
        return None;
    }
    match key.key {
        Key::Char(c) => {
            state.directory.input.push(c);
            Some(search(state))
        }
        Key::Backspace => {
            state.directory.input.pop();
            Some(search(state))
        }
        Key::Enter | Key::Down | Key::Tab if !state.directory.results.is_empty() => {
            state.directory.typing = false;
            Some(Vec::new())
        }
        Key::Esc if !state.directory.input.is_empty() => {
            state.directory.input.clear();
            state.directory.results.clear();
            Some(Vec::new())
        }
        _ => None,
    }
}

pub fn on_results(
    state: &mut State,
    generation: u64,
    result: Result<Vec<Entry>, String>,
    online_error: Option<String>,
) {
    if state.directory.pending != Some(generation) {
        return; // an answer to an older prefix
    }
    if let Some(reason) = online_error {
        state
            .notify(Notification::new(Level::Warn, T::DirectoryOnlineFailed).arg("reason", reason));
    }
    state.directory.pending = None;
    match result {
        Ok(results) => {
            state.directory.results = results;
            state.directory.cursor = ListCursor::default();
        }
        Err(reason) => {
            state.notify(Notification::new(Level::Error, T::DirectoryFailed).arg("reason", reason))
        }
    }
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (state.directory.results.len(), page_height(state));
    if state.directory.cursor.apply(command, len, height) {
        state.directory.detail = !state.directory.detail;
    }
    Vec::new()
}

pub fn selected(state: &State) -> Option<&Entry> {
    state.directory.results.get(state.directory.cursor.selected)
}

pub fn on_command(state: &mut State, command: DirectoryCmd) -> Vec<Effect> {
    match command {
        DirectoryCmd::ToggleOnline => {
            if !state.directory.api_configured {
                state.notify(Notification::new(Level::Warn, T::DirectoryNoApi));
                return Vec::new();
            }
            state.directory.online = !state.directory.online;
            let text = if state.directory.online {
                T::DirectoryOnlineOn
            } else {
                T::DirectoryOnlineOff
            };
            state.notify(Notification::new(Level::Info, text));
            return search(state);
        }
        DirectoryCmd::FocusSearch => state.directory.typing = true,
        DirectoryCmd::WriteTo => {
            let Some(entry) = selected(state) else {
                return Vec::new();
            };
            let Some(mailbox) = entry.mailboxes.first() else {
                state.notify(Notification::new(Level::Warn, T::DirectoryNoMailbox));
                return Vec::new();
            };
            let name = format!("{} {}", entry.given_name, entry.family_name)
                .trim()
                .to_string();
            let recipient = format!("{name} <{}>", mailbox.address);
            crate::ui::screens::compose::start_to(state, &recipient);
        }
    }
    Vec::new()
}

/// Back from the list goes to the search field before leaving the screen.
pub fn back_to_field(state: &mut State) -> bool {
    if state.screen == Screen::Directory && !state.directory.typing {
        state.directory.typing = true;
        state.directory.detail = false;
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
