//! Connection and login against the real Dovecot of the loopback stack: implicit TLS,
//! STARTTLS, client certificate with AUTHENTICATE EXTERNAL, and every refusal (no
//! STARTTLS, wrong CA, wrong host name, bad password, failing password command).
// helpers outside #[test] functions panic on a broken setup, like the tests themselves
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod imap_common;

use cachet::error::{ErrorKind, HasKind};
use cachet::mail::imap::types::SpecialUse;
use cachet::mail::imap::{AuthMethod, Error, Security, connect};
use cachet::tls::{AnchorSource, TlsOptions, TrustPolicy, client_config};
use imap_common::*;

#[tokio::test]
async fn implicit_tls_login_lists_special_use_folders() {
    let Some(stack) = common::stack("implicit_tls_login") else {
        return;
    };
    let mut conn = login(&stack, &alice(&stack)).await;
    assert!(
        conn.has_qresync(),
        "Dovecot offers QRESYNC; it must be enabled"
    );
    let folders = conn.list_folders(true).await.unwrap();
    let role = |r: SpecialUse| {
        folders
            .iter()
            .find(|f| f.special_use == Some(r))
            .map(|f| f.name.clone())
    };
    assert_eq!(role(SpecialUse::Inbox).as_deref(), Some("INBOX"));
    assert_eq!(role(SpecialUse::Sent).as_deref(), Some("Sent"));
    assert_eq!(role(SpecialUse::Drafts).as_deref(), Some("Drafts"));
    assert_eq!(role(SpecialUse::Trash).as_deref(), Some("Trash"));
    assert_eq!(role(SpecialUse::Archive).as_deref(), Some("Archive"));
    assert_eq!(role(SpecialUse::Junk).as_deref(), Some("Junk"));
    let inbox = folders.iter().find(|f| f.name == "INBOX").unwrap();
    let status = inbox.status.unwrap();
    assert!(status.uid_validity.is_some() && status.highest_modseq.is_some());
    conn.logout().await;
}

#[tokio::test]
async fn starttls_login_works() {
    let Some(stack) = common::stack("starttls_login") else {
        return;
    };
    let mut account = alice(&stack);
    account.port = stack.port("IMAP_STARTTLS_PORT");
    account.security = Security::StartTls;
    let mut conn = connect(&account, tls(&stack)).await.unwrap();
    conn.noop().await.unwrap();
    conn.logout().await;
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_and_no_secret_is_fetched() {
    let Some(stack) = common::stack("no_starttls") else {
        return;
    };
    let marker = tempfile::tempdir().unwrap();
    let touched = marker.path().join("secret-was-read");
    let mut account = alice(&stack);
    account.port = stack.port("IMAP_NOSTARTTLS_PORT");
    account.security = Security::StartTls;
    account.auth = AuthMethod::Password {
        password_command: format!("touch {}; echo alice-secret", touched.display()),
    };
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    assert!(matches!(e, Error::NoStartTls), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Tls);
    assert!(!touched.exists(), "the password must not even be fetched");
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let Some(stack) = common::stack("wrong_ca") else {
        return;
    };
    // the rogue certificate is self-signed by another authority
    let options = TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemFile(stack.path("ROGUE_CERT"))],
        },
        ..tls_options(&stack)
    };
    let e = connect(&alice(&stack), client_config(&options).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Handshake { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Tls);
}

/// The machine's own name resolves to 127.0.0.1 here but is not in the server
/// certificate (DNS:localhost, IP:127.0.0.1): a real wrong-name connection.
fn other_name_for_loopback() -> Option<String> {
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()?
        .trim()
        .to_string();
    if name.is_empty() || name.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let loopback = (name.as_str(), 1)
        .to_socket_addrs()
        .ok()?
        .any(|a| a.ip().to_string() == "127.0.0.1");
    loopback.then_some(name)
}

