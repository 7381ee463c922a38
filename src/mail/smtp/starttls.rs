//! The clear-text prelude of port 587, done by hand because lettre cannot
//! take our TLS configuration: greeting, EHLO, STARTTLS, `220`. Anything the
//! server sends after that `220` and before the TLS handshake is an attack
//! (CVE-2011-0411 style command injection) and aborts the connection.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::reply::{Line, Reply, ehlo_has, parse_line};
use super::{Error, Stage, Timeouts};

const MAX_LINE: usize = 2048;
const MAX_LINES: usize = 128;

/// Returns the TCP stream, ready for the TLS handshake.
pub async fn starttls_prelude(
    tcp: TcpStream,
    hello: &str,
    t: &Timeouts,
) -> Result<TcpStream, Error> {
    let mut io = BufReader::new(tcp);
    let greeting = read_reply(&mut io, Stage::Greeting, t).await?;
    if greeting.code != 220 {
        return Err(refused(Stage::Greeting, &greeting));
    }
    send(&mut io, &format!("EHLO {hello}\r\n"), Stage::Ehlo, t).await?;
    let ehlo = read_reply(&mut io, Stage::Ehlo, t).await?;
    if ehlo.code != 250 {
        return Err(refused(Stage::Ehlo, &ehlo));
    }
    // The first line is the server's name; keywords follow.
    if !ehlo_has(ehlo.lines.get(1..).unwrap_or(&[]), "STARTTLS") {
        return Err(Error::StartTlsUnavailable);
    }
    send(&mut io, "STARTTLS\r\n", Stage::StartTls, t).await?;
    let go = read_reply(&mut io, Stage::StartTls, t).await?;
    if go.code != 220 {
        return Err(refused(Stage::StartTls, &go));
    }
    if !io.buffer().is_empty() {
        return Err(Error::StartTlsInjection);
    }
    Ok(io.into_inner())
}

fn refused(stage: Stage, r: &Reply) -> Error {
    Error::Rejected {
        stage,
        code: r.code,
        text: r.lines.join(" "),
    }
}

async fn send(
    io: &mut BufReader<TcpStream>,
    line: &str,
    stage: Stage,
    t: &Timeouts,
) -> Result<(), Error> {
    let write = async {
        io.get_mut().write_all(line.as_bytes()).await?;
        io.get_mut().flush().await
    };
    match tokio::time::timeout(t.command, write).await {
        Err(_) => Err(Error::Timeout { stage }),
        Ok(Err(source)) => Err(Error::Io { stage, source }),
        Ok(Ok(())) => Ok(()),
    }
}

async fn read_reply(
    io: &mut BufReader<TcpStream>,
    stage: Stage,
    t: &Timeouts,
) -> Result<Reply, Error> {
    let read = async {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let line = read_line(io, &stage).await?;
            let Some((c, kind, text)) = parse_line(&line) else {
                return Err(Error::Protocol {
                    stage: stage.clone(),
                    detail: "malformed reply line".into(),
                });
            };
            if code.is_some_and(|first| first != c) {
                return Err(Error::Protocol {
                    stage: stage.clone(),
                    detail: "reply code changed mid-reply".into(),
                });
            }
            code = Some(c);
            lines.push(text.to_string());
            if matches!(kind, Line::Last) {
                return Ok(Reply { code: c, lines });
            }
            if lines.len() >= MAX_LINES {
                return Err(Error::Protocol {
                    stage: stage.clone(),
                    detail: "reply too long".into(),
                });
            }
        }
    };
    tokio::time::timeout(t.command, read)
        .await
        .map_err(|_| Error::Timeout {
            stage: stage.clone(),
        })?
}

async fn read_line(io: &mut BufReader<TcpStream>, stage: &Stage) -> Result<String, Error> {
    let mut buf = Vec::new();
    loop {
        let chunk = io.fill_buf().await.map_err(|source| Error::Io {
            stage: stage.clone(),
            source,
        })?;
        if chunk.is_empty() {
            let source = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
            return Err(Error::Io {
                stage: stage.clone(),
                source,
            });
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        buf.extend_from_slice(&chunk[..take]);
        io.consume(take);
        if buf.len() > MAX_LINE {
            return Err(Error::Protocol {
                stage: stage.clone(),
                detail: "reply line too long".into(),
            });
        }
        if done {
            return String::from_utf8(buf).map_err(|_| Error::Protocol {
                stage: stage.clone(),
                detail: "reply is not UTF-8".into(),
            });
        }
    }
}
