//! The help screen: every bound command with its keys and description,
//! built from the command registry and the live keymap (user patches
//! included), so it can never drift from what the keys do.

pub mod view;

use crate::app::command::{self, Command, ListCmd};
use crate::app::keymap::{Keymap, Scope};
use crate::app::keys::chord_to_string;
use crate::app::msg::Effect;
use crate::app::state::State;
use crate::ui::layout::{Areas, inner_height};
use crate::ui::list::ListCursor;

#[derive(Debug, Clone, Default)]
pub struct HelpState {
    pub cursor: ListCursor,
}

/// One line of the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpRow {
    Section(Scope),
    Binding { keys: String, command: Command },
    Unbound { command: Command },
}

/// Sections per scope; within a section, one row per command with all its keys.
pub fn rows(keymap: &Keymap) -> Vec<HelpRow> {
    let mut rows = Vec::new();
    let mut bound = std::collections::HashSet::new();
    for scope in Scope::ALL {
        let mut by_command: Vec<(Command, Vec<String>)> = Vec::new();
        for (chord, command) in keymap.bindings(*scope) {
            bound.insert(*command);
            match by_command.iter_mut().find(|(c, _)| c == command) {
                Some((_, keys)) => keys.push(chord_to_string(chord)),
                None => by_command.push((*command, vec![chord_to_string(chord)])),
            }
        }
        if by_command.is_empty() {
            continue;
        }
        let order = |c: &Command| {
            command::REGISTRY
                .iter()
                .position(|s| s.command == *c)
                .unwrap_or(usize::MAX)
        };
        by_command.sort_by_key(|(c, _)| order(c));
        rows.push(HelpRow::Section(*scope));
        for (command, keys) in by_command {
            rows.push(HelpRow::Binding {
                keys: keys.join(", "),
                command,
            });
        }
    }
    let unbound: Vec<HelpRow> = command::REGISTRY
        .iter()
        .filter(|spec| !bound.contains(&spec.command))
        .map(|spec| HelpRow::Unbound {
            command: spec.command,
        })
        .collect();
    rows.extend(unbound);
    rows
}

pub fn page_height(state: &State) -> usize {
    inner_height(Areas::new(state.size.0, state.size.1).body)
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let (len, height) = (rows(&state.keymap).len(), page_height(state));
    state.help.cursor.apply(command, len, height);
    Vec::new()
}

#[cfg(test)]
mod tests;
