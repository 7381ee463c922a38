//! Themes: semantic scopes mapped to colours, loaded from TOML.
//!
//! Views never name a colour; they ask for a scope from [`scope`] (for
//! example `mail.list.unread`). A scope's style is built from its dotted
//! ancestors down (`ui` → `mail` → `mail.list` → `mail.list.unread`), each
//! level overriding only the fields it sets. Themes name colours through a
//! `[palette]` and may `inherits = "other"` (cycles are refused). Colours are
//! reduced to the 16 ANSI colours when the terminal lacks truecolor, and
//! dropped entirely when `NO_COLOR` is set (selection then shows reversed).

use crate::config::line_of;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

pub const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");
pub const LIGHT_THEME: &str = include_str!("../../themes/light.toml");
pub const HIGH_CONTRAST_THEME: &str = include_str!("../../themes/high-contrast.toml");

/// The scopes views use; every shipped theme must resolve each of them.
pub mod scope {
    pub const UI: &str = "ui";
    pub const BORDER: &str = "ui.border";
    pub const BORDER_FOCUSED: &str = "ui.border.focused";
    pub const TITLE: &str = "ui.title";
    pub const MUTED: &str = "ui.muted";
    pub const SELECTION: &str = "ui.selection";
    pub const KEY: &str = "ui.key";
    pub const POPUP: &str = "ui.popup";
    pub const STATUS: &str = "ui.status";
    pub const STATUS_ONLINE: &str = "ui.status.online";
    pub const STATUS_OFFLINE: &str = "ui.status.offline";
    pub const STATUS_GAUGE: &str = "ui.status.gauge";
    pub const NOTIFY_INFO: &str = "ui.notify.info";
    pub const NOTIFY_WARN: &str = "ui.notify.warn";
    pub const NOTIFY_ERROR: &str = "ui.notify.error";
    pub const LIST: &str = "mail.list";
    pub const LIST_UNREAD: &str = "mail.list.unread";
    pub const LIST_FLAGGED: &str = "mail.list.flagged";
    pub const LIST_THREAD: &str = "mail.list.thread";
    pub const LIST_DATE: &str = "mail.list.date";
    pub const LIST_MARKS: &str = "mail.list.marks";
    pub const HEADER_LABEL: &str = "mail.header.label";
    pub const HEADER_VALUE: &str = "mail.header.value";
    pub const BODY: &str = "mail.body";
    pub const BODY_QUOTE: &str = "mail.body.quote";
    pub const BODY_LINK: &str = "mail.body.link";
    pub const BODY_HEADING: &str = "mail.body.heading";
    pub const BODY_STRONG: &str = "mail.body.strong";
    pub const BODY_CODE: &str = "mail.body.code";
    pub const BODY_WARNING: &str = "mail.body.warning";
    pub const ATTACHMENT: &str = "mail.attachment";
    pub const LOGIN_PIN: &str = "login.pin";
    pub const LOCK: &str = "lock";

    pub const ALL: &[&str] = &[
        UI,
        BORDER,
        BORDER_FOCUSED,
        TITLE,
        MUTED,
        SELECTION,
        KEY,
        POPUP,
        STATUS,
        STATUS_ONLINE,
        STATUS_OFFLINE,
        STATUS_GAUGE,
        NOTIFY_INFO,
        NOTIFY_WARN,
        NOTIFY_ERROR,
        LIST,
        LIST_UNREAD,
        LIST_FLAGGED,
        LIST_THREAD,
        LIST_DATE,
        LIST_MARKS,
        HEADER_LABEL,
        HEADER_VALUE,
        BODY,
        BODY_QUOTE,
        BODY_LINK,
        BODY_HEADING,
        BODY_STRONG,
        BODY_CODE,
        BODY_WARNING,
        ATTACHMENT,
        LOGIN_PIN,
        LOCK,
    ];
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi16,
    /// `NO_COLOR`: modifiers only.
    None,
}

impl ColorDepth {
    pub fn from_env() -> ColorDepth {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        match std::env::var("COLORTERM") {
            Ok(v) if v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit") => {
                ColorDepth::TrueColor
            }
            _ => ColorDepth::Ansi16,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    scopes: BTreeMap<String, toml::Spanned<RawStyle>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

/// The definition of a scope after inheritance, before colour reduction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Spec {
    fg: Option<Color>,
    bg: Option<Color>,
    modifiers: Modifier,
}

#[derive(Debug, Clone)]
pub struct Theme {
    specs: HashMap<String, Spec>,
    depth: ColorDepth,
}

/// Where theme sources come from: the shipped ones plus the user's folder.
pub trait ThemeSource {
    /// The TOML text and a file name for messages.
    fn load(&self, name: &str) -> Option<(String, String)>;
}

/// Shipped themes only.
pub struct Builtin;

impl ThemeSource for Builtin {
    fn load(&self, name: &str) -> Option<(String, String)> {
        builtin_source(name).map(|s| (s.to_string(), format!("themes/{name}.toml")))
    }
}

pub fn builtin_source(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(DEFAULT_THEME),
        "light" => Some(LIGHT_THEME),
        "high-contrast" => Some(HIGH_CONTRAST_THEME),
        _ => None,
    }
}

