//! The bar of the mailbox issue through the real binary in a real terminal
//! (tmux), on a real account: the simulated CPS card in the vpcd reader
//! behind the real pcscd, Dovecot's client-certificate port.
//!
//! `cachet` starts at the login screen, the PIN opens the holder's new
//! profile and the account's service syncs INBOX, where this test APPENDed
//! two messages with a unique word in their subjects; the first is opened
//! online. Then the settings point at a closed port (the server "goes
//! away"; the shared one keeps running): started again, the first message
//! and its body come from the encrypted cache, the status bar says
//! offline, and the second is marked read with the keymap (queued). Back on
//! the real port, the queued \Seen reaches the server; the lock stops the
//! account and the PIN starts it again; new mail APPENDed meanwhile shows
//! up; a message composed in the TUI leaves through Postfix, reaches bob and
//! is filed in Sent.
//!
//! Run under `flock /tmp/cachet-vpcd.lock` (one virtual reader slot).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
mod imap_common;

use std::process::Command;
use std::time::{Duration, Instant};

use cachet::card::CardKind;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use cachet::mail::imap::types::Flags;
use imap_common::*;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }
    /// Waits (bounded, generously: a first sync of a shared INBOX) until
    /// the screen contains every needle.
    fn wait_for_all(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needles:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    fn wait_for(&self, needle: &str) -> String {
        self.wait_for_all(&[needle])
    }
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "t", key]);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn kill(&self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tmux_available() -> bool {
    if Command::new("tmux").arg("-V").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("CACHET_REQUIRE_STACK").is_err(),
        "tmux is required by the test command"
    );
    eprintln!("skipped: tmux is not installed");
    false
}

/// The card user's account (IMAP with the card, on `port`); it sends as
/// alice through the submission port (alice's password in a file).
fn write_config(stack: &common::Stack, path: &std::path::Path, port: u16) {
    let password = path.with_file_name("password");
    std::fs::write(&password, stack.get("ALICE_PASSWORD")).unwrap();
    let text = format!(
        "[trust]\nanchors = [\"{ca}\"]\n[[account]]\nname = \"mss\"\naddress = \"{alice}\"\n[account.imap]\nhost = \"{host}\"\nport = {port}\ntls = \"implicit\"\nauth = \"card\"\nuser = \"{user}\"\n\
         [account.smtp]\nhost = \"{smtp_host}\"\nport = {smtp_port}\ntls = \"starttls\"\nauth = \"password\"\nuser = \"{alice}\"\npassword_command = \"cat '{pw}'\"\n",
        ca = stack.get("CA_CERT"),
        user = stack.get("CARD_USER"),
        alice = stack.get("ALICE_USER"),
        host = stack.get("IMAP_HOST"),
        smtp_host = stack
            .get_opt("SMTP_HOST")
            .unwrap_or_else(|| stack.get("IMAP_HOST")),
        smtp_port = stack.port("SMTP_SUBMISSION_PORT"),
        pw = password.display(),
    );
    std::fs::write(path, text).unwrap();
}

/// Starts `cachet` (the TUI) at 120x32 in English, waits for the login
/// screen and enters the simulated card's PIN.
fn start(run: usize, dir: &std::path::Path) -> Tmux {
    let tmux = Tmux {
        socket: format!("cachet-accounts-{}-{run}", std::process::id()),
    };
    let command = format!(
        "env HOME={d} XDG_CONFIG_HOME={d}/c XDG_STATE_HOME={d}/s LANG=en_US.UTF-8 TERM=xterm-256color {bin} --config {d}/config.toml --profile-dir {d}/profiles --lang en; echo CACHET-EXIT=$?; sleep 60",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_cachet"),
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "32",
        &command,
    ]);
    tmux.wait_for("PIN");
    tmux.keys(&["1", "2", "3", "4", "Enter"]);
    tmux
}

/// Searches the open folder for one word until it finds one message (the
/// first sync of a shared INBOX may not have reached it yet).
fn search(tmux: &Tmux, word: &str) -> String {
    let found = format!("\"{word}\": 1");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        tmux.keys(&["/"]);
        tmux.run(&["send-keys", "-t", "t", "-l", word]);
        tmux.keys(&["Enter"]);
        let attempt = Instant::now() + Duration::from_secs(3);
        while Instant::now() < attempt {
            let screen = tmux.screen();
            if screen.contains(&found) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            Instant::now() < deadline,
            "{word} never found; screen:\n{}",
            tmux.screen()
        );
        tmux.keys(&["Escape"]);
    }
}

