//! The store's data key wrapped to the real (simulated) CPS card through
//! pcscd: `cachet profile create`, `store verify` and `audit verify` with
//! the card in the reader and the PIN on a descriptor; another card cannot
//! open the profile.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

mod common;

use cachet::card::CardKind;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use std::io::Write;
use std::process::{Command, Stdio};

fn cachet(profiles: &std::path::Path, args: &[&str], pin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachet"))
        .arg("--profile-dir")
        .arg(profiles)
        .args(["--pin-fd", "0"])
        .args(args)
        .env("XDG_STATE_HOME", profiles.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cachet runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{pin}\n").as_bytes())
        .expect("pin written");
    let started = std::time::Instant::now();
    let out = child.wait_with_output().expect("cachet ends");
    eprintln!(
        "figures: cachet {} took {} ms",
        args.join(" "),
        started.elapsed().as_millis()
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn profile_opened_by_the_card_through_pcscd() {
    let Some(stack) = common::stack("profile_opened_by_the_card_through_pcscd") else {
        return;
    };
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).expect("test PKI");
    let profiles = tempfile::tempdir().expect("tempdir");

    let card = VpcdCard::insert(&vpcd, Simulator::new(&pki, CardKind::Cps3Contact, "1234"))
        .expect("inserted");
    let (code, out, err) = cachet(profiles.path(), &["profile", "create"], "1234");
    assert_eq!(code, 0, "create: {out}\n{err}");
    let (code, out, err) = cachet(profiles.path(), &["store", "verify"], "1234");
    assert_eq!(code, 0, "verify: {out}\n{err}");
    let (code, out, err) = cachet(profiles.path(), &["audit", "verify"], "1234");
    assert_eq!(code, 0, "audit: {out}\n{err}");
    let (code, _, err) = cachet(profiles.path(), &["store", "verify"], "9999");
    assert_eq!(code, 3, "a wrong PIN is a card problem: {err}");
    drop(card);

    // Another practitioner's card (another key, another holder) does not open this profile.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other_pki = pki::ensure(other_dir.path()).expect("another PKI");
    let other = VpcdCard::insert(
        &vpcd,
        Simulator::new(&other_pki, CardKind::Cps3Contact, "1234"),
    )
    .expect("inserted");
    let (code, out, err) = cachet(profiles.path(), &["store", "verify"], "1234");
    assert_ne!(code, 0, "another card must not open the profile: {out}");
    assert!(!err.is_empty(), "a clear error is printed");
    drop(other);
}
