#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The `cachet` binary itself: `send` and `outbox` with the profile opened
//! by the (simulated) CPS card through pcscd, the PIN on a descriptor
//! (`--pin-fd`) while standard input carries the message text. Run under
//! `flock /tmp/cachet-vpcd.lock` (one virtual reader for everyone).

mod common;
mod smtp_support;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};

use cachet::card::CardKind;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use smtp_support::cli::{Profile, message_id_in};
use smtp_support::*;

/// Runs the binary; the PIN comes from a file opened without close-on-exec.
fn cachet(dir: &Path, config: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let pin_path = dir.join("pin");
    std::fs::write(&pin_path, "1234\n").unwrap();
    let pin = std::fs::File::open(&pin_path).unwrap();
    rustix::io::fcntl_setfd(&pin, rustix::io::FdFlags::empty()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachet"))
        .arg("--profile-dir")
        .arg(dir.join("profiles"))
        .arg("--config")
        .arg(config)
        .args(["--pin-fd", &pin.as_raw_fd().to_string()])
        .args(args)
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    drop(pin);
    let (out_s, err_s) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    eprintln!(
        "cachet {}: {:?}\n{out_s}{err_s}",
        args.join(" "),
        out.status
    );
    (out.status.code().unwrap_or(-1), out_s, err_s)
}

#[test]
fn the_binary_sends_with_the_profile_opened_by_the_card() {
    let Some(stack) = common::stack("mail_send_card") else {
        return;
    };
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).unwrap();
    // The previous test of the slot group may have just pulled its card:
    // pcscd polls presence every 400 ms, let it see the reader empty first
    // (else it reports that removal in the middle of our first command).
    std::thread::sleep(std::time::Duration::from_secs(2));
    let card = VpcdCard::insert(&vpcd, Simulator::new(&pki, CardKind::Cps3Contact, "1234"))
        .expect("card inserted");
    // The settings (account, password file) of the in-process helper.
    let settings = Profile::new(&stack, "ALICE_USER");
    let config = settings.root.join("config.toml");
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = cachet(dir.path(), &config, &["profile", "create"], "");
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = cachet(
        dir.path(),
        &config,
        &[
            "send",
            "--to",
            &stack.get("BOB_USER"),
            "--subject",
            &format!("Par la carte {}", now()),
            "--outside-trust-space",
        ],
        "Envoyé par le binaire.\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let id = message_id_in(&out);
    let raw = block_on(wait_delivered(&stack, "BOB_USER", &id));
    assert_eq!(raw.len(), 1);
    assert!(String::from_utf8_lossy(&raw[0]).contains("Envoy"));
    let (code, out, err) = cachet(dir.path(), &config, &["outbox", "--sent", "--json"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&id), "{out}");
    let (code, _, err) = cachet(dir.path(), &config, &["audit", "verify"], "");
    assert_eq!(code, 0, "{err}");
    card.remove().unwrap();
    // pcscd polls presence every 400 ms: let it see the reader empty before
    // the next test of the slot group inserts its card.
    std::thread::sleep(std::time::Duration::from_secs(2));
}
