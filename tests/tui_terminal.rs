//! The real binary in a real terminal (tmux): the bar of the shell issue.
//! `cachet demo` at 100x30, j/k/Enter open a message, `?` shows help, `q`
//! quits and the terminal is restored. Needs tmux (installed by the test
//! command); skipped with a message when it is missing and not required.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

use std::process::Command;
use std::time::{Duration, Instant};

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
    /// Waits (bounded) until the screen contains `needle`.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "t", key]);
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
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

/// Starts `cachet demo` in a fresh 100x30 tmux with a private HOME.
fn start_demo(name: &str, home: &std::path::Path) -> Tmux {
    let tmux = Tmux {
        socket: format!("cachet-{name}-{}", std::process::id()),
    };
    let binary = env!("CARGO_BIN_EXE_cachet");
    let command = format!(
        "env HOME={home} XDG_CONFIG_HOME={home}/c XDG_STATE_HOME={home}/s LANG=fr_FR.UTF-8 TERM=xterm-256color {binary} demo; echo CACHET-EXIT=$?; sleep 60",
        home = home.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    tmux
}

#[test]
fn a_broken_user_keymap_is_a_notification_not_a_crash() {
    if !tmux_available() {
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join("c/cachet")).expect("mkdir");
    std::fs::write(
        home.path().join("c/cachet/keymap.toml"),
        "[global]\n\"x\" = \"app.quit\"\n\"y\" = [oops\n",
    )
    .expect("write");
    let tmux = start_demo("keymap", home.path());
    let screen = tmux.wait_for("ligne 3");
    assert!(
        screen.contains("keymap.toml"),
        "the notification names the file:\n{screen}"
    );
    tmux.keys(&["x", "j", "q"]);
    tmux.wait_for("CACHET-EXIT=0");
}

#[test]
fn demo_in_a_real_terminal() {
    if !tmux_available() {
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let tmux = start_demo("demo", home.path());

    let screen = tmux.wait_for("Boîte de réception");
    let total: usize = screen
        .split("non lus / ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(total >= 200, "the mailbox shows its messages:\n{screen}");

    tmux.keys(&["j", "j", "k", "Enter"]);
    let screen = tmux.wait_for("Objet");
    assert!(
        screen.contains("De ") && screen.contains("Date"),
        "{screen}"
    );

    tmux.keys(&["q", "?"]);
    tmux.wait_for("Raccourcis clavier");
    tmux.keys(&["q", "q"]);
    let screen = tmux.wait_for("CACHET-EXIT=0");
    assert!(
        !screen.contains("Boîte de réception"),
        "the alternate screen is gone:\n{screen}"
    );
    let mode = tmux.run(&["display", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(mode.trim(), "0", "the terminal left the alternate screen");
}

#[test]
fn pulling_the_simulated_card_locks_and_the_pin_resumes() {
    if !tmux_available() {
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let tmux = start_demo("card", home.path());
    tmux.wait_for("Boîte de réception");
    tmux.keys(&["j", "Enter"]);
    let reading = tmux.wait_for("Objet");
    let subject_line = reading
        .lines()
        .find(|l| l.contains("Objet"))
        .unwrap_or("")
        .to_string();

    tmux.keys(&["F12"]);
    let locked = tmux.wait_for("Session verrouillée");
    assert!(
        !locked.contains(subject_line.trim_matches('│').trim()),
        "patient data left the screen:\n{locked}"
    );
    tmux.keys(&["F12"]);
    tmux.wait_for("Titulaire");
    tmux.keys(&["1", "2", "3", "4", "Enter"]);
    let resumed = tmux.wait_for("Objet");
    assert!(
        resumed.contains(subject_line.trim_matches('│').trim()),
        "back on the same message:\n{resumed}"
    );
    // The audit trail of the demo's encrypted profile shows what just happened.
    tmux.keys(&["q", "g", "a"]);
    let trail = tmux.wait_for("unlock");
    for action in ["login", "read", "lock"] {
        assert!(trail.contains(action), "{action} is in the trail:\n{trail}");
    }
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    tmux.wait_for("CACHET-EXIT=0");
}
