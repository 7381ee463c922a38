//! Login paths Dovecot in the stack cannot show (OAUTHBEARER, XOAUTH2, a silent server),
//! against a scripted IMAP server over real TLS on loopback, with a certificate made on
//! the spot. The script checks exactly what the client sends.
// helpers outside #[test] functions panic on a broken setup, like the tests themselves
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use cachet::error::{ErrorKind, HasKind};
use cachet::mail::imap::{AuthMethod, Error, ImapAccount, Security, Timeouts, connect};
use cachet::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy, client_config};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

struct Server {
    port: u16,
    ca_pem: String,
    acceptor: tokio_rustls::TlsAcceptor,
    listener: TcpListener,
}

async fn server() -> Server {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    Server {
        port: listener.local_addr().unwrap().port(),
        ca_pem: ca.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        listener,
    }
}

fn account(server: &Server, auth: AuthMethod, limit: Duration) -> ImapAccount {
    ImapAccount {
        host: "localhost".into(),
        port: server.port,
        security: Security::ImplicitTls,
        user: "810100000017".into(),
        auth,
        timeouts: Timeouts {
            connect: limit,
            greeting: limit,
            command: limit,
            secret_command: limit,
            idle_refresh: limit,
        },
        use_qresync: true,
    }
}

fn tls_for(server: &Server) -> Arc<rustls::ClientConfig> {
    client_config(&TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemBytes(server.ca_pem.clone().into_bytes())],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    })
    .unwrap()
}

fn token() -> AuthMethod {
    AuthMethod::OAuth {
        token_command: "echo psc-access-token".into(),
    }
}

/// Plays one login: returns the AUTHENTICATE line and the decoded SASL response(s).
async fn play_oauth(
    server: Server,
    capabilities: &'static str,
    accept: bool,
) -> (String, Vec<Vec<u8>>) {
    let (tcp, _) = server.listener.accept().await.unwrap();
    let tls = server.acceptor.accept(tcp).await.unwrap();
    let (read, mut write) = tokio::io::split(tls);
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"* OK scripted ready\r\n").await.unwrap();
    let cap = lines.next_line().await.unwrap().unwrap();
    let tag = cap.split(' ').next().unwrap().to_string();
    write
        .write_all(format!("* CAPABILITY IMAP4rev1 {capabilities}\r\n{tag} OK done\r\n").as_bytes())
        .await
        .unwrap();
    let auth = lines.next_line().await.unwrap().unwrap();
    let tag = auth.split(' ').next().unwrap().to_string();
    let mut responses = Vec::new();
    write.write_all(b"+ \r\n").await.unwrap();
    let line = lines.next_line().await.unwrap().unwrap();
    responses.push(
        base64::engine::general_purpose::STANDARD
            .decode(line.trim())
            .unwrap(),
    );
    if accept {
        write
            .write_all(format!("{tag} OK logged in\r\n").as_bytes())
            .await
            .unwrap();
        // the client asks CAPABILITY again after login
        let cap = lines.next_line().await.unwrap().unwrap();
        let t = cap.split(' ').next().unwrap().to_string();
        write
            .write_all(format!("* CAPABILITY IMAP4rev1\r\n{t} OK done\r\n").as_bytes())
            .await
            .unwrap();
        if let Ok(Some(logout)) = lines.next_line().await {
            let t = logout.split(' ').next().unwrap().to_string();
            let _ = write
                .write_all(format!("* BYE bye\r\n{t} OK done\r\n").as_bytes())
                .await;
        }
    } else {
        // RFC 7628 error: a JSON status as challenge; the client must answer ^A
        let status =
            base64::engine::general_purpose::STANDARD.encode(br#"{"status":"invalid_token"}"#);
        write
            .write_all(format!("+ {status}\r\n").as_bytes())
            .await
            .unwrap();
        let line = lines.next_line().await.unwrap().unwrap();
        responses.push(
            base64::engine::general_purpose::STANDARD
                .decode(line.trim())
                .unwrap(),
        );
        write
            .write_all(format!("{tag} NO token refused\r\n").as_bytes())
            .await
            .unwrap();
    }
    (auth, responses)
}