impl Theme {
    /// Loads `name` and its ancestors from `source`.
    pub fn load(
        name: &str,
        source: &dyn ThemeSource,
        depth: ColorDepth,
    ) -> Result<Theme, ThemeError> {
        let mut chain = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(name.to_string());
        while let Some(current) = next {
            if !seen.insert(current.clone()) {
                return Err(ThemeError {
                    file: format!("{name}.toml"),
                    line: 0,
                    reason: format!("inheritance cycle through \"{current}\""),
                });
            }
            let (text, file) = source.load(&current).ok_or_else(|| ThemeError {
                file: format!("{current}.toml"),
                line: 0,
                reason: format!("no theme named \"{current}\""),
            })?;
            let raw: RawTheme = toml::from_str(&text).map_err(|e| ThemeError {
                file: file.clone(),
                line: e.span().map_or(0, |s| line_of(&text, s.start)),
                reason: e.message().to_string(),
            })?;
            next = raw.inherits.clone();
            chain.push((raw, text, file));
        }
        // Apply from the root ancestor down to `name`.
        let mut palette: HashMap<String, (String, String, usize)> = HashMap::new();
        let mut raw_scopes: HashMap<String, (RawStyle, String, usize)> = HashMap::new();
        for (raw, text, file) in chain.iter().rev() {
            for (key, value) in &raw.palette {
                palette.insert(
                    key.clone(),
                    (
                        value.get_ref().clone(),
                        file.clone(),
                        line_of(text, value.span().start),
                    ),
                );
            }
            for (key, value) in &raw.scopes {
                raw_scopes.insert(
                    key.clone(),
                    (
                        value.get_ref().clone(),
                        file.clone(),
                        line_of(text, value.span().start),
                    ),
                );
            }
        }
        let mut specs = HashMap::new();
        for (key, (style, file, line)) in raw_scopes {
            let err = |reason: String| ThemeError {
                file: file.clone(),
                line,
                reason,
            };
            let color = |name: &Option<String>| -> Result<Option<Color>, ThemeError> {
                match name {
                    None => Ok(None),
                    Some(name) => {
                        let value = palette
                            .get(name)
                            .map(|(v, _, _)| v.as_str())
                            .unwrap_or(name);
                        parse_color(value)
                            .map(Some)
                            .ok_or_else(|| err(format!("unknown colour \"{name}\"")))
                    }
                }
            };
            let mut modifiers = Modifier::empty();
            for m in &style.modifiers {
                modifiers |=
                    parse_modifier(m).ok_or_else(|| err(format!("unknown modifier \"{m}\"")))?;
            }
            specs.insert(
                key,
                Spec {
                    fg: color(&style.fg)?,
                    bg: color(&style.bg)?,
                    modifiers,
                },
            );
        }
        if !specs.contains_key(scope::UI) {
            return Err(ThemeError {
                file: format!("{name}.toml"),
                line: 0,
                reason: "no \"ui\" scope".into(),
            });
        }
        Ok(Theme { specs, depth })
    }

    pub fn builtin(name: &str, depth: ColorDepth) -> Result<Theme, ThemeError> {
        Theme::load(name, &Builtin, depth)
    }

    /// The fallback when even the default theme is unusable (never expected:
    /// it is embedded and tested); keeps the UI readable with terminal colours.
    pub fn plain() -> Theme {
        let mut specs = HashMap::new();
        specs.insert(scope::UI.to_string(), Spec::default());
        specs.insert(
            scope::SELECTION.to_string(),
            Spec {
                modifiers: Modifier::REVERSED,
                ..Spec::default()
            },
        );
        Theme {
            specs,
            depth: ColorDepth::None,
        }
    }

    fn resolved(&self, name: &str) -> Spec {
        let mut spec = Spec::default();
        let prefixes = name
            .match_indices('.')
            .map(|(i, _)| &name[..i])
            .chain([name]);
        for key in std::iter::once(scope::UI).chain(prefixes.filter(|p| *p != scope::UI)) {
            if let Some(level) = self.specs.get(key) {
                spec.fg = level.fg.or(spec.fg);
                spec.bg = level.bg.or(spec.bg);
                spec.modifiers |= level.modifiers;
            }
        }
        spec
    }

