//! Proves the loopback stack started by `tests/stack/start-all.sh` is up and behaves as the
//! contract in `docs/dev/test-stack.md` says, before any module's integration test relies on
//! it. Here: every key is in stack.env and the vpcd driver listens on both slots; `imap`: TLS
//! chaining to `CA_CERT` only, STARTTLS offered (and enforced on `IMAP_STRICT_ADDR`), none on
//! the plain port, the certificate port's EXTERNAL login; `smtp`: greetings, STARTTLS, size
//! limit, and a message travelling from SMTPS to the IMAP inbox. TLS is rustls with the ring
//! provider, as in the application; every network step is bounded by [`wire::STEP`].

// Test code: a failed expectation here is the test's verdict (clippy's allow-expect-in-tests
// covers #[test] functions only, not their helpers).
#![allow(clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
mod imap;
mod smtp;
mod wire;

use std::path::Path;

use tokio::net::TcpStream;

use wire::within;

/// Every key of the contract that start-all.sh itself writes (FHIR_URL comes from start-fhir.sh).
const CONTRACT_KEYS: &[&str] = &[
    "STACK_DIR",
    "CA_CERT",
    "PKI_DIR",
    "IMAP_HOST",
    "IMAPS_PORT",
    "IMAP_STARTTLS_PORT",
    "IMAP_STRICT_ADDR",
    "IMAP_NOSTARTTLS_PORT",
    "IMAPS_CERT_PORT",
    "SMTP_SUBMISSION_PORT",
    "SMTPS_PORT",
    "SMTP_SIZE_LIMIT",
    "ALICE_USER",
    "ALICE_PASSWORD",
    "BOB_USER",
    "BOB_PASSWORD",
    "CARD_USER",
    "ROGUE_CERT",
    "ROGUE_KEY",
    "VPCD_PORT",
    "VPCD_PORT_2",
];

#[test]
fn stack_env_has_every_contract_key_and_the_pki() {
    let Some(s) = common::stack("stack_env_has_every_contract_key_and_the_pki") else {
        return;
    };
    for key in CONTRACT_KEYS {
        assert!(
            s.get_opt(key).is_some_and(|v| !v.is_empty()),
            "stack.env lacks {key}"
        );
    }
    // start-fhir.sh is another script's job; when the project has it, its key is part of the contract
    if Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stack/start-fhir.sh")
        .exists()
    {
        let url = s.get("FHIR_URL");
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/fhir/R4"),
            "FHIR_URL={url}"
        );
    }
    let pki = s.path("PKI_DIR");
    for f in ["ca.crt", "ca.key", "server.crt", "server.key"] {
        assert!(
            pki.join(f).is_file(),
            "{f} missing from PKI_DIR {}",
            pki.display()
        );
    }
    assert_eq!(s.path("CA_CERT"), pki.join("ca.crt"));
    assert_eq!(s.get("CARD_USER"), "810100000017");
    assert_eq!(s.get("SMTP_SIZE_LIMIT"), "10485760");
    assert_eq!(s.port("VPCD_PORT_2"), s.port("VPCD_PORT") + 1);
}

#[tokio::test]
async fn vpcd_listens_on_both_slots() {
    let Some(s) = common::stack("vpcd_listens_on_both_slots") else {
        return;
    };
    for key in ["VPCD_PORT", "VPCD_PORT_2"] {
        let port = s.port(key);
        within(
            &format!("connect vpcd {key}"),
            TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        .unwrap_or_else(|e| panic!("vpcd {key}={port} refuses a connection: {e}"));
    }
}
