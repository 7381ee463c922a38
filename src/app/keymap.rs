//! Keymaps: which chord runs which named command, per scope.
//!
//! The shipped keymaps (`keymaps/default.toml`, vim-like, and
//! `keymaps/emacs.toml`) are embedded and are the only source of default
//! bindings. A user `keymap.toml` patches them key by key; `"none"` unbinds.
//! A user file with any error is ignored as a whole, so the defaults stay in
//! force, and every error names the file and the line.
//!
//! Lookup goes from the focused screen's scope, to `list` for list screens,
//! to `global`; the first scope that knows the keys (fully or as a chord
//! prefix) decides.

use super::command::{self, Command};
use super::keys::{KeyPress, chord_to_string, parse_chord};
use crate::config::line_of;
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");
pub const EMACS_KEYMAP: &str = include_str!("../../keymaps/emacs.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    List,
    Mailbox,
    Reader,
    Compose,
    Directory,
    Records,
    Audit,
    Help,
    Login,
    Outbox,
}

impl Scope {
    pub const ALL: &'static [Scope] = &[
        Scope::Global,
        Scope::List,
        Scope::Mailbox,
        Scope::Reader,
        Scope::Compose,
        Scope::Directory,
        Scope::Records,
        Scope::Audit,
        Scope::Help,
        Scope::Login,
        Scope::Outbox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::List => "list",
            Scope::Mailbox => "mailbox",
            Scope::Reader => "reader",
            Scope::Compose => "compose",
            Scope::Directory => "directory",
            Scope::Records => "records",
            Scope::Audit => "audit",
            Scope::Help => "help",
            Scope::Login => "login",
            Scope::Outbox => "outbox",
        }
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.iter().copied().find(|s| s.name() == name)
    }
}

/// A problem in a keymap file, located for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// The outcome of looking keys up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Command(Command),
    /// The keys so far start one or more chords: what can follow, for which-key.
    Pending(Vec<(KeyPress, Option<Command>)>),
    NoMatch,
}

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    scopes: HashMap<Scope, BTreeMap<Vec<KeyPress>, Command>>,
}

type RawKeymap = BTreeMap<String, BTreeMap<String, toml::Spanned<String>>>;

/// One parsed entry: where it is, and `None` for `"none"` (unbind).
struct Entry {
    scope: Scope,
    chord: Vec<KeyPress>,
    command: Option<Command>,
}

impl Keymap {
    /// A shipped keymap by name (`default` or `emacs`).
    pub fn builtin(name: &str) -> Result<Keymap, Vec<KeymapError>> {
        let (source, file) = match name {
            "emacs" => (EMACS_KEYMAP, "keymaps/emacs.toml"),
            _ => (DEFAULT_KEYMAP, "keymaps/default.toml"),
        };
        let mut keymap = Keymap::default();
        keymap.patch(source, file)?;
        Ok(keymap)
    }

    /// Applies a keymap file on top of this one, or changes nothing and
    /// returns every error found.
    pub fn patch(&mut self, source: &str, file: &str) -> Result<(), Vec<KeymapError>> {
        let entries = parse_entries(source, file)?;
        let mut next = self.clone();
        for entry in entries {
            let scope = next.scopes.entry(entry.scope).or_default();
            match entry.command {
                Some(command) => {
                    scope.insert(entry.chord, command);
                }
                None => {
                    scope.remove(&entry.chord);
                }
            }
        }
        let conflicts = next.prefix_conflicts();
        if !conflicts.is_empty() {
            return Err(conflicts
                .into_iter()
                .map(|reason| KeymapError {
                    file: file.to_string(),
                    line: 0,
                    reason,
                })
                .collect());
        }
        *self = next;
        Ok(())
    }

    /// Chords that are both bound and the prefix of another chord in the
    /// same scope: the longer one could never be typed.
    pub fn prefix_conflicts(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (scope, bindings) in &self.scopes {
            for chord in bindings.keys() {
                for other in bindings.keys() {
                    if other.len() > chord.len() && other.starts_with(chord) {
                        found.push(format!(
                            "[{}] \"{}\" hides \"{}\"",
                            scope.name(),
                            chord_to_string(chord),
                            chord_to_string(other)
                        ));
                    }
                }
            }
        }
        found
    }

