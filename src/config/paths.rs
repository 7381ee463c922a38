//! Where Cachet keeps things: XDG folders, overridable from the command line.

use std::path::PathBuf;

/// The folders of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `config.toml`.
    pub config_file: PathBuf,
    /// `keymap.toml`, `themes/`.
    pub config_dir: PathBuf,
    /// Practitioner profiles (encrypted stores), one folder each.
    pub profiles_dir: PathBuf,
    /// The log file's folder (never secrets, never content).
    pub state_dir: PathBuf,
}

impl Paths {
    /// XDG locations, with `--config FILE` and `--profile-dir DIR` taking precedence.
    pub fn resolve(config: Option<PathBuf>, profile_dir: Option<PathBuf>) -> Paths {
        let dirs = directories::ProjectDirs::from("fr", "Cachet", "cachet");
        let home = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir)
        };
        let config_dir = dirs.as_ref().map_or_else(
            || home().join(".config/cachet"),
            |d| d.config_dir().to_path_buf(),
        );
        let data_dir = dirs.as_ref().map_or_else(
            || home().join(".local/share/cachet"),
            |d| d.data_dir().to_path_buf(),
        );
        let state_dir = dirs
            .as_ref()
            .and_then(|d| d.state_dir().map(PathBuf::from))
            .unwrap_or_else(|| home().join(".local/state/cachet"));
        let config_file = config.unwrap_or_else(|| config_dir.join("config.toml"));
        let config_dir = config_file
            .parent()
            .map(PathBuf::from)
            .unwrap_or(config_dir);
        Paths {
            config_file,
            config_dir,
            profiles_dir: profile_dir.unwrap_or_else(|| data_dir.join("profiles")),
            state_dir,
        }
    }

    pub fn keymap_file(&self) -> PathBuf {
        self.config_dir.join("keymap.toml")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_keymap_sits_beside_the_config() {
        let paths = Paths::resolve(Some("/tmp/x/cachet.toml".into()), Some("/tmp/p".into()));
        assert_eq!(paths.config_file, PathBuf::from("/tmp/x/cachet.toml"));
        assert_eq!(paths.keymap_file(), PathBuf::from("/tmp/x/keymap.toml"));
        assert_eq!(paths.profiles_dir, PathBuf::from("/tmp/p"));
    }
}
