//! The IMAP side of the contract: implicit TLS chaining to the test CA only, STARTTLS offered
//! (and enforced before LOGIN on the strict address), no STARTTLS on the plain port, and the
//! certificate port's EXTERNAL login for Alice and the card user (whose mailbox is Alice's),
//! refused without a certificate or with a foreign one.

use std::path::Path;

use tokio::io::BufReader;

use crate::common::{self, Stack};
use crate::wire::*;

#[tokio::test]
async fn imaps_greets_over_tls_that_chains_to_the_test_ca_only() {
    let Some(s) = common::stack("imaps_greets_over_tls_that_chains_to_the_test_ca_only") else {
        return;
    };
    let tls = tls_handshake(
        &s,
        connect(&s, "IMAPS_PORT").await,
        &tls_connector(&s.path("CA_CERT"), None),
    )
    .await
    .expect("TLS handshake trusting CA_CERT");
    let mut r = BufReader::new(tls);
    let greeting = read_line(&mut r, "IMAPS greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    for cap in ["IDLE", "CONDSTORE", "QRESYNC", "SPECIAL-USE"] {
        assert!(
            has_capability(&login, cap),
            "{cap} missing after login: {login:?}"
        );
    }
    let list = imap_command(&mut r, "a2", "LIST \"\" \"*\" RETURN (SPECIAL-USE)").await;
    for flag in ["\\Sent", "\\Drafts", "\\Trash", "\\Archive", "\\Junk"] {
        assert!(
            list.iter().any(|l| l.contains(flag)),
            "no {flag} folder: {list:?}"
        );
    }

    // The same server must be refused by a client that trusts another CA.
    let foreign = tls_connector(&s.path("ROGUE_CERT"), None);
    let refused = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &foreign).await;
    assert!(
        refused.is_err(),
        "a client trusting only ROGUE_CERT accepted the server certificate"
    );
}

#[tokio::test]
async fn starttls_port_offers_starttls_and_upgrades() {
    let Some(s) = common::stack("starttls_port_offers_starttls_and_upgrades") else {
        return;
    };
    let mut r = BufReader::new(connect(&s, "IMAP_STARTTLS_PORT").await);
    let greeting = read_line(&mut r, "STARTTLS-port greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = imap_command(&mut r, "a1", "CAPABILITY").await;
    assert!(
        has_capability(&caps, "STARTTLS"),
        "STARTTLS not offered: {caps:?}"
    );
    let ok = imap_command(&mut r, "a2", "STARTTLS").await;
    assert!(
        ok.last().is_some_and(|l| l.starts_with("a2 OK")),
        "STARTTLS refused: {ok:?}"
    );
    assert!(
        r.buffer().is_empty(),
        "server sent data after STARTTLS OK (injection)"
    );
    let tls = tls_handshake(&s, r.into_inner(), &tls_connector(&s.path("CA_CERT"), None))
        .await
        .expect("TLS handshake after STARTTLS");
    let mut r = BufReader::new(tls);
    let login = imap_command(
        &mut r,
        "a3",
        &format!("LOGIN {} {}", s.get("BOB_USER"), s.get("BOB_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a3 OK")),
        "login after STARTTLS: {login:?}"
    );
}

#[tokio::test]
async fn strict_address_refuses_login_before_starttls() {
    let Some(s) = common::stack("strict_address_refuses_login_before_starttls") else {
        return;
    };
    let strict = s.get("IMAP_STRICT_ADDR");
    let mut r = BufReader::new(connect_to(&s, &strict, "IMAP_STARTTLS_PORT").await);
    let greeting = vec![read_line(&mut r, "strict STARTTLS greeting").await];
    assert!(
        has_capability(&greeting, "STARTTLS"),
        "greeting: {greeting:?}"
    );
    assert!(
        has_capability(&greeting, "LOGINDISABLED"),
        "greeting: {greeting:?}"
    );
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 NO")),
        "plaintext LOGIN: {login:?}"
    );
    let ok = imap_command(&mut r, "a2", "STARTTLS").await;
    assert!(
        ok.last().is_some_and(|l| l.starts_with("a2 OK")),
        "STARTTLS refused: {ok:?}"
    );
    // the certificate names localhost; the name checked is the one we ask for, not the address
    let tls = tls_handshake(&s, r.into_inner(), &tls_connector(&s.path("CA_CERT"), None))
        .await
        .expect("TLS handshake after STARTTLS on the strict address");
    let mut r = BufReader::new(tls);
    let login = imap_command(
        &mut r,
        "a3",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a3 OK")),
        "login after STARTTLS: {login:?}"
    );
}

