//! The audit screen: the practitioner's own trail, newest first, filtered
//! by action and outcome. It reads the encrypted profile through the store;
//! targets show as their keyed hashes (`patient:3fa2…`), never in clear.

pub mod view;

use crate::app::command::{AuditCmd, ListCmd};
use crate::app::i18n::T;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, State};
use crate::audit::{Action, AuditQuery, Entry, Outcome};
use crate::ui::layout::{Areas, inner_height};
use crate::ui::list::ListCursor;

/// How many entries one load brings (newest first).
const PAGE: usize = 500;

/// The action filters offered, in order; `None` is "every action".
pub const ACTION_FILTERS: &[Option<Action>] = &[
    None,
    Some(Action::Read),
    Some(Action::RecordList),
    Some(Action::RecordOpen),
    Some(Action::BreakGlass),
    Some(Action::DirectoryQuery),
    Some(Action::Send),
    Some(Action::Lock),
    Some(Action::Unlock),
];

pub const OUTCOME_FILTERS: &[Option<Outcome>] = &[
    None,
    Some(Outcome::Success),
    Some(Outcome::Denied),
    Some(Outcome::Failure),
];

#[derive(Debug, Clone, Default)]
pub struct AuditState {
    /// The profile's trail can be read (a store is open).
    pub available: bool,
    pub entries: Vec<Entry>,
    pub cursor: ListCursor,
    pub action_filter: usize,
    pub outcome_filter: usize,
    pub loading: Option<u64>,
}

pub fn page_height(state: &State) -> usize {
    inner_height(Areas::new(state.size.0, state.size.1).body).saturating_sub(2)
}

/// Asks for the trail with the current filters.
pub fn reload(state: &mut State) -> Vec<Effect> {
    if !state.audit.available {
        return Vec::new();
    }
    let action = ACTION_FILTERS
        .get(state.audit.action_filter)
        .copied()
        .flatten();
    let outcome = OUTCOME_FILTERS
        .get(state.audit.outcome_filter)
        .copied()
        .flatten();
    let query = AuditQuery {
        actions: action.into_iter().collect(),
        since: None,
        until: None,
        outcome,
        target: None,
        before_seq: None,
        limit: PAGE,
    };
    let generation = state.generation();
    state.audit.loading = Some(generation);
    vec![Effect::LoadAudit {
        query: Box::new(query),
        generation,
    }]
}

pub fn on_loaded(state: &mut State, generation: u64, result: Result<Vec<Entry>, String>) {
    if state.audit.loading != Some(generation) {
        return;
    }
    state.audit.loading = None;
    match result {
        Ok(entries) => {
            state.audit.entries = entries;
            let (len, height) = (state.audit.entries.len(), page_height(state));
            state.audit.cursor.clamp(len, height);
        }
        Err(reason) => {
            state.notify(Notification::new(Level::Error, T::AuditFailed).arg("reason", reason))
        }
    }
}

pub fn on_command(state: &mut State, command: AuditCmd) -> Vec<Effect> {
    match command {
        AuditCmd::CycleAction => {
            state.audit.action_filter = (state.audit.action_filter + 1) % ACTION_FILTERS.len()
        }
        AuditCmd::CycleOutcome => {
            state.audit.outcome_filter = (state.audit.outcome_filter + 1) % OUTCOME_FILTERS.len()
        }
    }
    state.audit.cursor = ListCursor::default();
    reload(state)
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (state.audit.entries.len(), page_height(state));
    state.audit.cursor.apply(command, len, height);
    Vec::new()
}

#[cfg(test)]
mod tests;
