//! Key presses as keymaps name them: `j`, `G`, `ctrl-d`, `alt-x`, `enter`, `f1`.
//!
//! A [`KeyPress`] is the normalised form used for lookups: shift is folded
//! into the character for printable keys (`G`, not `shift-g`), so two
//! spellings of the same key compare equal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    pub key: Key,
    pub mods: Mods,
}

impl KeyPress {
    pub const fn plain(key: Key) -> KeyPress {
        KeyPress {
            key,
            mods: Mods {
                ctrl: false,
                alt: false,
                shift: false,
            },
        }
    }
    pub const fn ch(c: char) -> KeyPress {
        KeyPress::plain(Key::Char(c))
    }
    pub const fn ctrl(c: char) -> KeyPress {
        KeyPress {
            key: Key::Char(c),
            mods: Mods {
                ctrl: true,
                alt: false,
                shift: false,
            },
        }
    }

    /// From a terminal event; `None` for keys Cachet never binds (media keys, modifiers alone).
    pub fn from_event(event: &KeyEvent) -> Option<KeyPress> {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        let shift = event.modifiers.contains(KeyModifiers::SHIFT);
        let key = match event.code {
            KeyCode::Char(' ') => Key::Char(' '),
            KeyCode::Char(c) if ctrl => Key::Char(c.to_ascii_lowercase()),
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab if shift => Key::BackTab,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Insert => Key::Insert,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::F(n) => Key::F(n),
            _ => return None,
        };
        // Shift is part of the character for printable keys.
        let shift = shift && !matches!(key, Key::Char(_) | Key::BackTab);
        Some(KeyPress {
            key,
            mods: Mods { ctrl, alt, shift },
        })
    }

    /// Parses one key (`ctrl-d`, `G`, `space`, `pagedown`).
    pub fn parse(text: &str) -> Result<KeyPress, String> {
        let mut mods = Mods::default();
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let consumed = ["ctrl-", "c-", "alt-", "a-", "m-", "shift-", "s-"]
                .iter()
                .find(|p| lower.starts_with(**p) && rest.len() > p.len());
            match consumed {
                Some(prefix) => {
                    match prefix.chars().next() {
                        Some('c') => mods.ctrl = true,
                        Some('a') | Some('m') => mods.alt = true,
                        _ => mods.shift = true,
                    }
                    rest = &rest[prefix.len()..];
                }
                None => break,
            }
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.shift && c.is_ascii_alphabetic() {
                    mods.shift = false;
                    Key::Char(c.to_ascii_uppercase())
                } else if mods.ctrl {
                    Key::Char(c.to_ascii_lowercase())
                } else {
                    Key::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => Key::Char(' '),
                "enter" | "ret" | "return" => Key::Enter,
                "esc" | "escape" => Key::Esc,
                "tab" if mods.shift => {
                    mods.shift = false;
                    Key::BackTab
                }
                "tab" => Key::Tab,
                "backtab" => Key::BackTab,
                "backspace" | "bs" => Key::Backspace,
                "del" | "delete" => Key::Delete,
                "ins" | "insert" => Key::Insert,
                "up" => Key::Up,
                "down" => Key::Down,
                "left" => Key::Left,
                "right" => Key::Right,
                "home" => Key::Home,
                "end" => Key::End,
                "pageup" | "pgup" => Key::PageUp,
                "pagedown" | "pgdown" => Key::PageDown,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => Key::F(n),
                    _ => return Err(format!("unknown key \"{text}\"")),
                },
                _ => return Err(format!("unknown key \"{text}\"")),
            },
        };
        Ok(KeyPress { key, mods })
    }
}

/// Parses a chord: keys separated by spaces (`g i`).
pub fn parse_chord(text: &str) -> Result<Vec<KeyPress>, String> {
    let keys: Result<Vec<_>, _> = text.split_whitespace().map(KeyPress::parse).collect();
    match keys {
        Ok(keys) if keys.is_empty() => Err("empty key".to_string()),
        other => other,
    }
}

pub fn chord_to_string(chord: &[KeyPress]) -> String {
    chord
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("backtab"),
            Key::Backspace => f.write_str("backspace"),
            Key::Delete => f.write_str("del"),
            Key::Insert => f.write_str("ins"),
            Key::Up => f.write_str("up"),
            Key::Down => f.write_str("down"),
            Key::Left => f.write_str("left"),
            Key::Right => f.write_str("right"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::PageUp => f.write_str("pageup"),
            Key::PageDown => f.write_str("pagedown"),
            Key::F(n) => write!(f, "f{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise() {
        assert_eq!(KeyPress::parse("ctrl-d"), KeyPress::parse("C-d"));
        assert_eq!(KeyPress::parse("shift-g"), KeyPress::parse("G"));
        assert_eq!(KeyPress::parse("shift-tab"), KeyPress::parse("backtab"));
        assert_eq!(KeyPress::parse("space"), Ok(KeyPress::ch(' ')));
        assert!(KeyPress::parse("hyper-x").is_err());
        assert!(KeyPress::parse("f99").is_err());
        assert!(parse_chord("   ").is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "ctrl-d",
            "G",
            "g",
            "space",
            "alt-enter",
            "f1",
            "pagedown",
            ":",
            "?",
        ] {
            let key = KeyPress::parse(text).expect(text);
            assert_eq!(KeyPress::parse(&key.to_string()), Ok(key), "{text}");
        }
    }

    #[test]
    fn terminal_events_match_parsed_keys() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&ev), KeyPress::parse("G").ok());
        let ev = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(KeyPress::from_event(&ev), KeyPress::parse("ctrl-d").ok());
        let ev = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&ev), KeyPress::parse("backtab").ok());
    }
}
