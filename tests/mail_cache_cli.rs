//! The bar, through the `cachet` binary as a new user would run it:
//! the simulated CPS card in the vpcd reader behind the real pcscd opens the
//! profile and logs in to Dovecot's client-certificate port; `sync` caches
//! INBOX and a folder of this test; the server "goes away" (the settings
//! point at a closed port, the shared server keeps running for others);
//! `list` and `read` still work from the cache, marked offline; reading an
//! unread message offline queues the \Seen flag; the server "comes back" and
//! the next `sync` puts the flag on the server.
//!
//! Run under `flock /tmp/cachet-vpcd.lock` (one virtual reader slot).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
mod imap_common;

use std::io::Write;
use std::process::{Command, Stdio};

use cachet::card::CardKind;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use cachet::mail::imap::types::Flags;
use imap_common::*;

struct Env {
    config: std::path::PathBuf,
    profiles: std::path::PathBuf,
}

fn cachet(env: &Env, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cachet"))
        .arg("--config")
        .arg(&env.config)
        .arg("--profile-dir")
        .arg(&env.profiles)
        .args(["--pin-fd", "0", "--lang", "en"])
        .args(args)
        .env("XDG_STATE_HOME", env.profiles.join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cachet runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"1234\n")
        .expect("pin written");
    let out = child.wait_with_output().expect("cachet ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_config(stack: &common::Stack, path: &std::path::Path, port: u16) {
    let text = format!(
        "[trust]\nanchors = [\"{ca}\"]\n[[account]]\nname = \"mss\"\naddress = \"{user}@example.test\"\n[account.imap]\nhost = \"{host}\"\nport = {port}\ntls = \"implicit\"\nauth = \"card\"\nuser = \"{user}\"\n",
        ca = stack.get("CA_CERT"),
        user = stack.get("CARD_USER"),
        host = stack.get("IMAP_HOST"),
    );
    std::fs::write(path, text).unwrap();
}

fn listing(env: &Env, folder: &str) -> serde_json::Value {
    let (code, out, err) = cachet(env, &["list", "--folder", folder, "--json"]);
    assert_eq!(code, 0, "list {folder}: {out}\n{err}");
    serde_json::from_str(&out).unwrap()
}

fn uid_of(list: &serde_json::Value, subject: &str) -> u32 {
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == subject)
        .unwrap_or_else(|| panic!("{subject} not listed: {list}"))["uid"]
        .as_u64()
        .unwrap() as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_card_login_offline_reading_and_queued_flag() {
    let Some(stack) = common::stack("mail_cache_bar") else {
        return;
    };
    // The card user's mailbox is alice's (see tests/stack/start-dovecot.sh):
    // this test's messages go to a folder of its own.
    let mut alice_conn = login(&stack, &alice(&stack)).await;
    let folder = unique_folder("CacheBar");
    alice_conn.create_folder(&folder).await.unwrap();
    alice_conn
        .append(
            &folder,
            &Flags::of([Flags::SEEN]),
            &message("read online first", "bar1@x"),
        )
        .await
        .unwrap();
    alice_conn
        .append(
            &folder,
            &Flags::default(),
            &message("read offline later", "bar2@x"),
        )
        .await
        .unwrap();

    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).expect("test PKI");
    // The previous test of the slot group may have just pulled its card: pcscd polls
    // presence every 400 ms, let it see the reader empty first.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let card = VpcdCard::insert(&vpcd, Simulator::new(&pki, CardKind::Cps3Contact, "1234"))
        .expect("inserted");
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        config: dir.path().join("config.toml"),
        profiles: dir.path().join("profiles"),
    };
    let port = stack.port("IMAPS_CERT_PORT");
    write_config(&stack, &env.config, port);

    // online: card login, INBOX and our folder synced into the new profile
    let (code, out, err) = cachet(&env, &["sync", "--folder", "INBOX", "--folder", &folder]);
    assert_eq!(code, 0, "sync: {out}\n{err}");
    assert!(out.contains(&format!("mss/{folder}: 2 new")), "{out}");
    let inbox = listing(&env, "INBOX");
    assert_eq!(inbox["folder"], "INBOX");
    assert_eq!(inbox["offline"], false);
    let list = listing(&env, &folder);
    assert_eq!(list["total"], 2);
    let first = uid_of(&list, "read online first");
    let second = uid_of(&list, "read offline later");
    let (code, out, err) = cachet(&env, &["read", &first.to_string(), "--folder", &folder]);
    assert_eq!(code, 0, "read: {err}");
    assert!(out.contains("body of read online first"), "{out}");

    // the server goes away: sync says offline, the cache stays readable
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write_config(&stack, &env.config, closed);
    let (code, _, err) = cachet(&env, &["sync", "--folder", &folder]);
    assert_eq!(code, 4, "offline is a network exit code: {err}");
    assert!(err.contains("offline"), "{err}");
    let list = listing(&env, &folder);
    assert_eq!(list["offline"], true);
    assert_eq!(list["total"], 2);
    let (code, out, err) = cachet(&env, &["list", "--folder", &folder]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OFFLINE"), "{out}");
    assert!(out.contains("read offline later"), "{out}");
    let (code, out, err) = cachet(&env, &["read", &first.to_string(), "--folder", &folder]);
    assert_eq!(code, 0, "read offline: {err}");
    assert!(out.contains("body of read online first"));
    // reading the unread message offline marks it read, queued
    let (code, out, err) = cachet(
        &env,
        &["read", &second.to_string(), "--folder", &folder, "--json"],
    );
    assert_eq!(code, 0, "read offline: {err}");
    let read: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        read["text"]
            .as_str()
            .unwrap()
            .contains("body of read offline later")
    );
    let list = listing(&env, &folder);
    let row = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["uid"] == second)
        .unwrap()
        .clone();
    assert_eq!(row["flags"]["seen"], true, "{row}");
    alice_conn.select(&folder, true, None).await.unwrap();
    let on_server = alice_conn
        .fetch_flags(&second.to_string(), None)
        .await
        .unwrap();
    assert!(!on_server[0].flags.contains(Flags::SEEN));

    // the server is back: the queued flag reaches it
    write_config(&stack, &env.config, port);
    let (code, out, err) = cachet(&env, &["sync", "--folder", &folder]);
    assert_eq!(code, 0, "sync again: {out}\n{err}");
    alice_conn.select(&folder, true, None).await.unwrap();
    let on_server = alice_conn
        .fetch_flags(&second.to_string(), None)
        .await
        .unwrap();
    assert!(on_server[0].flags.contains(Flags::SEEN));
    let list = listing(&env, &folder);
    assert_eq!(list["offline"], false);
    assert_eq!(list["unread"], 0);

    // search works offline from the cache too
    write_config(&stack, &env.config, closed);
    let (code, out, err) = cachet(&env, &["search", "subject:offline", "--json"]);
    assert_eq!(code, 0, "search: {err}");
    let hits: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["uid"] == second && h["folder"] == folder.as_str()),
        "{hits}"
    );
    // every server action and every message opened is in the audit trail
    let (code, out, err) = cachet(&env, &["audit", "export"]);
    assert_eq!(code, 0, "audit export: {err}");
    let actions: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |action: &str, needle: &str| {
        actions
            .iter()
            .filter(|a| a["action"] == action && a.to_string().contains(needle))
            .count()
    };
    assert!(count("login", "IMAP LOGIN") >= 2, "{out}");
    assert!(count("read", "from the cache") >= 3, "{out}");
    assert!(count("sync", "+FLAGS (\\\\Seen)") >= 1, "{out}");
    assert!(!out.contains(&folder), "no folder name in the trail");
    let (code, _, err) = cachet(&env, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {err}");
    drop(card);
    // let pcscd see the reader empty before the next test of the slot group
    std::thread::sleep(std::time::Duration::from_secs(2));
    alice_conn.delete_folder(&folder).await.unwrap();
}
