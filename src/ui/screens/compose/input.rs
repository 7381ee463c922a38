//! Typed input on the composer. Text keys go to the focused field; keys
//! the keymap binds (in the compose scope, then global) stay commands, so
//! `ctrl-s` sends while `q` or `:` are just letters in a subject. Open
//! popups (path prompt, completion, dialogs) see keys first.

use super::send;
use super::{ComposeState, Field, area_with, changed, text_of};
use crate::app::keymap::Resolution;
use crate::app::keys::{Key, KeyPress};
use crate::app::mail_effects::{ComposeEffect, Suggestion};
use crate::app::msg::Effect;
use crate::app::state::{Screen, State};
use ratatui_textarea::{Input, Key as TaKey, TextArea};
use std::path::PathBuf;
use std::time::Instant;

/// Fewer characters than this ask for no completion.
const COMPLETE_FROM: usize = 2;

fn to_input(key: &KeyPress) -> Option<Input> {
    let k = match key.key {
        Key::Char(c) => TaKey::Char(c),
        Key::Enter => TaKey::Enter,
        Key::Tab => TaKey::Tab,
        Key::Backspace => TaKey::Backspace,
        Key::Delete => TaKey::Delete,
        Key::Up => TaKey::Up,
        Key::Down => TaKey::Down,
        Key::Left => TaKey::Left,
        Key::Right => TaKey::Right,
        Key::Home => TaKey::Home,
        Key::End => TaKey::End,
        Key::PageUp => TaKey::PageUp,
        Key::PageDown => TaKey::PageDown,
        Key::Esc | Key::BackTab | Key::Insert | Key::F(_) => return None,
    };
    Some(Input {
        key: k,
        ctrl: key.mods.ctrl,
        alt: key.mods.alt,
        shift: key.mods.shift,
    })
}

/// Keys for the composer; `None` lets the keymap have them.
pub fn on_key(state: &mut State, key: &KeyPress, now: Instant) -> Option<Vec<Effect>> {
    if state.screen != Screen::Compose || state.palette.is_some() {
        return None;
    }
    if state.compose.dialog.is_some() {
        return Some(send::on_dialog_key(state, key));
    }
    if state.compose.path_prompt.is_some() {
        return Some(path_prompt_key(state, key));
    }
    if !state.pending_keys.is_empty() {
        return None;
    }
    if let Some(effects) = completion_key(state, key, now) {
        return Some(effects);
    }
    let plain_text = matches!(key.key, Key::Char(_)) && !key.mods.ctrl && !key.mods.alt;
    if !plain_text {
        let resolved = state
            .keymap
            .resolve(state.screen.scopes(), std::slice::from_ref(key));
        if !matches!(resolved, Resolution::NoMatch) || key.key == Key::Esc {
            return None;
        }
    }
    let focus = state.compose.focus;
    if focus == Field::Attachments {
        return Some(attachments_key(state, key));
    }
    if focus != Field::Body && key.key == Key::Enter {
        state.compose.completion = None;
        state.compose.focus = focus.step(1);
        return Some(Vec::new());
    }
    let input = to_input(key)?;
    let Some(area) = state.compose.field_mut(focus) else {
        return Some(Vec::new());
    };
    if area.input(input) {
        changed(state, now);
        if focus.is_address() {
            return Some(ask_completion(state));
        }
    }
    Some(Vec::new())
}

/// Pasted text goes into the focused field (or the path prompt).
pub fn on_paste(state: &mut State, text: &str, now: Instant) {
    if let Some(prompt) = &mut state.compose.path_prompt {
        prompt.input.insert_str(text.lines().next().unwrap_or(""));
        return;
    }
    let focus = state.compose.focus;
    let single_line = focus != Field::Body;
    if let Some(area) = state.compose.field_mut(focus) {
        let text = if single_line {
            text.replace(['\r', '\n'], " ")
        } else {
            text.replace("\r\n", "\n")
        };
        area.insert_str(text);
        changed(state, now);
    }
}

/// The recipient being typed: what follows the last separator.
fn last_token(text: &str) -> &str {
    text.rsplit([',', ';']).next().unwrap_or("").trim_start()
}

fn ask_completion(state: &mut State) -> Vec<Effect> {
    let focus = state.compose.focus;
    let text = state.compose.field(focus).map(text_of).unwrap_or_default();
    let token = last_token(&text).trim().to_string();
    if token.chars().count() < COMPLETE_FROM || token.contains('<') {
        state.compose.completion = None;
        state.compose.completion_pending = None;
        return Vec::new();
    }
    let generation = state.generation();
    state.compose.completion_pending = Some(generation);
    vec![Effect::Compose(ComposeEffect::Complete {
        prefix: token,
        generation,
    })]
}

pub fn on_completions(state: &mut State, generation: u64, items: Vec<Suggestion>) {
    if state.compose.completion_pending != Some(generation) {
        return; // an answer to an older prefix
    }
    state.compose.completion_pending = None;
    state.compose.completion =
        (!items.is_empty()).then_some(super::Completion { items, selected: 0 });
}

