//! Fetches a secret (password, OAuth token) by running the account's command through
//! `sh -c`. Only the first line of standard output is kept, in a zeroizing buffer; the
//! rest of the output is wiped too. The secret is never logged nor put in an error: a
//! failure reports the exit status and at most the first line of standard error.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use zeroize::{Zeroize, Zeroizing};

use super::error::Error;

/// Runs `command` and returns the first line of its standard output.
pub async fn run_secret_command(
    command: &str,
    limit: Duration,
) -> Result<Zeroizing<String>, Error> {
    let fail = |reason: String| Error::SecretCommand { reason };
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot start sh: {e}")))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| fail("no standard output".into()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| fail("no standard error".into()))?;
    let run = async {
        let mut out = Zeroizing::new(Vec::new());
        let mut err = Vec::new();
        let (r1, r2) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        r1.and(r2)
            .map_err(|e| fail(format!("cannot read its output: {e}")))?;
        let status = child
            .wait()
            .await
            .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
        Ok::<_, Error>((out, err, status))
    };
    let (out, err, status) = match tokio::time::timeout(limit, run).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(fail(format!(
                "it did not finish within {} s",
                limit.as_secs()
            )));
        }
    };
    if !status.success() {
        let first = String::from_utf8_lossy(&err)
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>();
        return Err(fail(match first.is_empty() {
            true => format!("it exited with {status}"),
            false => format!("it exited with {status}: {first}"),
        }));
    }
    let end = out
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(out.len());
    let mut line = out[..end].to_vec();
    let secret = match String::from_utf8(std::mem::take(&mut line)) {
        Ok(s) => Zeroizing::new(s),
        Err(e) => {
            e.into_bytes().zeroize();
            return Err(fail("its output is not UTF-8".into()));
        }
    };
    if secret.is_empty() {
        return Err(fail("it printed nothing".into()));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn keeps_the_first_line_only() {
        let s = run_secret_command("printf 'hunter2\\nsecond line\\n'", LIMIT)
            .await
            .unwrap();
        assert_eq!(s.as_str(), "hunter2");
    }

    #[tokio::test]
    async fn a_failing_command_is_a_clear_error_without_the_output() {
        let e = run_secret_command(
            "echo leaked-secret; echo 'no such entry' >&2; exit 3",
            LIMIT,
        )
        .await
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("no such entry"), "{text}");
        assert!(text.contains('3'), "{text}");
        assert!(!text.contains("leaked-secret"), "{text}");
        assert_eq!(
            crate::error::HasKind::kind(&e),
            crate::error::ErrorKind::Config
        );
    }

    #[tokio::test]
    async fn empty_output_is_an_error() {
        let e = run_secret_command("true", LIMIT).await.unwrap_err();
        assert!(e.to_string().contains("printed nothing"));
    }

    #[tokio::test]
    async fn a_hanging_command_is_bounded() {
        let e = run_secret_command("sleep 30", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("did not finish"));
    }
}