#[tokio::test]
async fn oauthbearer_is_preferred_and_sends_the_rfc7628_message() {
    let server = server().await;
    let (account, tls) = (
        account(&server, token(), Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(play_oauth(server, "AUTH=XOAUTH2 AUTH=OAUTHBEARER", true));
    let conn = connect(&account, tls).await.unwrap();
    conn.logout().await;
    let (auth, responses) = script.await.unwrap();
    assert!(auth.ends_with(" AUTHENTICATE OAUTHBEARER"), "{auth}");
    assert_eq!(
        responses[0],
        b"n,a=810100000017,\x01auth=Bearer psc-access-token\x01\x01"
    );
}

#[tokio::test]
async fn xoauth2_is_used_when_it_is_the_only_bearer_mechanism() {
    let server = server().await;
    let (account, tls) = (
        account(&server, token(), Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(play_oauth(server, "AUTH=PLAIN AUTH=XOAUTH2", true));
    connect(&account, tls).await.unwrap().logout().await;
    let (auth, responses) = script.await.unwrap();
    assert!(auth.ends_with(" AUTHENTICATE XOAUTH2"), "{auth}");
    assert_eq!(
        responses[0],
        b"user=810100000017\x01auth=Bearer psc-access-token\x01\x01"
    );
}

#[tokio::test]
async fn a_refused_token_ends_the_exchange_properly_and_is_an_auth_error() {
    let server = server().await;
    let (account, tls) = (
        account(&server, token(), Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(play_oauth(server, "AUTH=OAUTHBEARER", false));
    let e = connect(&account, tls).await.unwrap_err();
    assert!(matches!(e, Error::AuthRefused { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Auth);
    let (_, responses) = script.await.unwrap();
    assert_eq!(
        responses[1], b"\x01",
        "the client closes a failed OAUTHBEARER with ^A"
    );
}

#[tokio::test]
async fn no_bearer_mechanism_is_refused_before_the_token_is_fetched() {
    let server = server().await;
    let marker = tempfile::tempdir().unwrap();
    let touched = marker.path().join("token-fetched");
    let auth = AuthMethod::OAuth {
        token_command: format!("touch {}; echo t", touched.display()),
    };
    let (account, tls) = (
        account(&server, auth, Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(async move {
        let (tcp, _) = server.listener.accept().await.unwrap();
        let tls = server.acceptor.accept(tcp).await.unwrap();
        let (read, mut write) = tokio::io::split(tls);
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"* OK ready\r\n").await.unwrap();
        let cap = lines.next_line().await.unwrap().unwrap();
        let tag = cap.split(' ').next().unwrap().to_string();
        write
            .write_all(format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK\r\n").as_bytes())
            .await
            .unwrap();
        let _ = lines.next_line().await;
    });
    let e = connect(&account, tls).await.unwrap_err();
    assert!(matches!(e, Error::NoMechanism { .. }), "{e:?}");
    assert!(!touched.exists());
    script.abort();
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let server = server().await;
    let (account, tls) = (
        account(&server, token(), Duration::from_millis(300)),
        tls_for(&server),
    );
    // accepts TCP, then says nothing (no TLS handshake, no greeting)
    let hold = tokio::spawn(async move {
        let (tcp, _) = server.listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(tcp);
    });
    let e = connect(&account, tls).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    hold.abort();
}

#[tokio::test]
async fn a_silent_server_after_tls_is_a_greeting_timeout() {
    let server = server().await;
    let (account, tls) = (
        account(&server, token(), Duration::from_millis(300)),
        tls_for(&server),
    );
    let hold = tokio::spawn(async move {
        let (tcp, _) = server.listener.accept().await.unwrap();
        let tls = server.acceptor.accept(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(tls);
    });
    let e = connect(&account, tls).await.unwrap_err();
    let Error::Timeout { what, .. } = e else {
        panic!("{e:?}")
    };
    assert!(what.contains("answer"), "{what}");
    hold.abort();
}

/// Greets, answers CAPABILITY, LOGIN and the post-login CAPABILITY; returns the line
/// reader and writer positioned after login.
async fn scripted_login(
    server: &Server,
    after_login: &str,
) -> (
    tokio::io::Lines<
        BufReader<tokio::io::ReadHalf<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>>,
    >,
    tokio::io::WriteHalf<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>,
) {
    let (tcp, _) = server.listener.accept().await.unwrap();
    let tls = server.acceptor.accept(tcp).await.unwrap();
    let (read, mut write) = tokio::io::split(tls);
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"* OK ready\r\n").await.unwrap();
    let after = format!("* CAPABILITY {after_login}");
    for answer in ["* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE", "", after.as_str()] {
        let line = lines.next_line().await.unwrap().unwrap();
        let tag = line.split(' ').next().unwrap().to_string();
        let untagged = if answer.is_empty() {
            String::new()
        } else {
            format!("{answer}\r\n")
        };
        write
            .write_all(format!("{untagged}{tag} OK done\r\n").as_bytes())
            .await
            .unwrap();
    }
    (lines, write)
}

#[tokio::test]
async fn a_dropped_connection_goes_offline_then_reconnects() {
    use cachet::mail::imap::backoff::BackoffPolicy;
    use cachet::mail::imap::memory::{MemoryCache, MemoryQueue};
    use cachet::mail::imap::sync::SyncOptions;
    use cachet::mail::imap::{ConnState, ImapEvent, ImapHandle, SessionConfig};

    let server = server().await;
    let auth = AuthMethod::Password {
        password_command: "echo pw".into(),
    };
    let config = SessionConfig {
        account: account(&server, auth, Duration::from_secs(10)),
        tls: tls_for(&server),
        backoff: BackoffPolicy {
            base: Duration::from_millis(20),
            max: Duration::from_millis(50),
        },
        sync: SyncOptions::default(),
        prefetch_recent: 0,
        keepalive: Duration::from_secs(600),
        poll_interval: Duration::from_secs(60),
    };
    let script = tokio::spawn(async move {
        // first connection: logged in, then dropped at the first command
        let (mut lines, write) = scripted_login(&server, "IMAP4rev1 IDLE").await;
        let _ = lines.next_line().await;
        drop((lines, write));
        // second connection: serves a LIST
        let (mut lines, mut write) = scripted_login(&server, "IMAP4rev1 IDLE").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let tag = line.split(' ').next().unwrap().to_string();
            if line.contains("LIST") {
                write
                    .write_all(
                        format!("* LIST (\\HasNoChildren) \"/\" INBOX\r\n{tag} OK done\r\n")
                            .as_bytes(),
                    )
                    .await
                    .unwrap();
            } else {
                write
                    .write_all(format!("* BYE\r\n{tag} OK done\r\n").as_bytes())
                    .await
                    .unwrap();
                break;
            }
        }
    });
    let (handle, mut events) =
        ImapHandle::spawn(config, MemoryCache::default(), MemoryQueue::default());
    let mut states = Vec::new();
    let mut next_state = async || loop {
        let e = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .unwrap()
            .unwrap();
        if let ImapEvent::State(s) = e {
            states.push(s.clone());
            return s;
        }
    };
    assert_eq!(next_state().await, ConnState::Connecting);
    assert_eq!(next_state().await, ConnState::Online);
    let e = handle.list_folders(false).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e:?}");
    assert!(matches!(next_state().await, ConnState::Offline { .. }));
    assert_eq!(next_state().await, ConnState::Connecting);
    assert_eq!(next_state().await, ConnState::Online);
    let folders = handle.list_folders(false).await.unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].name, "INBOX");
    handle.shutdown().await;
    script.await.unwrap();
}

/// Logs in, then answers OK to every command until LOGOUT; returns the commands seen.
async fn record_commands(server: Server, after_login: &'static str) -> Vec<String> {
    let (mut lines, mut write) = scripted_login(&server, after_login).await;
    let mut seen = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let (tag, command) = line.split_once(' ').unwrap();
        let tag = tag.to_string();
        seen.push(command.to_string());
        let done = command.starts_with("LOGOUT");
        write
            .write_all(format!("{tag} OK done\r\n").as_bytes())
            .await
            .unwrap();
        if done {
            break;
        }
    }
    seen
}

#[tokio::test]
async fn without_move_a_move_is_copy_delete_and_uid_expunge_of_those_uids_only() {
    let server = server().await;
    let auth = AuthMethod::Password {
        password_command: "echo pw".into(),
    };
    let (account, tls) = (
        account(&server, auth, Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(record_commands(server, "IMAP4rev1 UIDPLUS"));
    let mut conn = connect(&account, tls).await.unwrap();
    conn.move_messages(&[5, 6, 9], "Archive").await.unwrap();
    conn.logout().await;
    assert_eq!(
        script.await.unwrap(),
        vec![
            "UID COPY 5:6,9 \"Archive\"".to_string(),
            "UID STORE 5:6,9 +FLAGS.SILENT (\\Deleted)".to_string(),
            "UID EXPUNGE 5:6,9".to_string(),
            "LOGOUT".to_string(),
        ]
    );
}

#[tokio::test]
async fn without_uidplus_no_expunge_is_sent() {
    let server = server().await;
    let auth = AuthMethod::Password {
        password_command: "echo pw".into(),
    };
    let (account, tls) = (
        account(&server, auth, Duration::from_secs(10)),
        tls_for(&server),
    );
    let script = tokio::spawn(record_commands(server, "IMAP4rev1"));
    let mut conn = connect(&account, tls).await.unwrap();
    let e = conn.expunge_uids(&[3]).await.unwrap_err();
    assert!(matches!(e, Error::NoMechanism { .. }), "{e:?}");
    conn.logout().await;
    let seen = script.await.unwrap();
    assert!(!seen.iter().any(|c| c.contains("EXPUNGE")), "{seen:?}");
}

#[tokio::test]
async fn without_idle_the_watched_folder_is_polled_with_noop() {
    use cachet::mail::imap::backoff::BackoffPolicy;
    use cachet::mail::imap::idle::PushChange;
    use cachet::mail::imap::memory::{MemoryCache, MemoryQueue};
    use cachet::mail::imap::sync::SyncOptions;
    use cachet::mail::imap::{ImapEvent, ImapHandle, SessionConfig};

    let server = server().await;
    let auth = AuthMethod::Password {
        password_command: "echo pw".into(),
    };
    let config = SessionConfig {
        account: account(&server, auth, Duration::from_secs(10)),
        tls: tls_for(&server),
        backoff: BackoffPolicy {
            base: Duration::from_millis(20),
            max: Duration::from_millis(50),
        },
        sync: SyncOptions::default(),
        prefetch_recent: 0,
        keepalive: Duration::from_secs(600),
        poll_interval: Duration::from_millis(50),
    };
    let script = tokio::spawn(async move {
        // the session's own connection, idle
        let (session_lines, session_write) = scripted_login(&server, "IMAP4rev1").await;
        // the watcher's connection: EXAMINE, then NOOPs
        let (mut lines, mut write) = scripted_login(&server, "IMAP4rev1").await;
        let mut noops = 0;
        while let Ok(Some(line)) = lines.next_line().await {
            let (tag, command) = line.split_once(' ').unwrap();
            let reply = if command.starts_with("EXAMINE") {
                format!("* 1 EXISTS\r\n* OK [UIDVALIDITY 9] ok\r\n{tag} OK [READ-ONLY] done\r\n")
            } else if command == "NOOP" {
                noops += 1;
                let news = if noops == 2 { "* 2 EXISTS\r\n" } else { "" };
                format!("{news}{tag} OK done\r\n")
            } else {
                format!("{tag} OK done\r\n")
            };
            if write.write_all(reply.as_bytes()).await.is_err() || command == "LOGOUT" {
                break;
            }
        }
        drop((session_lines, session_write));
        noops
    });
    let (handle, mut events) =
        ImapHandle::spawn(config, MemoryCache::default(), MemoryQueue::default());
    // make sure the session connection is up before the watcher connects
    loop {
        let e = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .unwrap()
            .unwrap();
        if e == ImapEvent::State(cachet::mail::imap::ConnState::Online) {
            break;
        }
    }
    handle.watch(Some("INBOX"));
    let count = loop {
        let e = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .unwrap()
            .unwrap();
        if let ImapEvent::Push(p) = e
            && let PushChange::Exists { count } = p.change
        {
            break count;
        }
    };
    assert_eq!(count, 2);
    handle.watch(None);
    let noops = tokio::time::timeout(Duration::from_secs(20), script)
        .await
        .unwrap()
        .unwrap();
    assert!(noops >= 2);
    handle.shutdown().await;
}

/// One FETCH response as Dovecot writes it, its header fields as a literal.
fn fetch_response(seq: u32, uid: u32, subject: &str) -> String {
    let header = format!("Subject: {subject}\r\nMessage-ID: <{uid}@x>\r\n\r\n");
    format!(
        "* {seq} FETCH (UID {uid} FLAGS (\\Seen) RFC822.SIZE 1234 INTERNALDATE \"05-Nov-2026 09:00:00 +0100\" \
         BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL) \
         BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {{{}}}\r\n{header})\r\n",
        header.len()
    )
}

/// Logs in, then answers the first command after login (the FETCH) with
/// `answer(tag)` written in pieces of `piece` bytes, then every later
/// command with OK; returns the commands seen after login.
async fn play_fetch(
    server: Server,
    piece: usize,
    answer: impl Fn(&str) -> Vec<u8> + Send + 'static,
) -> Vec<String> {
    let (mut lines, mut write) = scripted_login(&server, "IMAP4rev1 UIDPLUS").await;
    let mut seen = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let (tag, command) = line.split_once(' ').unwrap();
        let tag = tag.to_string();
        seen.push(command.to_string());
        if seen.len() == 1 {
            for chunk in answer(&tag).chunks(piece.max(1)) {
                if write.write_all(chunk).await.is_err() || write.flush().await.is_err() {
                    return seen;
                }
            }
            continue;
        }
        let done = command.starts_with("LOGOUT");
        let _ = write
            .write_all(format!("{tag} OK done\r\n").as_bytes())
            .await;
        if done {
            break;
        }
    }
    seen
}

async fn bulk_connection(server: &Server) -> (ImapAccount, Arc<rustls::ClientConfig>) {
    let auth = AuthMethod::Password {
        password_command: "echo pw".into(),
    };
    (
        account(server, auth, Duration::from_secs(10)),
        tls_for(server),
    )
}

/// A bulk FETCH answer read in pieces of any size, literals cut anywhere,
/// gives every envelope, and the connection goes on with the next command.
#[tokio::test]
async fn a_bulk_fetch_answer_in_small_pieces_gives_every_envelope() {
    for piece in [7, 100, 65_536] {
        let server = server().await;
        let (account, tls) = bulk_connection(&server).await;
        let script = tokio::spawn(play_fetch(server, piece, |tag| {
            let mut out = String::new();
            for (i, uid) in (101..=140).enumerate() {
                out.push_str(&fetch_response(i as u32 + 1, uid, &format!("bilan {uid}")));
            }
            out.push_str(&format!("{tag} OK Fetch completed.\r\n"));
            out.into_bytes()
        }));
        let mut conn = connect(&account, tls).await.unwrap();
        let uids: Vec<u32> = (101..=140).collect();
        let envelopes = conn.fetch_envelopes(&uids).await.unwrap();
        assert_eq!(envelopes.len(), 40, "pieces of {piece}");
        assert_eq!(envelopes[0].uid, 101);
        assert_eq!(envelopes[39].uid, 140);
        assert!(
            String::from_utf8_lossy(&envelopes[5].header).contains("Subject: bilan 106"),
            "pieces of {piece}"
        );
        assert_eq!(envelopes[5].size, 1234);
        // the session goes on: the next command is answered and read
        conn.move_messages(&[101], "Archive").await.unwrap();
        conn.logout().await;
        let seen = script.await.unwrap();
        assert!(
            seen[0].starts_with("UID FETCH 101:140 (UID FLAGS"),
            "{seen:?}"
        );
        assert!(
            seen.iter().any(|c| c.starts_with("UID COPY 101")),
            "{seen:?}"
        );
    }
}

#[tokio::test]
async fn a_garbled_bulk_answer_is_a_protocol_error() {
    let server = server().await;
    let (account, tls) = bulk_connection(&server).await;
    let _script = tokio::spawn(play_fetch(server, 1000, |_| {
        let mut out = fetch_response(1, 5, "ok").into_bytes();
        out.extend_from_slice(b"* 2 FETCH (UID \x1b[31m)))\r\n");
        out
    }));
    let mut conn = connect(&account, tls).await.unwrap();
    let err = conn.fetch_envelopes(&[5, 6]).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
    assert!(
        !err.to_string().contains('\x1b'),
        "no escape reaches the message"
    );
}

#[tokio::test]
async fn a_huge_announced_literal_is_refused_not_buffered() {
    let server = server().await;
    let (account, tls) = bulk_connection(&server).await;
    let _script = tokio::spawn(play_fetch(server, 1000, |_| {
        b"* 1 FETCH (UID 5 BODY[HEADER.FIELDS (SUBJECT)] {4000000000}\r\nSubject: x\r\n".to_vec()
    }));
    let mut conn = connect(&account, tls).await.unwrap();
    let err = conn.fetch_envelopes(&[5]).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn a_connection_dropped_in_a_bulk_answer_is_a_lost_connection() {
    let server = server().await;
    let (account, tls) = bulk_connection(&server).await;
    let script = tokio::spawn(async move {
        let (mut lines, mut write) = scripted_login(&server, "IMAP4rev1").await;
        let _fetch = lines.next_line().await;
        let half = fetch_response(1, 5, "coupé");
        let _ = write.write_all(&half.as_bytes()[..half.len() / 2]).await;
        let _ = write.shutdown().await;
    });
    let mut conn = connect(&account, tls).await.unwrap();
    let err = conn.fetch_envelopes(&[5]).await.unwrap_err();
    script.await.unwrap();
    assert!(
        matches!(err, Error::ConnectionLost | Error::Io(_)),
        "{err:?}"
    );
}

/// A server's BYE in the middle of a bulk answer ends it as a lost
/// connection, and a NO is the command's refusal.
#[tokio::test]
async fn bye_and_no_end_a_bulk_answer() {
    for (ending, bye) in [
        ("* BYE shutting down\r\n", true),
        ("{tag} NO [SERVERBUG] sorry\r\n", false),
    ] {
        let server = server().await;
        let (account, tls) = bulk_connection(&server).await;
        let _script = tokio::spawn(play_fetch(server, 1000, move |tag| {
            let mut out = fetch_response(1, 5, "un");
            out.push_str(&ending.replace("{tag}", tag));
            out.into_bytes()
        }));
        let mut conn = connect(&account, tls).await.unwrap();
        let err = conn.fetch_envelopes(&[5, 6]).await.unwrap_err();
        if bye {
            assert!(matches!(err, Error::ConnectionLost), "{err:?}");
        } else {
            assert!(matches!(err, Error::No { .. }), "{err:?}");
        }
    }
}

/// A server that nests lists deeper than any real answer (a hostile body
/// structure) ends the connection with an error: the parser's recursion
/// would otherwise overflow the stack and abort the whole program. Both
/// readers are covered: the bulk one (envelopes) and async-imap's (flags).
#[tokio::test]
async fn a_response_nested_too_deeply_is_an_error_not_a_crash() {
    let deep = |tag: &str| {
        let mut out = b"* 1 FETCH (UID 5 FLAGS () BODYSTRUCTURE ".to_vec();
        out.extend(std::iter::repeat_n(b'(', 500_000));
        out.extend(format!("\r\n{tag} OK done\r\n").bytes());
        out
    };
    for bulk in [true, false] {
        let server = server().await;
        let (account, tls) = bulk_connection(&server).await;
        let _script = tokio::spawn(play_fetch(server, 65536, deep));
        let mut conn = connect(&account, tls).await.unwrap();
        let err = if bulk {
            conn.fetch_envelopes(&[5]).await.unwrap_err()
        } else {
            conn.fetch_flags("5", None).await.unwrap_err()
        };
        let cause = std::error::Error::source(&err).map(|e| e.to_string());
        assert!(
            cause
                .as_deref()
                .is_some_and(|c| c.contains("nested deeper")),
            "{err}: {cause:?}"
        );
    }
}
