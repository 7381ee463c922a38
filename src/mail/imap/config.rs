//! How to reach and log in to one IMAP account. Serialisable so it can live in the
//! settings file; it holds no secret: passwords and tokens come from commands run at
//! login time (see `secret.rs`), and the TLS configuration (trust anchors, card) is built
//! by `crate::tls` and passed next to it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::Error;

/// One IMAP account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapAccount {
    /// Host name, also the name the server certificate must carry.
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name (ignored by servers that take it from the client certificate).
    pub user: String,
    pub auth: AuthMethod,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Use QRESYNC when the server offers it (default). Off is the escape hatch for a
    /// server whose QRESYNC is broken; CONDSTORE is then used, still incrementally.
    #[serde(default = "yes")]
    pub use_qresync: bool,
}

fn yes() -> bool {
    true
}

impl ImapAccount {
    /// The IMAP side of an account from the settings file (`[account.imap]`).
    pub fn from_settings(account: &crate::config::Account) -> Result<ImapAccount, Error> {
        use crate::config::{AuthMethod as Setting, TlsMode};
        let e = &account.imap;
        let missing = |key: &str| Error::Config {
            reason: format!(
                "account \"{}\": auth = {:?} needs {key}",
                account.name, e.auth
            ),
        };
        let auth = match e.auth {
            Setting::Card => AuthMethod::ClientCertificate,
            Setting::Oauth => AuthMethod::OAuth {
                token_command: e
                    .oauth_token_command
                    .clone()
                    .ok_or_else(|| missing("oauth_token_command"))?,
            },
            Setting::Password => AuthMethod::Password {
                password_command: e
                    .password_command
                    .clone()
                    .ok_or_else(|| missing("password_command"))?,
            },
        };
        Ok(ImapAccount {
            host: e.host.clone(),
            port: e.port,
            security: match e.tls {
                TlsMode::Implicit => Security::ImplicitTls,
                TlsMode::Starttls => Security::StartTls,
            },
            user: e.user.clone().unwrap_or_else(|| account.address.clone()),
            auth,
            timeouts: Timeouts::default(),
            use_qresync: true,
        })
    }
}

/// How TLS starts. There is deliberately no plaintext option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// TLS from the first byte (port 993).
    ImplicitTls,
    /// Plain connection upgraded with STARTTLS before anything else (port 143); a server
    /// that does not offer STARTTLS is refused.
    StartTls,
}

/// How the user proves who they are once TLS is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "method")]
pub enum AuthMethod {
    /// The TLS client certificate (CPS card or software certificate) is the credential;
    /// `AUTHENTICATE EXTERNAL` when the server advertises it.
    ClientCertificate,
    /// An OAuth 2 bearer token (Pro Santé Connect), printed by `token_command`; the SASL
    /// mechanism (OAUTHBEARER or XOAUTH2) is chosen from CAPABILITY.
    OAuth { token_command: String },
    /// A password printed by `password_command` (test accounts only).
    Password { password_command: String },
}

/// Bounds on every network wait, in seconds in the settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// TCP connect plus TLS handshake.
    #[serde(with = "secs")]
    pub connect: Duration,
    /// The server greeting and each pre-login exchange (CAPABILITY, STARTTLS, login).
    #[serde(with = "secs")]
    pub greeting: Duration,
    /// Silence allowed between two responses of one command (a long FETCH is fine as long
    /// as data keeps coming).
    #[serde(with = "secs")]
    pub command: Duration,
    /// A secret command (password or token) must finish within this.
    #[serde(with = "secs")]
    pub secret_command: Duration,
    /// IDLE is restarted after this (RFC 2177 asks for less than 29 minutes).
    #[serde(with = "secs")]
    pub idle_refresh: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            greeting: Duration::from_secs(15),
            command: Duration::from_secs(60),
            secret_command: Duration::from_secs(30),
            idle_refresh: Duration::from_secs(20 * 60),
        }
    }
}

mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_reads_from_toml_with_default_timeouts() {
        let text = r#"
            host = "imap.mssante.example"
            port = 143
            security = "start-tls"
            user = "810100000017"
            [auth]
            method = "password"
            password_command = "pass show imap"
        "#;
        let a: ImapAccount = toml::from_str(text).unwrap();
        assert_eq!(a.security, Security::StartTls);
        assert_eq!(
            a.auth,
            AuthMethod::Password {
                password_command: "pass show imap".into()
            }
        );
        assert_eq!(a.timeouts, Timeouts::default());
        assert!(a.use_qresync);
    }

    #[test]
    fn settings_accounts_convert() {
        let text = "[[account]]\nname = \"mss\"\naddress = \"a@b.mssante.fr\"\n[account.imap]\nhost = \"imap.b.mssante.fr\"\nport = 143\ntls = \"starttls\"\nauth = \"card\"\n";
        let settings = crate::config::Settings::parse(text, "config.toml").unwrap();
        let a = ImapAccount::from_settings(&settings.accounts[0]).unwrap();
        assert_eq!(a.security, Security::StartTls);
        assert_eq!(a.auth, AuthMethod::ClientCertificate);
        assert_eq!(a.user, "a@b.mssante.fr");
        let mut account = settings.accounts[0].clone();
        account.imap.auth = crate::config::AuthMethod::Oauth;
        let e = ImapAccount::from_settings(&account).unwrap_err();
        assert!(e.to_string().contains("oauth_token_command"));
    }

    #[test]
    fn unknown_keys_and_plaintext_are_refused() {
        let text =
            "host='h'\nport=1\nsecurity='plain'\nuser='u'\n[auth]\nmethod='client-certificate'\n";
        assert!(toml::from_str::<ImapAccount>(text).is_err());
        let text = "host='h'\nport=1\nsecurity='implicit-tls'\nuser='u'\npassword='x'\n[auth]\nmethod='client-certificate'\n";
        assert!(toml::from_str::<ImapAccount>(text).is_err());
    }
}