#[tokio::test]
async fn nostarttls_port_never_offers_starttls() {
    let Some(s) = common::stack("nostarttls_port_never_offers_starttls") else {
        return;
    };
    let mut r = BufReader::new(connect(&s, "IMAP_NOSTARTTLS_PORT").await);
    let greeting = read_line(&mut r, "no-STARTTLS greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = imap_command(&mut r, "a1", "CAPABILITY").await;
    assert!(
        caps.last().is_some_and(|l| l.starts_with("a1 OK")),
        "CAPABILITY: {caps:?}"
    );
    assert!(
        has_capability(&caps, "IMAP4rev1"),
        "not an IMAP server? {caps:?}"
    );
    assert!(
        !has_capability(&caps, "STARTTLS"),
        "STARTTLS offered: {caps:?}"
    );
    assert!(
        !has_capability(&[greeting], "STARTTLS"),
        "STARTTLS in the greeting"
    );
}

/// `AUTHENTICATE EXTERNAL` on the certificate port with the given client identity; returns the
/// tagged reply. Dovecot completes the handshake either way and refuses at AUTHENTICATE.
async fn external_login(s: &Stack, identity: Option<(&Path, &Path)>) -> String {
    let connector = tls_connector(&s.path("CA_CERT"), identity);
    let tls = tls_handshake(s, connect(s, "IMAPS_CERT_PORT").await, &connector)
        .await
        .expect("TLS handshake on the certificate port");
    let mut r = BufReader::new(tls);
    let greeting = read_line(&mut r, "cert-port greeting").await;
    assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let caps = vec![greeting];
    assert!(
        has_capability(&caps, "AUTH=EXTERNAL"),
        "no AUTH=EXTERNAL: {caps:?}"
    );
    let reply = imap_command(&mut r, "a1", "AUTHENTICATE EXTERNAL =").await;
    reply.last().cloned().unwrap_or_default()
}

#[tokio::test]
async fn cert_port_requires_a_client_certificate_from_the_test_ca() {
    let Some(s) = common::stack("cert_port_requires_a_client_certificate_from_the_test_ca") else {
        return;
    };
    let none = external_login(&s, None).await;
    assert!(
        none.starts_with("a1 NO"),
        "login without a client certificate: {none}"
    );

    let rogue = external_login(&s, Some((&s.path("ROGUE_CERT"), &s.path("ROGUE_KEY")))).await;
    assert!(
        rogue.starts_with("a1 NO"),
        "login with a foreign CA's certificate: {rogue}"
    );

    // The refusals above mean something only if a good certificate gets in.
    let alice = external_login(&s, Some((&s.path("ALICE_CERT"), &s.path("ALICE_KEY")))).await;
    assert!(
        alice.starts_with("a1 OK"),
        "login with Alice's certificate: {alice}"
    );
}

#[tokio::test]
async fn card_user_certificate_opens_alices_mailbox() {
    let Some(s) = common::stack("card_user_certificate_opens_alices_mailbox") else {
        return;
    };
    let token = format!("card-{}-{}", std::process::id(), fastrand::u64(..));

    // Put a marker in Alice's INBOX through her password login.
    let ca = tls_connector(&s.path("CA_CERT"), None);
    let tls = tls_handshake(&s, connect(&s, "IMAPS_PORT").await, &ca)
        .await
        .expect("TLS handshake on the IMAPS port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "IMAPS greeting").await;
    let login = imap_command(
        &mut r,
        "a1",
        &format!("LOGIN {} {}", s.get("ALICE_USER"), s.get("ALICE_PASSWORD")),
    )
    .await;
    assert!(
        login.last().is_some_and(|l| l.starts_with("a1 OK")),
        "login: {login:?}"
    );
    let message = format!("Subject: {token}\r\n\r\nmarker\r\n");
    let append = imap_command(
        &mut r,
        "a2",
        &format!("APPEND INBOX {{{}+}}\r\n{message}", message.len()),
    )
    .await;
    assert!(
        append.last().is_some_and(|l| l.starts_with("a2 OK")),
        "APPEND: {append:?}"
    );

    // The card user's certificate logs in by EXTERNAL and sees that marker.
    let (chain, key) = client_identity_signed_by_test_ca(&s, &s.get("CARD_USER"));
    let tls = tls_handshake(
        &s,
        connect(&s, "IMAPS_CERT_PORT").await,
        &connector(&s.path("CA_CERT"), Some((chain, key))),
    )
    .await
    .expect("TLS handshake on the certificate port");
    let mut r = BufReader::new(tls);
    read_line(&mut r, "cert-port greeting").await;
    let auth = imap_command(&mut r, "b1", "AUTHENTICATE EXTERNAL =").await;
    assert!(
        auth.last().is_some_and(|l| l.starts_with("b1 OK")),
        "card user EXTERNAL: {auth:?}"
    );
    imap_command(&mut r, "b2", "EXAMINE INBOX").await;
    let found = imap_command(&mut r, "b3", &format!("SEARCH SUBJECT {token}")).await;
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("* SEARCH ") && l.len() > "* SEARCH ".len()),
        "the card user does not see Alice's mailbox: {found:?}"
    );
}
