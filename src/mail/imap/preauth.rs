//! The few exchanges before async-imap takes over: the greeting, CAPABILITY and STARTTLS.
//! Written by hand on purpose: responses are read one byte at a time, so nothing the
//! server sends after its STARTTLS answer can be buffered and later mistaken for data
//! inside TLS (the STARTTLS command-injection class of bugs, CVE-2011-0411 and kin), and
//! no credential is ever written here. Lines are capped, every read is bounded.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::{Error, bounded};

const MAX_LINE: usize = 16 * 1024;

/// Capabilities, upper case (`IMAP4REV1`, `STARTTLS`, `AUTH=EXTERNAL`, `QRESYNC`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities(pub BTreeSet<String>);

impl Capabilities {
    pub fn has(&self, name: &str) -> bool {
        self.0.contains(&name.to_ascii_uppercase())
    }

    /// Reads the atoms after `CAPABILITY` in a line (`* CAPABILITY ...` or a
    /// `[CAPABILITY ...]` response code); None when the line carries none.
    pub fn from_line(line: &str) -> Option<Capabilities> {
        let upper = line.to_ascii_uppercase();
        let start = upper.find("CAPABILITY ")? + "CAPABILITY ".len();
        let rest = &upper[start..];
        let rest = rest.split(']').next().unwrap_or(rest);
        Some(Capabilities(
            rest.split_ascii_whitespace().map(str::to_string).collect(),
        ))
    }
}

/// The greeting's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub capabilities: Option<Capabilities>,
}

pub(crate) async fn read_line<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<String, Error> {
    bounded("reading the server's answer", limit, async {
        let mut line = Vec::with_capacity(128);
        loop {
            let mut byte = [0u8; 1];
            let n = stream.read(&mut byte).await.map_err(Error::Io)?;
            if n == 0 {
                return Err(Error::ConnectionLost);
            }
            if byte[0] == b'\n' {
                break;
            }
            line.push(byte[0]);
            if line.len() > MAX_LINE {
                return Err(Error::Protocol {
                    detail: "a pre-login line is longer than 16 KiB".into(),
                });
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    })
    .await
}

/// Reads and checks the greeting: `* OK` continues; `* PREAUTH` and `* BYE` are refused
/// (PREAUTH before TLS would mean a session we cannot protect).
pub(crate) async fn greeting<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<Greeting, Error> {
    let line = read_line(stream, limit).await?;
    let upper = line.to_ascii_uppercase();
    if !upper.starts_with("* OK") {
        return Err(Error::Greeting {
            text: line.chars().take(200).collect(),
        });
    }
    Ok(Greeting {
        capabilities: Capabilities::from_line(&line),
    })
}

/// Sends `tag command` and reads to the tagged answer; returns (ok, untagged lines, last line).
pub(crate) async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    tag: &str,
    command: &str,
    limit: Duration,
) -> Result<(bool, Vec<String>, String), Error> {
    bounded("sending a command", limit, async {
        stream
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .map_err(Error::Io)?;
        stream.flush().await.map_err(Error::Io)
    })
    .await?;
    let mut untagged = Vec::new();
    for _ in 0..1000 {
        let line = read_line(stream, limit).await?;
        if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
            let ok = rest.to_ascii_uppercase().starts_with("OK");
            return Ok((ok, untagged, rest.to_string()));
        }
        untagged.push(line);
    }
    Err(Error::Protocol {
        detail: format!("no tagged answer to {command} after 1000 lines"),
    })
}

/// Asks CAPABILITY.
pub(crate) async fn capabilities<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    tag: &str,
    limit: Duration,
) -> Result<Capabilities, Error> {
    let (ok, lines, last) = command(stream, tag, "CAPABILITY", limit).await?;
    if !ok {
        return Err(Error::Protocol {
            detail: format!("CAPABILITY failed: {last}"),
        });
    }
    lines
        .iter()
        .find_map(|l| Capabilities::from_line(l))
        .ok_or_else(|| Error::Protocol {
            detail: "CAPABILITY answered without capabilities".into(),
        })
}

/// Upgrades a plain connection: greeting, CAPABILITY, then STARTTLS only if offered.
pub(crate) async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Result<(), Error> {
    let greet = greeting(stream, limit).await?;
    let caps = match greet.capabilities {
        Some(c) => c,
        None => capabilities(stream, "s0", limit).await?,
    };
    if !caps.has("STARTTLS") {
        return Err(Error::NoStartTls);
    }
    let (ok, _, last) = command(stream, "s1", "STARTTLS", limit).await?;
    if !ok {
        return Err(Error::StartTlsRefused {
            text: last.chars().take(200).collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(5);

    #[test]
    fn capabilities_from_greeting_code_and_untagged_line() {
        let c = Capabilities::from_line("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready")
            .unwrap();
        assert!(c.has("starttls") && c.has("LOGINDISABLED"));
        assert!(!c.has("READY"));
        let c = Capabilities::from_line("* CAPABILITY IMAP4rev1 AUTH=EXTERNAL").unwrap();
        assert!(c.has("AUTH=EXTERNAL"));
        assert!(Capabilities::from_line("* OK hello").is_none());
    }

    #[tokio::test]
    async fn a_server_without_starttls_is_refused_before_any_command() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let srv = tokio::spawn(async move {
            server
                .write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n")
                .await
                .unwrap();
            let mut rest = Vec::new();
            let _ = tokio::time::timeout(Duration::from_millis(300), server.read_to_end(&mut rest))
                .await;
            rest
        });
        let e = starttls(&mut client, T).await.unwrap_err();
        assert!(matches!(e, Error::NoStartTls));
        drop(client);
        assert!(
            srv.await.unwrap().is_empty(),
            "nothing may be sent to such a server"
        );
    }

    #[tokio::test]
    async fn bytes_after_the_starttls_answer_are_not_consumed() {
        let (mut client, mut server) = tokio::io::duplex(4096);
        let srv = tokio::spawn(async move {
            server
                .write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n")
                .await
                .unwrap();
            let mut buf = [0u8; 64];
            let n = server.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"s1 STARTTLS\r\n");
            server
                .write_all(b"s1 OK go\r\n* injected\r\n")
                .await
                .unwrap();
            server
        });
        starttls(&mut client, T).await.unwrap();
        let _server = srv.await.unwrap();
        let mut rest = [0u8; 12];
        client.read_exact(&mut rest).await.unwrap();
        assert_eq!(
            &rest, b"* injected\r\n",
            "the injected bytes stay for TLS to reject"
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let (mut client, _server) = tokio::io::duplex(64);
        let e = greeting(&mut client, Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }));
    }

    #[tokio::test]
    async fn preauth_and_bye_greetings_are_refused() {
        for g in [&b"* PREAUTH hi\r\n"[..], b"* BYE busy\r\n"] {
            let (mut client, mut server) = tokio::io::duplex(64);
            server.write_all(g).await.unwrap();
            assert!(matches!(
                greeting(&mut client, T).await.unwrap_err(),
                Error::Greeting { .. }
            ));
        }
    }
}