    /// The style for a scope, reduced to what the terminal can show.
    pub fn style(&self, name: &str) -> Style {
        let spec = self.resolved(name);
        let mut style = Style::default().add_modifier(spec.modifiers);
        match self.depth {
            ColorDepth::TrueColor => {
                style.fg = spec.fg;
                style.bg = spec.bg;
            }
            ColorDepth::Ansi16 => {
                style.fg = spec.fg.map(to_ansi16);
                style.bg = spec.bg.map(to_ansi16);
            }
            ColorDepth::None => {
                if name == scope::SELECTION {
                    style = style.add_modifier(Modifier::REVERSED);
                }
            }
        }
        style
    }

    /// Foreground and background after inheritance (for contrast checks).
    pub fn colors(&self, name: &str) -> (Option<Color>, Option<Color>) {
        let spec = self.resolved(name);
        (spec.fg, spec.bg)
    }
}

fn parse_color(text: &str) -> Option<Color> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    Some(match text {
        "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" => Color::Gray,
        "darkgray" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

fn parse_modifier(text: &str) -> Option<Modifier> {
    Some(match text {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

/// The xterm values of the 16 ANSI colours.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn to_ansi16(color: Color) -> Color {
    let Color::Rgb(r, g, b) = color else {
        return color;
    };
    let distance = |(cr, cg, cb): (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, cr) + d(g, cg) + d(b, cb)
    };
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| distance(*rgb))
        .map_or(color, |(c, _)| *c)
}

/// WCAG 2.x contrast ratio between two colours (1.0 to 21.0).
pub fn contrast_ratio(a: Color, b: Color) -> Option<f64> {
    let rgb = |c: Color| match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        other => ANSI16.iter().find(|(n, _)| *n == other).map(|(_, v)| *v),
    };
    let luminance = |(r, g, b): (u8, u8, u8)| {
        let channel = |v: u8| {
            let c = f64::from(v) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    };
    let (la, lb) = (luminance(rgb(a)?), luminance(rgb(b)?));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: [&str; 3] = ["default", "light", "high-contrast"];

    #[test]
    fn every_shipped_theme_resolves_every_scope_with_colours() {
        for name in SHIPPED {
            let theme = Theme::builtin(name, ColorDepth::TrueColor)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            for s in scope::ALL {
                let (fg, bg) = theme.colors(s);
                assert!(
                    fg.is_some() && bg.is_some(),
                    "{name}: scope {s} lacks a colour"
                );
            }
        }
    }

    #[test]
    fn high_contrast_meets_wcag_aaa_everywhere() {
        let theme = Theme::builtin("high-contrast", ColorDepth::TrueColor).expect("loads");
        for s in scope::ALL {
            let (Some(fg), Some(bg)) = theme.colors(s) else {
                panic!("{s} unresolved")
            };
            let ratio = contrast_ratio(fg, bg).expect("rgb colours");
            assert!(ratio >= 7.0, "{s}: contrast {ratio:.2} < 7");
        }
    }

    #[test]
    fn dotted_scopes_inherit_fields_from_ancestors() {
        let theme = Theme::builtin("default", ColorDepth::TrueColor).expect("loads");
        let unread = theme.style(scope::LIST_UNREAD);
        assert!(unread.add_modifier.contains(Modifier::BOLD));
        assert_eq!(
            theme.colors("mail.list.unread.some.deeper").0,
            theme.colors(scope::LIST_UNREAD).0
        );
    }

    #[test]
    fn inheritance_cycles_and_bad_colours_are_reported() {
        struct Files;
        impl ThemeSource for Files {
            fn load(&self, name: &str) -> Option<(String, String)> {
                let text = match name {
                    "a" => "inherits = \"b\"\n[scopes]\n\"ui\" = { fg = \"red\" }\n",
                    "b" => "inherits = \"a\"\n",
                    "bad" => {
                        "inherits = \"default\"\n[scopes]\n\"ui\" = { fg = \"red\" }\n\"ui.title\" = { fg = \"chartreuse\" }\n"
                    }
                    other => {
                        return builtin_source(other)
                            .map(|s| (s.to_string(), format!("{other}.toml")));
                    }
                };
                Some((text.to_string(), format!("{name}.toml")))
            }
        }
        let err = Theme::load("a", &Files, ColorDepth::TrueColor).unwrap_err();
        assert!(err.reason.contains("cycle"), "{err:?}");
        let err = Theme::load("bad", &Files, ColorDepth::TrueColor).unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("bad.toml", 4), "{err:?}");
    }

    #[test]
    fn colour_reduction() {
        let theme = Theme::builtin("default", ColorDepth::Ansi16).expect("loads");
        let style = theme.style(scope::UI);
        assert!(!matches!(style.fg, Some(Color::Rgb(..))));
        let theme = Theme::builtin("default", ColorDepth::None).expect("loads");
        assert_eq!(theme.style(scope::UI).fg, None);
        assert!(
            theme
                .style(scope::SELECTION)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }
}
