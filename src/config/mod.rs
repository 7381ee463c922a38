//! Settings: `config.toml` in the XDG config folder (or `--config FILE`).
//!
//! The file is strict (`deny_unknown_fields`): a typo is an error naming the
//! file, the line and the key, never a silently ignored setting. Secrets are
//! never written in it: passwords and tokens come from a command
//! (`password_command`, `oauth_token_command`), as aerc and himalaya do.

mod paths;

pub use paths::Paths;

use crate::error::{ErrorKind, HasKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A commented example, printed by `cachet config example`.
pub const EXAMPLE: &str = include_str!("example.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    En,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `fr` or `en`; default from the locale (French unless it is English).
    pub language: Option<Language>,
    /// `default` (vim-like) or `emacs`.
    pub keymap: Option<String>,
    /// `default`, `light`, `high-contrast`, or a theme file in the config folder's `themes/`.
    pub theme: Option<String>,
    /// Lock the session after this many idle minutes (default 10; 0 disables).
    pub idle_lock_minutes: Option<u32>,
    #[serde(default)]
    pub trust: Trust,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
    pub directory: Option<DirectorySettings>,
    pub records: Option<RecordsSettings>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// PEM files; MSSanté accounts accept only these anchors (plus the built-in IGC-Santé
    /// production root unless `builtin_igc_sante = false`).
    #[serde(default)]
    pub anchors: Vec<PathBuf>,
    /// Trust the IGC-Santé production root shipped in the binary (default true).
    pub builtin_igc_sante: Option<bool>,
}

impl Trust {
    /// Whether the built-in IGC-Santé production root is trusted.
    pub fn uses_builtin_igc_sante(&self) -> bool {
        self.builtin_igc_sante.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    pub address: String,
    pub imap: Endpoint,
    pub smtp: Option<Endpoint>,
    /// Appended to new messages.
    pub signature: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    Implicit,
    Starttls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Card,
    Oauth,
    Password,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub auth: AuthMethod,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub oauth_token_command: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    /// Annuaire Santé FHIR API base URL (the offline index is always used first).
    pub fhir_url: Option<String>,
    /// Prints the `ESANTE-API-KEY` on stdout.
    pub api_key_command: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordsSettings {
    /// `mhd` or `dmp`; by default the DMP when `dmp_url` is set, else MHD.
    pub backend: Option<RecordsBackendKind>,
    /// IHE MHD (FHIR R4) endpoint.
    pub mhd_url: Option<String>,
    /// DMP web services endpoint (XDS.b, TLS with the card), e.g.
    /// `https://…/si-dmp-server/v2/services`; trusts `[trust] anchors`.
    pub dmp_url: Option<String>,
    /// VIHF `Identifiant_Structure` (the practice's structure id).
    pub structure_id: Option<String>,
    /// VIHF `Secteur_Activite` code (`SAxx`).
    pub sector: Option<String>,
    /// VIHF `LPS_ID_HOMOLOGATION_DMP`, given by the DMP test programme.
    pub dmp_homologation: Option<String>,
    /// Accept test INS OIDs (test platforms only).
    #[serde(default)]
    pub test_profile: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordsBackendKind {
    Mhd,
    Dmp,
}

impl RecordsSettings {
    /// The backend in use: the configured one, else the DMP when its URL is set.
    pub fn backend(&self) -> Option<RecordsBackendKind> {
        match self.backend {
            Some(kind) => Some(kind),
            None if self.dmp_url.is_some() => Some(RecordsBackendKind::Dmp),
            None if self.mhd_url.is_some() => Some(RecordsBackendKind::Mhd),
            None => None,
        }
    }

    /// The DMP settings, when the DMP backend is configured with its URL.
    pub fn dmp(&self, trust: &Trust) -> Option<crate::records::xds::DmpSettings> {
        Some(crate::records::xds::DmpSettings {
            base_url: self.dmp_url.clone()?,
            anchors: trust.anchors.clone(),
            structure_id: self.structure_id.clone(),
            sector: self.sector.clone(),
            homologation: self.dmp_homologation.clone(),
        })
    }
}

/// A configuration problem, located for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}{}: {reason}", key.as_ref().map(|k| format!(", key \"{k}\"")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub key: Option<String>,
    pub reason: String,
}

impl HasKind for ConfigError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Config
    }
}

impl Settings {
    /// Reads and validates a settings file. A missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Settings::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(ConfigError {
                file: path.display().to_string(),
                line: 0,
                key: None,
                reason: e.to_string(),
            }),
        }
    }

    pub fn parse(text: &str, file: &str) -> Result<Settings, ConfigError> {
        let settings: Settings = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            ConfigError {
                file: file.to_string(),
                line,
                key: key_on_line(text, line),
                reason: explain(e.message()),
            }
        })?;
        settings.validate(text, file)?;
        Ok(settings)
    }

    fn validate(&self, text: &str, file: &str) -> Result<(), ConfigError> {
        let error = |needle: &str, key: &str, reason: String| ConfigError {
            file: file.to_string(),
            line: text.find(needle).map_or(0, |offset| line_of(text, offset)),
            key: Some(key.to_string()),
            reason,
        };
        if let Some(keymap) = &self.keymap
            && !matches!(keymap.as_str(), "default" | "emacs")
        {
            return Err(error(
                "keymap",
                "keymap",
                format!("unknown keymap \"{keymap}\" (default or emacs)"),
            ));
        }
        if let Some(records) = &self.records {
            let missing = match records.backend {
                Some(RecordsBackendKind::Dmp) if records.dmp_url.is_none() => Some("dmp_url"),
                Some(RecordsBackendKind::Mhd) if records.mhd_url.is_none() => Some("mhd_url"),
                _ => None,
            };
            if let Some(key) = missing {
                return Err(error(
                    "backend",
                    key,
                    format!("[records] backend needs {key}"),
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for account in &self.accounts {
            if !names.insert(account.name.as_str()) {
                return Err(error(
                    &account.name,
                    "name",
                    format!("two accounts are named \"{}\"", account.name),
                ));
            }
            if !account.address.contains('@') {
                return Err(error(
                    &account.address,
                    "address",
                    format!("\"{}\" is not a mail address", account.address),
                ));
            }
            for (section, endpoint) in [
                ("imap", Some(&account.imap)),
                ("smtp", account.smtp.as_ref()),
            ] {
                let Some(endpoint) = endpoint else { continue };
                let needs = |field: &Option<String>, key: &str| {
                    if field.is_none() {
                        Err(error(
                            &account.name,
                            key,
                            format!(
                                "account \"{}\" [{section}]: auth = {:?} needs {key}",
                                account.name, endpoint.auth
                            )
                            .to_lowercase(),
                        ))
                    } else {
                        Ok(())
                    }
                };
                match endpoint.auth {
                    AuthMethod::Card => {}
                    AuthMethod::Password => {
                        needs(&endpoint.user, "user")?;
                        needs(&endpoint.password_command, "password_command")?;
                    }
                    AuthMethod::Oauth => {
                        needs(&endpoint.user, "user")?;
                        needs(&endpoint.oauth_token_command, "oauth_token_command")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The 1-based line of a byte offset, for messages about TOML files.
pub fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

/// The key written on `line` (`key = value`), for messages.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let content = text.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = content.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then(|| key.to_string())
}

/// Adds advice to serde's messages where a user is likely to go wrong.
fn explain(message: &str) -> String {
    if message.contains("unknown field `password`") {
        return "passwords are never written in the configuration: use password_command"
            .to_string();
    }
    message.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_is_valid() {
        let settings = Settings::parse(EXAMPLE, "example.toml").expect("example parses");
        assert_eq!(settings.accounts.len(), 1);
        assert_eq!(settings.accounts[0].imap.tls, TlsMode::Implicit);
    }

    #[test]
    fn the_records_backend_follows_the_settings() {
        let dmp = "[trust]\nanchors = [\"/etc/igc-sante.pem\"]\n[records]\n\
                   dmp_url = \"https://dmp.test/si-dmp-server/v2/services\"\n\
                   mhd_url = \"https://mhd.test/fhir\"\nstructure_id = \"10B0012345\"\n";
        let s = Settings::parse(dmp, "config.toml").unwrap();
        let records = s.records.as_ref().unwrap();
        assert_eq!(records.backend(), Some(RecordsBackendKind::Dmp));
        let d = records.dmp(&s.trust).unwrap();
        assert_eq!(d.anchors, vec![PathBuf::from("/etc/igc-sante.pem")]);
        assert_eq!(d.structure_id.as_deref(), Some("10B0012345"));

        let mhd = format!("{dmp}backend = \"mhd\"\n");
        let s = Settings::parse(&mhd, "config.toml").unwrap();
        assert_eq!(s.records.unwrap().backend(), Some(RecordsBackendKind::Mhd));
        let err = Settings::parse("[records]\nbackend = \"dmp\"\n", "config.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("dmp_url"), "{err}");
        assert!(Settings::parse("[records]\nbackend = \"xds\"\n", "c.toml").is_err());
    }

    #[test]
    fn unknown_keys_name_file_line_and_key() {
        let text =
            "language = \"fr\"\n[[account]]\nname = \"a\"\naddress = \"a@b.test\"\nimapp = 3\n";
        let err = Settings::parse(text, "config.toml").unwrap_err();
        assert_eq!(
            (err.file.as_str(), err.line, err.key.as_deref()),
            ("config.toml", 5, Some("imapp")),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("config.toml, line 5, key \"imapp\""),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_and_enums_are_located() {
        let text = "[[account]]\nname = \"a\"\naddress = \"a@b.test\"\n[account.imap]\nhost = \"h\"\nport = \"993\"\ntls = \"implicit\"\nauth = \"card\"\n";
        let err = Settings::parse(text, "c.toml").unwrap_err();
        assert_eq!((err.line, err.key.as_deref()), (6, Some("port")), "{err}");
        let text = text
            .replace("port = \"993\"", "port = 993")
            .replace("\"implicit\"", "\"plaintext\"");
        let err = Settings::parse(&text, "c.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("tls"), "{err}");
    }

    #[test]
    fn secrets_never_belong_in_the_file() {
        let text = "[[account]]\nname = \"a\"\naddress = \"a@b.test\"\n[account.imap]\nhost = \"h\"\nport = 993\ntls = \"implicit\"\nauth = \"password\"\nuser = \"a\"\npassword = \"hunter2\"\n";
        let err = Settings::parse(text, "c.toml").unwrap_err();
        assert!(err.reason.contains("password_command"), "{err}");
        assert!(
            !err.to_string().contains("hunter2"),
            "the secret is not echoed: {err}"
        );
        let text = text.replace("password = \"hunter2\"\n", "");
        let err = Settings::parse(&text, "c.toml").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("password_command"), "{err}");
    }

    #[test]
    fn missing_file_is_an_empty_configuration() {
        let settings = Settings::load(Path::new("/nonexistent/cachet/config.toml")).expect("empty");
        assert_eq!(settings, Settings::default());
    }
}
