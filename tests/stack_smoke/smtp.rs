//! The SMTP side of the contract: both ports greet, submission offers STARTTLS and the size
//! limit and refuses mail before TLS, SMTPS offers AUTH, and a message submitted over SMTPS
//! reaches the recipient's IMAP inbox (Postfix -> LMTP -> Dovecot).

use std::time::Duration;

use tokio::io::BufReader;

use crate::common;
use crate::wire::*;

#[tokio::test]
async fn smtp_ports_greet_and_submission_requires_starttls() {
    let Some(s) = common::stack("smtp_ports_greet_and_submission_requires_starttls") else {
        return;
    };
    let limit = s.get("SMTP_SIZE_LIMIT");

    let mut r = BufReader::new(connect(&s, "SMTP_SUBMISSION_PORT").await);
    let greeting = smtp_reply(&mut r, "submission greeting").await;
    assert!(greeting[0].starts_with("220"), "greeting: {greeting:?}");
    let ehlo = smtp_ehlo(&mut r).await;
    assert!(ehlo.iter().all(|l| l.starts_with("250")), "EHLO: {ehlo:?}");
    assert!(
        ehlo.iter().any(|l| smtp_text(l) == "STARTTLS"),
        "no STARTTLS: {ehlo:?}"
    );
    assert!(
        !ehlo.iter().any(|l| smtp_text(l).starts_with("AUTH")),
        "AUTH offered before TLS: {ehlo:?}"
    );
    assert!(
        ehlo.iter().any(|l| smtp_text(l) == format!("SIZE {limit}")),
        "no SIZE {limit}: {ehlo:?}"
    );
    let refused = smtp_command(
        &mut r,
        "MAIL FROM:<alice@example.test>",
        "MAIL before STARTTLS",
    )
    .await;
    assert!(
        refused[0].starts_with("530"),
        "MAIL accepted before STARTTLS: {refused:?}"
    );

    let tls = tls_handshake(
        &s,
        connect(&s, "SMTPS_PORT").await,
        &tls_connector(&s.path("CA_CERT"), None),
    )
    .await
    .expect("TLS handshake on the SMTPS port");
    let mut r = BufReader::new(tls);
    let greeting = smtp_reply(&mut r, "SMTPS greeting").await;
    assert!(greeting[0].starts_with("220"), "greeting: {greeting:?}");
    let ehlo = smtp_ehlo(&mut r).await;
    assert!(
        ehlo.iter()
            .any(|l| smtp_text(l).starts_with("AUTH") && l.contains("PLAIN")),
        "EHLO: {ehlo:?}"
    );
}

#[tokio::test]
async fn mail_submitted_over_smtps_reaches_the_imap_inbox() {
    use base64::Engine as _;
    let Some(s) = common::stack("mail_submitted_over_smtps_reaches_the_imap_inbox") else {
        return;
    };
    let (bob, alice) = (s.get("BOB_USER"), s.get("ALICE_USER"));
    let token = format!("smoke-{}-{}", std::process::id(), fastrand::u64(..));

    let connector = tls_connector(&s.path("CA_CERT"), None);
    let tls = tls_handshake(&s, connect(&s, "SMTPS_PORT").await, &connector)
        .await
        .expect("TLS handshake on the SMTPS port");
    let mut r = BufReader::new(tls);
    smtp_reply(&mut r, "SMTPS greeting").await;
    smtp_ehlo(&mut r).await;
    let plain = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{bob}\0{}", s.get("BOB_PASSWORD")));
    let steps = [
        (format!("AUTH PLAIN {plain}"), "235"),
        (format!("MAIL FROM:<{bob}>"), "250"),
        (format!("RCPT TO:<{alice}>"), "250"),
        ("DATA".to_string(), "354"),
        (
            format!(
                "From: <{bob}>\r\nTo: <{alice}>\r\nSubject: {token}\r\n\r\nstack smoke test\r\n."
            ),
            "250",
        ),
    ];
    for (command, code) in &steps {
        let what = command.split(' ').next().unwrap_or("SMTP");
        let reply = smtp_command(&mut r, command, what).await;
        assert!(
            reply[0].starts_with(code),
            "{what}: expected {code}, got {reply:?}"
        );
    }
    smtp_command(&mut r, "QUIT", "QUIT").await;

    // Delivery (Postfix queue -> LMTP -> Dovecot) is asynchronous: poll the inbox, bounded.
    let tls = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &connector)
        .await
        .expect("TLS handshake on the IMAPS port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "IMAPS greeting").await;
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {alice} {}", s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    let delivered = tokio::time::timeout(Duration::from_secs(20), async {
        for n in 0u32.. {
            let tag = format!("s{n}");
            imap_command(&mut r, &format!("e{n}"), "EXAMINE INBOX").await;
            let found = imap_command(&mut r, &tag, &format!("SEARCH SUBJECT {token}")).await;
            if found
                .iter()
                .any(|l| l.starts_with("* SEARCH ") && l.len() > "* SEARCH ".len())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        delivered.is_ok(),
        "message {token} never reached {alice}'s INBOX"
    );
}