#[tokio::test]
async fn a_host_name_not_in_the_certificate_is_refused() {
    let Some(stack) = common::stack("wrong_name") else {
        return;
    };
    let Some(name) = other_name_for_loopback() else {
        eprintln!("wrong_name: skipped, the host name does not resolve to 127.0.0.1 here");
        return;
    };
    let mut account = alice(&stack);
    account.host = name;
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    let Error::Handshake { source, .. } = &e else {
        panic!("{e:?}")
    };
    let inner = source
        .get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>());
    assert!(
        matches!(
            inner,
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error() {
    let Some(stack) = common::stack("wrong_password") else {
        return;
    };
    let mut account = alice(&stack);
    account.auth = password_auth("not-the-password");
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    assert!(matches!(e, Error::AuthRefused { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(!e.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn a_failing_password_command_is_a_clear_error() {
    let Some(stack) = common::stack("password_command_fails") else {
        return;
    };
    let mut account = alice(&stack);
    account.auth = AuthMethod::Password {
        password_command: "echo 'pass: entry imap/alice not found' >&2; exit 1".into(),
    };
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    assert!(matches!(e, Error::SecretCommand { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("secret command failed") && text.contains("entry imap/alice not found"),
        "{text}"
    );
}

#[tokio::test]
async fn client_certificate_logs_in_with_authenticate_external() {
    let Some(stack) = common::stack("client_cert") else {
        return;
    };
    let pki = stack.path("PKI_DIR");
    let mut options = tls_options(&stack);
    options.client_auth = Some(PemClientCert::load(
        &pki.join("client-alice.crt"),
        &pki.join("client-alice.key"),
    ));
    let account = account(
        &stack,
        "IMAPS_CERT_PORT",
        Security::ImplicitTls,
        "ALICE_USER",
        AuthMethod::ClientCertificate,
    );
    let mut conn = connect(&account, client_config(&options).unwrap())
        .await
        .unwrap();
    let folders = conn.list_folders(false).await.unwrap();
    assert!(folders.iter().any(|f| f.name == "INBOX"));
    conn.logout().await;
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused() {
    let Some(stack) = common::stack("rogue_client_cert") else {
        return;
    };
    let mut options = tls_options(&stack);
    options.client_auth = Some(PemClientCert::load(
        &stack.path("ROGUE_CERT"),
        &stack.path("ROGUE_KEY"),
    ));
    let account = account(
        &stack,
        "IMAPS_CERT_PORT",
        Security::ImplicitTls,
        "ALICE_USER",
        AuthMethod::ClientCertificate,
    );
    let r = connect(&account, client_config(&options).unwrap()).await;
    let e = r.unwrap_err();
    // Dovecot either aborts the handshake or refuses EXTERNAL; both must be typed errors
    assert!(
        matches!(e, Error::AuthRefused { .. } | Error::Handshake { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn without_a_client_certificate_external_is_refused() {
    let Some(stack) = common::stack("no_client_cert") else {
        return;
    };
    let account = account(
        &stack,
        "IMAPS_CERT_PORT",
        Security::ImplicitTls,
        "ALICE_USER",
        AuthMethod::ClientCertificate,
    );
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    assert!(matches!(e, Error::AuthRefused { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let Some(stack) = common::stack("closed_port") else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut account = alice(&stack);
    account.port = port;
    let e = connect(&account, tls(&stack)).await.unwrap_err();
    assert!(matches!(e, Error::Connect { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Network);
}

#[tokio::test]
async fn french_folder_names_round_trip_through_modified_utf7() {
    let Some(stack) = common::stack("mutf7_folder") else {
        return;
    };
    let mut conn = login(&stack, &alice(&stack)).await;
    let display = format!("Éléments reçus {}", fastrand::u32(..));
    let wire = cachet::mail::imap::mutf7::encode(&display);
    conn.create_folder(&wire).await.unwrap();
    let folders = conn.list_folders(false).await.unwrap();
    let found = folders
        .iter()
        .find(|f| f.name == wire)
        .expect("the folder is listed");
    assert_eq!(found.display_name(), display);
    conn.delete_folder(&wire).await.unwrap();
}
