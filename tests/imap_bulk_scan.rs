//! The sync's fast FETCH reader (`bulk_scan`) against what real Dovecot
//! sends: every message of the shared MIME corpus (and generated ones when
//! the corpus is absent) is appended to a fresh folder, the sync's FETCH is
//! sent over a plain TLS connection, and each response of the answer is read
//! both by the fast reader and by `imap_proto` with `parse::envelope`: they
//! must agree, and the fast reader must read every one of them itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imap_common;

use async_imap::imap_proto::{RequestId, Response, Status};
use cachet::mail::imap::bulk_scan::{Scan, scan_fetch};
use cachet::mail::imap::parse;
use cachet::mail::imap::types::{FetchedEnvelope, Flags, HEADER_FIELDS};
use imap_common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// CRLF line ends, as a server stores them.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for (i, b) in raw.iter().enumerate() {
        if *b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

/// Messages to append: the corpus when present, else generated shapes.
fn messages() -> Vec<Vec<u8>> {
    if let Some(dir) = common::corpus_dir() {
        let out: Vec<Vec<u8>> = common::files_under(&dir.join("mime"), &["eml"])
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|raw| crlf(&raw))
            .collect();
        if !out.is_empty() {
            return out;
        }
    }
    let pdf = "From: a@x.test\r\nSubject: cr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nvoir pj\r\n--b\r\nContent-Type: application/pdf; name=\"cr.pdf\"\r\nContent-Disposition: attachment; filename=\"compte rendu é.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
    let alternative = "From: a@x.test\r\nSubject: alt\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nx\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--a--\r\n";
    let forwarded = "From: a@x.test\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--f\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@x.test\r\nSubject: inner\r\n\r\ninner body\r\n--f--\r\n";
    [
        message("plain", "p@x"),
        pdf.into(),
        alternative.into(),
        forwarded.into(),
    ]
    .into_iter()
    .collect()
}

/// Reads from `stream` until `buf` holds the tagged answer to `tag`;
/// returns every envelope (fast reader, general reader) in order.
async fn read_answer<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    tag: &str,
) -> (Vec<FetchedEnvelope>, Vec<FetchedEnvelope>) {
    let tag = RequestId(tag.to_string());
    let mut buf: Vec<u8> = Vec::new();
    let mut at = 0;
    let (mut fast, mut general) = (Vec::new(), Vec::new());
    loop {
        let rest = &buf[at..];
        match Response::parse(rest) {
            Ok((after, response)) => {
                let used = rest.len() - after.len();
                match (&response, scan_fetch(rest)) {
                    (
                        Response::Fetch(_, attrs),
                        Scan::Read {
                            used: scanned,
                            item,
                        },
                    ) => {
                        assert_eq!(scanned, used, "{}", String::from_utf8_lossy(&rest[..used]));
                        fast.extend(item);
                        general.extend(parse::envelope(attrs));
                    }
                    (Response::Fetch(..), other) => panic!(
                        "the fast reader gave {other:?} for {}",
                        String::from_utf8_lossy(&rest[..used])
                    ),
                    (Response::Done { tag: t, status, .. }, _) if *t == tag => {
                        assert_eq!(*status, Status::Ok);
                        return (fast, general);
                    }
                    _ => {}
                }
                at += used;
            }
            Err(nom::Err::Incomplete(_)) => {
                let mut chunk = vec![0u8; 64 * 1024];
                let n = stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the server closed the connection");
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e) => panic!("unreadable answer: {e:?}"),
        }
    }
}

#[tokio::test]
async fn dovecot_answers_read_the_same_by_both_readers() {
    let Some(stack) = common::stack("imap_bulk_scan") else {
        return;
    };
    let account = bob(&stack);
    let mut conn = login(&stack, &account).await;
    let folder = unique_folder("Scan");
    conn.create_folder(&folder).await.unwrap();
    let messages = messages();
    let mut appended = 0;
    for (i, m) in messages.iter().enumerate() {
        let flags = match i % 3 {
            0 => Flags::default(),
            1 => Flags::of(["\\Seen"]),
            _ => Flags::of(["\\Flagged", "$Label1"]),
        };
        // a few corpus files are refused by the server (bare CR, NUL): skipped
        if conn.append(&folder, &flags, m).await.is_ok() {
            appended += 1;
        }
    }
    assert!(
        appended * 10 >= messages.len() * 9,
        "{appended} of {}",
        messages.len()
    );

    // The same command as the sync, on a connection of our own.
    let tcp = tokio::net::TcpStream::connect((stack.get("IMAP_HOST"), stack.port("IMAPS_PORT")))
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from(stack.get("IMAP_HOST")).unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(tls(&stack))
        .connect(name, tcp)
        .await
        .unwrap();
    let send = async |tls: &mut tokio_rustls::client::TlsStream<_>, line: String| {
        tls.write_all(line.as_bytes()).await.unwrap();
        tls.flush().await.unwrap();
    };
    let mut greeting = vec![0u8; 4096];
    let _ = tls.read(&mut greeting).await.unwrap();
    let login = format!(
        "L1 LOGIN {} {}\r\n",
        parse::quote(&stack.get("BOB_USER")).unwrap(),
        parse::quote(&stack.get("BOB_PASSWORD")).unwrap()
    );
    send(&mut tls, login).await;
    read_answer(&mut tls, "L1").await;
    send(
        &mut tls,
        format!("S1 SELECT {}\r\n", parse::quote(&folder).unwrap()),
    )
    .await;
    read_answer(&mut tls, "S1").await;
    let items = format!(
        "UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({})] MODSEQ",
        HEADER_FIELDS.join(" ")
    );
    send(&mut tls, format!("F1 UID FETCH 1:* ({items})\r\n")).await;
    let (fast, general) = read_answer(&mut tls, "F1").await;

    assert_eq!(fast.len(), appended);
    assert_eq!(fast, general);
    // the answer is not trivial: types, attachments, flags and headers vary
    let attached = fast.iter().filter(|e| e.body.has_attachment).count();
    assert!(attached > 0 && attached < fast.len(), "{attached}");
    assert!(
        fast.iter()
            .all(|e| e.modseq.is_some() && e.internal_date.is_some())
    );
    assert!(fast.iter().any(|e| e.flags.contains("\\Seen")));
    assert!(fast.iter().filter(|e| !e.header.is_empty()).count() * 10 >= fast.len() * 9);
    send(&mut tls, "O1 LOGOUT\r\n".into()).await;
    conn.delete_folder(&folder).await.unwrap();
}
