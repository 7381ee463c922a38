//! The SMTP password: typed by the user (kept in a zeroizing secret) or read
//! from the first line of a `password_command`'s output (`pass show …`),
//! bounded in time and never logged.

use std::process::Stdio;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncReadExt;
use zeroize::Zeroizing;

use super::Error;

#[derive(Clone)]
pub enum PasswordSource {
    Secret(SecretString),
    /// Run with `sh -c`; the first line of standard output is the password.
    Command(String),
}

impl std::fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordSource::Secret(_) => f.write_str("Secret(…)"),
            PasswordSource::Command(c) => f.debug_tuple("Command").field(c).finish(),
        }
    }
}

impl PasswordSource {
    pub async fn resolve(&self, bound: Duration) -> Result<Zeroizing<String>, Error> {
        match self {
            PasswordSource::Secret(s) => Ok(Zeroizing::new(s.expose_secret().to_string())),
            PasswordSource::Command(cmd) => run_password_command(cmd, bound).await,
        }
    }
}

/// Runs `cmd` through `sh -c` and returns the first line of its output.
pub async fn run_password_command(cmd: &str, bound: Duration) -> Result<Zeroizing<String>, Error> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::PasswordCommand(format!("cannot start it ({e})")))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::PasswordCommand("no output pipe".into()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(256));
    let work = async {
        // Read at most 64 KiB: a password, not a file.
        let mut limited = (&mut stdout).take(64 * 1024);
        limited.read_to_end(&mut out).await?;
        child.wait().await
    };
    let status = tokio::time::timeout(bound, work)
        .await
        .map_err(|_| Error::PasswordCommand(format!("no answer within {} s", bound.as_secs())))?
        .map_err(|e| Error::PasswordCommand(e.to_string()))?;
    if !status.success() {
        return Err(Error::PasswordCommand(format!("it exited with {status}")));
    }
    let text = std::str::from_utf8(&out)
        .map_err(|_| Error::PasswordCommand("its output is not UTF-8".into()))?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Error::PasswordCommand("it printed nothing".into()));
    }
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_line_of_the_command_is_the_password() {
        let p = run_password_command("printf 's3cr et\\nsecond\\n'", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(p.as_str(), "s3cr et");
    }

    #[tokio::test]
    async fn failures_are_reported_without_the_output() {
        let e = run_password_command("echo leaked; exit 3", Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(!e.to_string().contains("leaked"));
        assert!(
            run_password_command("true", Duration::from_secs(10))
                .await
                .is_err()
        );
        let slow = run_password_command("sleep 30", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(slow.to_string().contains("no answer"));
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = PasswordSource::Secret(SecretString::from("hunter2".to_string()));
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
