//! The command palette (`:`): type a command name, complete it, run it.
//!
//! Matching is on registered names: names starting with the input first,
//! then names containing it, each group in registry order.

use super::command::{self, CommandSpec};
use super::keys::{Key, KeyPress};
use super::msg::Msg;
use super::state::PaletteState;

/// The commands matching the input, best first.
pub fn matches(input: &str) -> Vec<&'static CommandSpec> {
    let input = input.trim().to_lowercase();
    let starts = command::REGISTRY
        .iter()
        .filter(|s| s.name.starts_with(&input));
    let contains = command::REGISTRY
        .iter()
        .filter(|s| !s.name.starts_with(&input) && s.name.contains(&input));
    starts.chain(contains).collect()
}

/// What a key does in the open palette.
pub enum PaletteOutcome {
    Stay,
    Close,
    Run(Msg),
    Unknown(String),
}

pub fn on_key(palette: &mut PaletteState, key: &KeyPress) -> PaletteOutcome {
    let found = matches(&palette.input);
    match key.key {
        Key::Esc => return PaletteOutcome::Close,
        Key::Enter => {
            return match found.get(palette.selected) {
                Some(spec) => PaletteOutcome::Run(Msg::Command(spec.command)),
                None => PaletteOutcome::Unknown(palette.input.clone()),
            };
        }
        Key::Tab => {
            if let Some(spec) = found.get(palette.selected) {
                palette.input = spec.name.to_string();
                palette.selected = 0;
            }
        }
        Key::Down => palette.selected = (palette.selected + 1).min(found.len().saturating_sub(1)),
        Key::Up => palette.selected = palette.selected.saturating_sub(1),
        Key::Backspace => {
            if palette.input.pop().is_none() {
                return PaletteOutcome::Close;
            }
            palette.selected = 0;
        }
        Key::Char(c) if !key.mods.ctrl && !key.mods.alt => {
            palette.input.push(c);
            palette.selected = 0;
        }
        _ => {}
    }
    PaletteOutcome::Stay
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matches_come_first() {
        let found = matches("app.q");
        assert_eq!(found.first().map(|s| s.name), Some("app.quit"));
        let found = matches("unread");
        assert!(found.iter().any(|s| s.name == "mailbox.next_unread"));
        assert!(matches("zzz").is_empty());
    }

    #[test]
    fn tab_completes_and_enter_runs() {
        let mut palette = PaletteState::default();
        for c in "help".chars() {
            on_key(&mut palette, &KeyPress::ch(c));
        }
        on_key(&mut palette, &KeyPress::plain(Key::Tab));
        assert_eq!(palette.input, "app.help");
        match on_key(&mut palette, &KeyPress::plain(Key::Enter)) {
            PaletteOutcome::Run(Msg::Command(c)) => {
                assert_eq!(Some(c), command::by_name("app.help").map(|s| s.command))
            }
            _ => panic!("enter should run the command"),
        }
        palette.input = "nope".into();
        assert!(matches!(
            on_key(&mut palette, &KeyPress::plain(Key::Enter)),
            PaletteOutcome::Unknown(_)
        ));
    }
}
