//! Building the first state from settings and user files.
//!
//! Nothing here may stop the program: a broken `keymap.toml` or theme file
//! becomes a notification naming the file and the line, and the shipped
//! defaults stay in force.

use super::i18n::{Lang, T, Texts};
use super::keymap::Keymap;
use super::state::{Level, Notification, SessionInfo, State};
use super::theme::{ColorDepth, Theme, ThemeSource, builtin_source};
use crate::config::{Language, Paths, Settings};
use std::path::PathBuf;
use std::time::Duration;

/// What startup produced: the state, how it looks, and what went wrong.
pub struct Startup {
    pub state: State,
    pub theme: Theme,
    pub texts: Texts,
}

/// User theme files in the config folder's `themes/`, then the shipped ones.
struct UserThemes {
    dir: PathBuf,
}

impl ThemeSource for UserThemes {
    fn load(&self, name: &str) -> Option<(String, String)> {
        let path = self.dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => Some((text, path.display().to_string())),
            Err(_) => builtin_source(name).map(|s| (s.to_string(), format!("themes/{name}.toml"))),
        }
    }
}

pub fn language(settings: &Settings) -> Lang {
    match settings.language {
        Some(Language::Fr) => Lang::Fr,
        Some(Language::En) => Lang::En,
        None => Lang::from_env(),
    }
}

/// Loads keymap and theme (reporting problems) and builds the initial state.
pub fn build(
    settings: &Settings,
    paths: &Paths,
    session: SessionInfo,
    has_mail: bool,
    depth: ColorDepth,
) -> Startup {
    let mut problems = Vec::new();
    let keymap_name = settings.keymap.as_deref().unwrap_or("default");
    let mut keymap = match Keymap::builtin(keymap_name) {
        Ok(keymap) => keymap,
        Err(errors) => {
            // Shipped keymaps are tested; this only guards against a broken build.
            problems.extend(
                errors
                    .into_iter()
                    .map(|e| keymap_problem(&e.file, e.line, &e.reason)),
            );
            Keymap::default()
        }
    };
    let user_keymap = paths.keymap_file();
    if let Ok(text) = std::fs::read_to_string(&user_keymap)
        && let Err(errors) = keymap.patch(&text, &user_keymap.display().to_string())
    {
        problems.extend(
            errors
                .into_iter()
                .map(|e| keymap_problem(&e.file, e.line, &e.reason)),
        );
    }
    let theme_name = settings.theme.as_deref().unwrap_or("default");
    let theme = match Theme::load(
        theme_name,
        &UserThemes {
            dir: paths.themes_dir(),
        },
        depth,
    ) {
        Ok(theme) => theme,
        Err(e) => {
            problems.push(
                Notification::new(Level::Error, T::NotifyThemeError)
                    .arg("file", e.file)
                    .arg("line", e.line.to_string())
                    .arg("reason", e.reason),
            );
            Theme::builtin("default", depth).unwrap_or_else(|_| Theme::plain())
        }
    };
    let mut state = State::new(keymap, session, has_mail);
    state.idle_lock = match settings.idle_lock_minutes {
        Some(0) => None,
        Some(minutes) => Some(Duration::from_secs(u64::from(minutes) * 60)),
        None => Some(Duration::from_secs(10 * 60)),
    };
    for problem in problems {
        state.notify(problem);
    }
    Startup {
        state,
        theme,
        texts: Texts::new(language(settings)),
    }
}

fn keymap_problem(file: &str, line: usize, reason: &str) -> Notification {
    Notification::new(Level::Error, T::NotifyKeymapError)
        .arg("file", file)
        .arg("line", line.to_string())
        .arg("reason", reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::Connectivity;

    fn session() -> SessionInfo {
        SessionInfo {
            profile: None,
            account: None,
            connectivity: Connectivity::Offline,
        }
    }

    #[test]
    fn a_broken_user_keymap_is_reported_and_defaults_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("keymap.toml"),
            "[global]\n\"q\" = \"app.quit\"\n\"x\" = \"app.fly\"\n",
        )
        .expect("write");
        let paths = Paths::resolve(Some(dir.path().join("config.toml")), None);
        let startup = build(
            &Settings::default(),
            &paths,
            session(),
            false,
            ColorDepth::None,
        );
        let note = startup.state.notifications.first().expect("a notification");
        assert_eq!(note.text, T::NotifyKeymapError);
        let args: std::collections::HashMap<_, _> = note.args.iter().cloned().collect();
        assert!(args["file"].ends_with("keymap.toml"));
        assert_eq!(args["line"], "3");
        assert!(args["reason"].contains("app.fly"));
        let keys = startup.state.keymap.keys_for(
            crate::app::keymap::Scope::List,
            crate::app::command::Command::List(crate::app::command::ListCmd::Down),
        );
        assert!(keys.contains(&"j".to_string()), "defaults in force");
    }

    #[test]
    fn a_garbage_user_theme_falls_back_with_a_notification() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("themes")).expect("mkdir");
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "inherits = \"default\"\n[scopes\n",
        )
        .expect("write");
        let paths = Paths::resolve(Some(dir.path().join("config.toml")), None);
        let settings = Settings {
            theme: Some("mine".into()),
            ..Settings::default()
        };
        let startup = build(&settings, &paths, session(), false, ColorDepth::TrueColor);
        let note = startup.state.notifications.first().expect("a notification");
        assert_eq!(note.text, T::NotifyThemeError);
        assert!(
            note.args.iter().any(|(k, v)| *k == "line" && v == "2"),
            "{:?}",
            note.args
        );
    }
}