fn quit(tmux: &Tmux) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !tmux.screen().contains("CACHET-EXIT=") {
        assert!(Instant::now() < deadline, "cachet did not quit");
        tmux.keys(&["Escape", "q"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    let screen = tmux.screen();
    assert!(screen.contains("CACHET-EXIT=0"), "{screen}");
    tmux.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_on_a_real_account_online_offline_and_back() {
    let Some(stack) = common::stack("tui_accounts") else {
        return;
    };
    if !tmux_available() {
        return;
    }
    // The card user's mailbox is alice's (see tests/stack/start-dovecot.sh).
    let token = format!("{:08x}", fastrand::u32(..));
    let (first, second) = (format!("zqa{token}"), format!("zqb{token}"));
    let mut alice_conn = login(&stack, &alice(&stack)).await;
    for subject in [&first, &second] {
        alice_conn
            .append(
                "INBOX",
                &Flags::default(),
                &message(&format!("tui bar {subject}"), &format!("{subject}@x")),
            )
            .await
            .unwrap();
    }
    let uid_of = async |conn: &mut cachet::mail::imap::ImapConn, word: &str| {
        conn.select("INBOX", true, None).await.unwrap();
        let found = conn.uid_search(&format!("SUBJECT {word}")).await.unwrap();
        assert_eq!(found.len(), 1, "{word}");
        found[0]
    };
    let second_uid = uid_of(&mut alice_conn, &second).await;

    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).expect("test PKI");
    // The previous test of the slot group may have just pulled its card:
    // pcscd polls presence every 400 ms, let it see the reader empty first.
    std::thread::sleep(Duration::from_secs(2));
    let card = VpcdCard::insert(&vpcd, Simulator::new(&pki, CardKind::Cps3Contact, "1234"))
        .expect("inserted");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let port = stack.port("IMAPS_CERT_PORT");
    write_config(&stack, &config, port);

    // Online: the PIN opens a new profile, INBOX syncs, the message opens.
    let tmux = start(1, dir.path());
    let screen = tmux.wait_for_all(&["Inbox", "online"]);
    let first_folder = screen
        .lines()
        .skip_while(|l| !l.contains("Folders"))
        .nth(1)
        .unwrap_or_default();
    assert!(first_folder.contains("Inbox"), "Inbox on top:\n{screen}");
    search(&tmux, &first);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("body of tui bar {first}"));
    quit(&tmux);

    // Offline: the cache answers, the status bar says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    write_config(&stack, &config, closed);
    let tmux = start(2, dir.path());
    tmux.wait_for_all(&["Inbox", "offline"]);
    search(&tmux, &first);
    tmux.keys(&["Enter"]);
    let reading = tmux.wait_for(&format!("body of tui bar {first}"));
    assert!(reading.contains("offline"), "{reading}");
    // Back to the list, out of the search.
    tmux.keys(&["q", "Escape"]);
    search(&tmux, &second);
    tmux.keys(&["N"]);
    tmux.wait_for("Marked as read.");
    quit(&tmux);
    alice_conn.select("INBOX", true, None).await.unwrap();
    let flags = alice_conn
        .fetch_flags(&second_uid.to_string(), None)
        .await
        .unwrap();
    assert!(
        !flags[0].flags.contains(Flags::SEEN),
        "offline, nothing reached the server"
    );

    // Back online: the queued \Seen reaches the server.
    write_config(&stack, &config, port);
    let tmux = start(3, dir.path());
    tmux.wait_for_all(&["Inbox", "online"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        alice_conn.select("INBOX", true, None).await.unwrap();
        let flags = alice_conn
            .fetch_flags(&second_uid.to_string(), None)
            .await
            .unwrap();
        if flags[0].flags.contains(Flags::SEEN) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the queued \\Seen did not reach the server"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The lock stops the account with the key; the PIN starts it again.
    tmux.keys(&["C-l"]);
    tmux.wait_for("PIN");
    tmux.keys(&["1", "2", "3", "4", "Enter"]);
    tmux.wait_for_all(&["Inbox", "online"]);

    // New mail while the session runs reaches the cache and the screens
    // (IDLE on INBOX, then a sync of it).
    let third = format!("zqd{token}");
    alice_conn
        .append(
            "INBOX",
            &Flags::default(),
            &message(&format!("tui bar {third}"), &format!("{third}@x")),
        )
        .await
        .unwrap();
    search(&tmux, &third);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("body of tui bar {third}"));
    tmux.keys(&["q", "Escape"]);

    // A message composed here leaves through Postfix and reaches bob.
    let subject = format!("tui send zqc{token}");
    tmux.keys(&["m"]);
    tmux.run(&["send-keys", "-t", "t", "-l", &stack.get("BOB_USER")]);
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", &subject]);
    tmux.keys(&["Tab", "Tab"]);
    tmux.run(&["send-keys", "-t", "t", "-l", "Sent from the TUI."]);
    tmux.keys(&["C-s"]);
    // example.test is outside the trust space (no directory): send anyway.
    tmux.wait_for("2 send anyway");
    tmux.keys(&["2"]);
    let mut bob_conn = login(&stack, &bob(&stack)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        bob_conn.select("INBOX", true, None).await.unwrap();
        let found = bob_conn
            .uid_search(&format!("SUBJECT zqc{token}"))
            .await
            .unwrap();
        if found.len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the message sent from the TUI did not reach bob; screen:\n{}",
            tmux.screen()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Its copy is filed in the account's Sent folder (the card user's is alice's).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        alice_conn.select("Sent", true, None).await.unwrap();
        let found = alice_conn
            .uid_search(&format!("SUBJECT zqc{token}"))
            .await
            .unwrap();
        if found.len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sent copy was not filed; screen:\n{}",
            tmux.screen()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    quit(&tmux);
    card.remove().unwrap();
    // pcscd polls presence every 400 ms: let it see the reader empty before
    // the next test of the slot group inserts its card.
    std::thread::sleep(Duration::from_secs(2));
}
