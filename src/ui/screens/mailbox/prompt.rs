//! The one-line prompts of the mailbox and the reader: search, filter,
//! folder picker for a move, expunge confirmation, attachment save path and
//! overwrite confirmation. While a prompt is open it owns typed input
//! (characters, Backspace, Enter, Esc, Up/Down/Tab in the folder picker).

use crate::app::i18n::T;
use crate::app::keys::{Key, KeyPress};
use crate::app::msg::Effect;
use crate::app::state::State;
use crate::domain::mailbox::MessageId;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: a query in the search language.
    Search,
    /// `l`: list filters (`non-lus`, `suivis`, `pj`, `from:`, `to:`, `date:`).
    Filter,
    /// Pick the target folder for these messages.
    MoveTo { ids: Vec<MessageId> },
    /// Expunge the current folder? (y/n)
    ConfirmExpunge,
    /// Where to save attachment `index` of the open message.
    SavePath { index: usize },
    /// The file exists: replace it? (y/n)
    ConfirmOverwrite { index: usize, path: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: String,
    /// The highlighted choice (folder picker).
    pub selected: usize,
}

impl Prompt {
    pub fn new(kind: PromptKind, input: impl Into<String>) -> Prompt {
        Prompt {
            kind,
            input: input.into(),
            selected: 0,
        }
    }

    /// The label shown before the input.
    pub fn label(&self) -> T {
        match self.kind {
            PromptKind::Search => T::PromptSearch,
            PromptKind::Filter => T::PromptFilter,
            PromptKind::MoveTo { .. } => T::PromptMoveTo,
            PromptKind::ConfirmExpunge => T::PromptExpunge,
            PromptKind::SavePath { .. } => T::PromptSavePath,
            PromptKind::ConfirmOverwrite { .. } => T::PromptOverwrite,
        }
    }

    pub fn is_confirmation(&self) -> bool {
        matches!(
            self.kind,
            PromptKind::ConfirmExpunge | PromptKind::ConfirmOverwrite { .. }
        )
    }
}

/// The folders a move can go to, matching the typed text (indexes into
/// `state.mailbox.folders`, the current folder left out).
pub fn move_choices(mailbox: &super::MailboxState, input: &str) -> Vec<usize> {
    let needle = input.trim().to_lowercase();
    mailbox
        .folders
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != mailbox.folder)
        .filter(|(_, f)| {
            needle.is_empty()
                || f.name.to_lowercase().contains(&needle)
                || super::folder_label(f.role).is_some_and(|t| {
                    // Both languages' names of special folders match.
                    [crate::app::i18n::Lang::Fr, crate::app::i18n::Lang::En]
                        .iter()
                        .any(|lang| {
                            crate::app::i18n::Texts::new(*lang)
                                .get(t)
                                .to_lowercase()
                                .contains(&needle)
                        })
                })
        })
        .map(|(i, _)| i)
        .collect()
}

/// Typed input while a prompt is open; `None` when no prompt is open.
pub fn on_key(state: &mut State, key: &KeyPress) -> Option<Vec<Effect>> {
    let prompt = state.mailbox.prompt.as_mut()?;
    if prompt.is_confirmation() {
        let yes = matches!(key.key, Key::Char('y' | 'Y' | 'o' | 'O')) && !key.mods.ctrl;
        let Some(prompt) = state.mailbox.prompt.take() else {
            return Some(Vec::new());
        };
        return Some(if yes {
            super::actions::confirmed(state, prompt.kind)
        } else {
            Vec::new()
        });
    }
    match key.key {
        Key::Esc => {
            state.mailbox.prompt = None;
        }
        Key::Enter => {
            let Some(prompt) = state.mailbox.prompt.take() else {
                return Some(Vec::new());
            };
            return Some(super::actions::submitted(state, prompt));
        }
        Key::Backspace => {
            prompt.input.pop();
            prompt.selected = 0;
        }
        Key::Down | Key::Tab => prompt.selected = prompt.selected.saturating_add(1),
        Key::Up | Key::BackTab => prompt.selected = prompt.selected.saturating_sub(1),
        Key::Char(c) if !key.mods.ctrl && !key.mods.alt => {
            prompt.input.push(c);
            prompt.selected = 0;
        }
        _ => {}
    }
    Some(Vec::new())
}

/// Pasted text goes into the open prompt (first line only).
pub fn on_paste(state: &mut State, text: &str) -> bool {
    match state.mailbox.prompt.as_mut() {
        Some(prompt) if !prompt.is_confirmation() => {
            prompt.input.push_str(text.lines().next().unwrap_or(""));
            true
        }
        _ => false,
    }
}