fn completion_key(state: &mut State, key: &KeyPress, now: Instant) -> Option<Vec<Effect>> {
    let compose = &mut state.compose;
    let completion = compose.completion.as_mut()?;
    if !compose.focus.is_address() || key.mods.ctrl || key.mods.alt {
        return None;
    }
    let len = completion.items.len();
    match key.key {
        Key::Down => completion.selected = (completion.selected + 1) % len.max(1),
        Key::Up => completion.selected = (completion.selected + len.max(1) - 1) % len.max(1),
        Key::Esc => compose.completion = None,
        Key::Enter | Key::Tab => {
            let chosen = completion.items.get(completion.selected).cloned()?;
            accept(compose, &chosen, now);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Replaces the recipient being typed by the chosen address.
fn accept(compose: &mut ComposeState, chosen: &Suggestion, now: Instant) {
    let focus = compose.focus;
    let text = compose.field(focus).map(text_of).unwrap_or_default();
    let keep = text.rfind([',', ';']).map_or("", |i| &text[..=i]);
    let entry = match &chosen.name {
        Some(name) if !name.is_empty() => format!("{name} <{}>", chosen.address),
        _ => chosen.address.clone(),
    };
    let joined = if keep.is_empty() {
        format!("{entry}, ")
    } else {
        format!("{keep} {entry}, ")
    };
    if let Some(area) = compose.field_mut(focus) {
        *area = area_with(&joined);
    }
    compose.completion = None;
    compose.completion_pending = None;
    compose.changed_at.get_or_insert(now);
}

fn attachments_key(state: &mut State, key: &KeyPress) -> Vec<Effect> {
    let compose = &mut state.compose;
    let len = compose.attachments.len();
    match key.key {
        Key::Down if len > 0 => compose.attachment_cursor = (compose.attachment_cursor + 1) % len,
        Key::Up if len > 0 => {
            compose.attachment_cursor = (compose.attachment_cursor + len - 1) % len
        }
        Key::Delete | Key::Backspace => {
            return super::on_command(state, crate::app::command::ComposeCmd::RemoveAttachment);
        }
        Key::Enter => {
            return super::on_command(state, crate::app::command::ComposeCmd::Attach);
        }
        _ => {}
    }
    Vec::new()
}

fn path_prompt_key(state: &mut State, key: &KeyPress) -> Vec<Effect> {
    let Some(prompt) = state.compose.path_prompt.as_mut() else {
        return Vec::new();
    };
    match key.key {
        Key::Esc => state.compose.path_prompt = None,
        Key::Enter => {
            let path = text_of(&prompt.input).trim().to_string();
            let as_xdm = prompt.xdm;
            state.compose.path_prompt = None;
            if !path.is_empty() {
                return vec![Effect::Compose(ComposeEffect::Attach {
                    path: expand_home(&path),
                    as_xdm,
                })];
            }
        }
        Key::Tab => {
            if let Some(common) = common_prefix(&prompt.suggestions) {
                let current = text_of(&prompt.input);
                if common.len() > current.len() {
                    prompt.input = single_line(&common);
                    return ask_paths(state);
                }
            }
        }
        _ => {
            if let Some(input) = to_input(key)
                && key.key != Key::Enter
                && prompt.input.input(input)
            {
                return ask_paths(state);
            }
        }
    }
    Vec::new()
}

fn single_line(text: &str) -> TextArea<'static> {
    area_with(text)
}

fn ask_paths(state: &mut State) -> Vec<Effect> {
    let generation = state.generation();
    let Some(prompt) = state.compose.path_prompt.as_mut() else {
        return Vec::new();
    };
    prompt.pending = Some(generation);
    vec![Effect::Compose(ComposeEffect::CompletePath {
        prefix: text_of(&prompt.input),
        generation,
    })]
}

pub fn on_path_completions(state: &mut State, generation: u64, items: Vec<String>) {
    if let Some(prompt) = state.compose.path_prompt.as_mut()
        && prompt.pending == Some(generation)
    {
        prompt.pending = None;
        prompt.suggestions = items;
    }
}

/// `~/x` as the shells read it (the prompt is typed by a person).
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The longest prefix shared by every suggestion.
fn common_prefix(items: &[String]) -> Option<String> {
    let first = items.first()?;
    let mut end = first.len();
    for item in &items[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(item.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8()),
        );
    }
    first.get(..end).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_being_typed_is_after_the_last_separator() {
        assert_eq!(last_token("Bob <b@x.test>, mar"), "mar");
        assert_eq!(last_token("mar"), "mar");
        assert_eq!(last_token("a@x.test; "), "");
    }

    #[test]
    fn common_prefix_of_paths() {
        let items = vec![
            "/tmp/compte-rendu.pdf".to_string(),
            "/tmp/compte.xml".into(),
        ];
        assert_eq!(common_prefix(&items).as_deref(), Some("/tmp/compte"));
        assert_eq!(common_prefix(&[]), None);
    }
}