    /// Looks `keys` up through `scopes`, highest priority first. A scope's
    /// binding shadows the same chord in later scopes; chords that continue
    /// `keys` are gathered from every scope, so `g i` (global) stays
    /// reachable on a list screen that binds `g g`.
    pub fn resolve(&self, scopes: &[Scope], keys: &[KeyPress]) -> Resolution {
        let mut continuations: BTreeMap<KeyPress, Option<Command>> = BTreeMap::new();
        for scope in scopes {
            let Some(bindings) = self.scopes.get(scope) else {
                continue;
            };
            if let Some(command) = bindings.get(keys)
                && continuations.is_empty()
            {
                return Resolution::Command(*command);
            }
            for (chord, command) in bindings
                .range(keys.to_vec()..)
                .take_while(|(chord, _)| chord.starts_with(keys))
                .filter(|(chord, _)| chord.len() > keys.len())
            {
                let complete = chord.len() == keys.len() + 1;
                let slot = continuations.entry(chord[keys.len()]).or_insert(None);
                if complete && slot.is_none() {
                    *slot = Some(*command);
                }
            }
        }
        if continuations.is_empty() {
            Resolution::NoMatch
        } else {
            Resolution::Pending(continuations.into_iter().collect())
        }
    }

    /// Every binding of a scope, for the help screen.
    pub fn bindings(&self, scope: Scope) -> impl Iterator<Item = (&Vec<KeyPress>, &Command)> {
        self.scopes.get(&scope).into_iter().flatten()
    }

    /// The chords bound to `command` in `scope`.
    pub fn keys_for(&self, scope: Scope, command: Command) -> Vec<String> {
        self.bindings(scope)
            .filter(|(_, c)| **c == command)
            .map(|(k, _)| chord_to_string(k))
            .collect()
    }
}

