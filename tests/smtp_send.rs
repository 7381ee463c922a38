//! SMTP submission against the real loopback Postfix (STARTTLS on the
//! submission port, implicit TLS on the submissions port, SASL through
//! Dovecot), delivery by LMTP into Dovecot, read back over IMAP.

mod common;
mod smtp_support;

use cachet::error::{ErrorKind, HasKind};
use cachet::mail::compose::{Attachment, Mailbox};
use cachet::mail::smtp::{Error, PasswordSource, Security, SmtpAuth, Stage, submit};
use mail_parser::{MessageParser, MimeHeaders};
use smtp_support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn binary(len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(42);
    (0..len).map(|_| rng.u8(..)).collect()
}

#[tokio::test]
async fn starttls_submission_round_trips_text_and_attachments_byte_exact() {
    let Some(stack) = common::stack("smtp_send::round_trip") else {
        return;
    };
    let mut d = draft(&stack, "Compte rendu – échographie abdominale");
    d.body = "Bonjour,\n\nLigne accentuée : éàçù œ « guillemets ».\nUne ligne très longue "
        .to_string()
        + &"mot ".repeat(100)
        + "\n.\n..point seul en début de ligne\nFin.\n";
    d.bcc = vec![mailbox(&stack, "ALICE_USER")];
    let xml =
        b"<?xml version=\"1.0\"?>\r\n<ClinicalDocument>\n  \xc3\xa9\r\n</ClinicalDocument>  \r\n"
            .to_vec();
    d.attachments = vec![
        Attachment {
            name: "IHE_XDM.ZIP".into(),
            content_type: "application/zip".into(),
            bytes: binary(300_000),
        },
        Attachment {
            name: "DOC0001.XML".into(),
            content_type: "text/xml".into(),
            bytes: xml.clone(),
        },
        Attachment {
            name: "vide.txt".into(),
            content_type: "text/plain".into(),
            bytes: vec![],
        },
    ];
    let built = d.build(now()).unwrap();
    let accepted = submit(
        &settings(&stack, "ALICE_USER", Security::StartTls),
        tls_config(&stack),
        &built.envelope,
        &built.bytes,
    )
    .await
    .unwrap();
    assert!(accepted.reply.contains("queued"), "{accepted:?}");

    let copies = wait_delivered(&stack, "BOB_USER", &built.message_id).await;
    assert_eq!(copies.len(), 1);
    let msg = MessageParser::default().parse(&copies[0]).unwrap();
    assert_eq!(msg.subject(), Some("Compte rendu – échographie abdominale"));
    assert_eq!(msg.body_text(0).unwrap().replace("\r\n", "\n"), d.body);
    let got: Vec<(String, Vec<u8>)> = msg
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap().to_string(),
                a.contents().to_vec(),
            )
        })
        .collect();
    let want: Vec<(String, Vec<u8>)> = d
        .attachments
        .iter()
        .map(|a| (a.name.clone(), a.bytes.clone()))
        .collect();
    assert_eq!(got, want, "attachments changed in transit");
    // Bcc: delivered to alice, invisible in bob's copy.
    let raw = String::from_utf8_lossy(&copies[0]).to_ascii_lowercase();
    assert!(!raw.contains("\nbcc:"), "a Bcc header was sent");
    assert!(msg.header("Bcc").is_none());
    assert_eq!(
        wait_delivered(&stack, "ALICE_USER", &built.message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn implicit_tls_with_a_password_command() {
    let Some(stack) = common::stack("smtp_send::implicit_tls") else {
        return;
    };
    let mut s = settings(&stack, "ALICE_USER", Security::ImplicitTls);
    s.auth = SmtpAuth::Password {
        user: stack.get("ALICE_USER"),
        secret: PasswordSource::Command(format!(
            "printf '%s\\n' '{}'",
            stack.get("ALICE_PASSWORD")
        )),
    };
    let built = draft(&stack, "port 465").build(now()).unwrap();
    submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap();
    assert_eq!(
        wait_delivered(&stack, "BOB_USER", &built.message_id)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_and_not_a_message_refusal() {
    let Some(stack) = common::stack("smtp_send::wrong_password") else {
        return;
    };
    let mut s = settings(&stack, "ALICE_USER", Security::StartTls);
    s.auth = SmtpAuth::Password {
        user: stack.get("ALICE_USER"),
        secret: PasswordSource::Secret("nope".to_string().into()),
    };
    let built = draft(&stack, "bad password").build(now()).unwrap();
    let err = submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn unknown_recipient_is_a_permanent_refusal() {
    let Some(stack) = common::stack("smtp_send::unknown_recipient") else {
        return;
    };
    let mut d = draft(&stack, "nobody");
    d.to.push(Mailbox::parse("nobody@example.test").unwrap());
    let built = d.build(now()).unwrap();
    let err = submit(
        &settings(&stack, "ALICE_USER", Security::StartTls),
        tls_config(&stack),
        &built.envelope,
        &built.bytes,
    )
    .await
    .unwrap_err();
    match &err {
        Error::Rejected {
            stage: Stage::RcptTo { recipient },
            code,
            ..
        } => {
            assert_eq!(recipient, "nobody@example.test");
            assert!(*code >= 500, "{err:?}");
        }
        other => panic!("expected a RCPT refusal, got {other:?}"),
    }
    assert!(err.is_permanent());
    // All or nothing: bob must not get it either.
    settle(&stack).await;
    assert!(
        messages_with_id(&stack, "BOB_USER", &built.message_id)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn oversized_message_is_refused_before_sending() {
    let Some(stack) = common::stack("smtp_send::size") else {
        return;
    };
    let limit: usize = stack.get("SMTP_SIZE_LIMIT").parse().unwrap();
    let mut d = draft(&stack, "trop gros");
    d.attachments = vec![Attachment {
        name: "scan.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: binary(limit),
    }];
    let built = d.build(now()).unwrap();
    assert!(built.bytes.len() > limit);
    let err = submit(
        &settings(&stack, "ALICE_USER", Security::StartTls),
        tls_config(&stack),
        &built.envelope,
        &built.bytes,
    )
    .await
    .unwrap_err();
    match err {
        Error::TooLarge { size, limit: l } => {
            assert_eq!(size, built.bytes.len());
            assert_eq!(l, limit, "the limit must be the one the server announced");
        }
        ref other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(err.is_permanent());
    assert!(err.to_string().contains("over the server limit"));
    settle(&stack).await;
    assert!(
        messages_with_id(&stack, "BOB_USER", &built.message_id)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn closed_port_is_a_transient_network_error() {
    let Some(stack) = common::stack("smtp_send::closed_port") else {
        return;
    };
    // Bind then drop: the port is known to be free and closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = settings(&stack, "ALICE_USER", Security::StartTls);
    s.host = "127.0.0.1".into();
    s.port = port;
    let built = draft(&stack, "closed").build(now()).unwrap();
    let err = submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(!err.is_permanent());
}

/// The one scripted peer of these tests (Postfix cannot be made to drop
/// STARTTLS on a submission port that requires it): it greets, answers EHLO
/// without STARTTLS and records everything the client sends afterwards.
#[tokio::test]
async fn a_server_without_starttls_is_refused_before_any_credential() {
    let Some(stack) = common::stack("smtp_send::no_starttls") else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut io = BufReader::new(sock);
        io.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut ehlo = String::new();
        io.read_line(&mut ehlo).await.unwrap();
        io.get_mut()
            .write_all(b"250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000000\r\n")
            .await
            .unwrap();
        let mut rest = String::new();
        while io.read_line(&mut rest).await.unwrap() > 0 {}
        (ehlo, rest)
    });
    let mut s = settings(&stack, "ALICE_USER", Security::StartTls);
    s.host = "127.0.0.1".into();
    s.port = port;
    let built = draft(&stack, "no starttls").build(now()).unwrap();
    let err = submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StartTlsUnavailable), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Tls);
    let (ehlo, rest) = peer.await.unwrap();
    assert!(ehlo.starts_with("EHLO "));
    assert_eq!(
        rest, "",
        "the client sent something in clear text after EHLO"
    );
}

/// Scripted peer: answers STARTTLS with `220` and, in the same packet, a
/// forged reply meant to be read after the handshake (CVE-2011-0411).
#[tokio::test]
async fn data_injected_before_the_tls_handshake_is_refused() {
    let Some(stack) = common::stack("smtp_send::injection") else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut io = BufReader::new(sock);
        io.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut line = String::new();
        io.read_line(&mut line).await.unwrap();
        io.get_mut()
            .write_all(b"250-fake\r\n250 STARTTLS\r\n")
            .await
            .unwrap();
        line.clear();
        io.read_line(&mut line).await.unwrap();
        io.get_mut()
            .write_all(b"220 go ahead\r\n250 2.7.0 forged\r\n")
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut io, &mut rest).await;
    });
    let mut s = settings(&stack, "ALICE_USER", Security::StartTls);
    s.host = "127.0.0.1".into();
    s.port = port;
    let built = draft(&stack, "injection").build(now()).unwrap();
    let err = submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StartTlsInjection), "{err:?}");
}

/// Scripted peer that accepts the connection and never greets: the wait is
/// bounded and reported as a timeout of the greeting.
#[tokio::test]
async fn a_silent_server_is_a_bounded_wait() {
    let Some(stack) = common::stack("smtp_send::silent") else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut sock = sock;
        let mut rest = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut sock, &mut rest).await;
    });
    let mut s = settings(&stack, "ALICE_USER", Security::StartTls);
    s.host = "127.0.0.1".into();
    s.port = port;
    s.timeouts.command = std::time::Duration::from_millis(300);
    let built = draft(&stack, "silent").build(now()).unwrap();
    let err = submit(&s, tls_config(&stack), &built.envelope, &built.bytes)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                stage: Stage::Greeting
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(!err.is_permanent());
    peer.abort();
}