fn parse_entries(source: &str, file: &str) -> Result<Vec<Entry>, Vec<KeymapError>> {
    let error = |line: usize, reason: String| KeymapError {
        file: file.to_string(),
        line,
        reason,
    };
    let raw: RawKeymap = toml::from_str(source).map_err(|e| {
        let line = e.span().map_or(0, |span| line_of(source, span.start));
        vec![error(line, e.message().to_string())]
    })?;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (scope_name, bindings) in raw {
        let Some(scope) = Scope::from_name(&scope_name) else {
            let line = bindings
                .values()
                .next()
                .map_or(0, |v| line_of(source, v.span().start));
            errors.push(error(line, format!("unknown section [{scope_name}]")));
            continue;
        };
        let mut seen: HashMap<Vec<KeyPress>, String> = HashMap::new();
        for (keys, value) in bindings {
            let line = line_of(source, value.span().start);
            let chord = match parse_chord(&keys) {
                Ok(chord) => chord,
                Err(reason) => {
                    errors.push(error(line, reason));
                    continue;
                }
            };
            if let Some(previous) = seen.insert(chord.clone(), keys.clone()) {
                errors.push(error(
                    line,
                    format!("\"{keys}\" and \"{previous}\" are the same key"),
                ));
                continue;
            }
            let name = value.get_ref();
            let command = if name == "none" {
                None
            } else {
                match command::by_name(name) {
                    Some(spec) => Some(spec.command),
                    None => {
                        errors.push(error(line, format!("unknown command \"{name}\"")));
                        continue;
                    }
                }
            };
            entries.push(Entry {
                scope,
                chord,
                command,
            });
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::command::{AppCmd, ListCmd};

    #[test]
    fn shipped_keymaps_parse_without_conflict() {
        for name in ["default", "emacs"] {
            let keymap = Keymap::builtin(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(keymap.prefix_conflicts().is_empty(), "{name}");
            assert!(
                keymap.bindings(Scope::Global).count() > 3,
                "{name} has global bindings"
            );
        }
    }

    #[test]
    fn every_registered_command_is_reachable_in_the_default_keymap() {
        let keymap = Keymap::builtin("default").expect("default");
        let bound: std::collections::HashSet<Command> = Scope::ALL
            .iter()
            .flat_map(|s| keymap.bindings(*s).map(|(_, c)| *c))
            .collect();
        for spec in command::REGISTRY {
            assert!(
                bound.contains(&spec.command),
                "{} has no key in default.toml",
                spec.name
            );
        }
    }

    #[test]
    fn resolution_follows_scopes_and_chords() {
        let keymap = Keymap::builtin("default").expect("default");
        let scopes = [Scope::Mailbox, Scope::List, Scope::Global];
        assert_eq!(
            keymap.resolve(&scopes, &[KeyPress::ch('j')]),
            Resolution::Command(Command::List(ListCmd::Down))
        );
        match keymap.resolve(&scopes, &[KeyPress::ch('g')]) {
            Resolution::Pending(next) => {
                assert!(
                    next.iter().any(|(k, _)| *k == KeyPress::ch('g')),
                    "list's g g"
                );
                assert!(
                    next.iter().any(|(k, _)| *k == KeyPress::ch('i')),
                    "global's g i"
                );
            }
            other => panic!("g should start chords, got {other:?}"),
        }
        assert_eq!(
            keymap.resolve(&scopes, &[KeyPress::ch('§')]),
            Resolution::NoMatch
        );
    }

    #[test]
    fn user_patch_rebinds_and_unbinds() {
        let mut keymap = Keymap::builtin("default").expect("default");
        keymap
            .patch(
                "[global]\n\"ctrl-q\" = \"app.quit\"\n\"q\" = \"none\"\n",
                "keymap.toml",
            )
            .expect("valid");
        let global = [Scope::Global];
        assert_eq!(
            keymap.resolve(&global, &[KeyPress::ctrl('q')]),
            Resolution::Command(Command::App(AppCmd::Quit))
        );
        assert_eq!(
            keymap.resolve(&global, &[KeyPress::ch('q')]),
            Resolution::NoMatch
        );
    }

    #[test]
    fn broken_user_files_name_the_line_and_change_nothing() {
        let mut keymap = Keymap::builtin("default").expect("default");
        let before = keymap.resolve(&[Scope::Global], &[KeyPress::ch('q')]);

        let errors = keymap
            .patch(
                "[global]\n\"x\" = \"app.quit\"\n\"q\" = \"app.explode\"\n",
                "keymap.toml",
            )
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].file.as_str(), errors[0].line),
            ("keymap.toml", 3)
        );
        assert!(errors[0].reason.contains("app.explode"));
        assert_eq!(
            keymap.resolve(&[Scope::Global], &[KeyPress::ch('x')]),
            Resolution::NoMatch,
            "nothing applied"
        );

        let errors = keymap
            .patch("[global]\n\"q\" = \"app.quit\"\n\"z\" = \n", "keymap.toml")
            .unwrap_err();
        assert_eq!(errors[0].line, 3, "{errors:?}");
        assert_eq!(
            keymap.resolve(&[Scope::Global], &[KeyPress::ch('q')]),
            before
        );
    }

    #[test]
    fn duplicate_spellings_and_prefix_conflicts_are_refused() {
        let mut keymap = Keymap::default();
        let errors = keymap
            .patch(
                "[global]\n\"ctrl-d\" = \"app.quit\"\n\"C-d\" = \"app.help\"\n",
                "k.toml",
            )
            .unwrap_err();
        assert!(errors[0].reason.contains("same key"), "{errors:?}");
        let errors = keymap
            .patch(
                "[global]\n\"g\" = \"app.quit\"\n\"g g\" = \"app.help\"\n",
                "k.toml",
            )
            .unwrap_err();
        assert!(errors[0].reason.contains("hides"), "{errors:?}");
    }
}
