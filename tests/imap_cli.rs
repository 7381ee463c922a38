//! `cachet imap` subcommands against the real Dovecot, through the settings file format.
// helpers outside #[test] functions panic on a broken setup, like the tests themselves
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cachet::cli::exit;
use cachet::cli::imap::{ImapCommand, run};
use cachet::config::Settings;

fn settings(stack: &common::Stack, port_key: &str, tls: &str) -> Settings {
    let text = format!(
        "[trust]\nanchors = [\"{ca}\"]\n[[account]]\nname = \"test\"\naddress = \"{user}\"\n[account.imap]\nhost = \"{host}\"\nport = {port}\ntls = \"{tls}\"\nauth = \"password\"\nuser = \"{user}\"\npassword_command = \"echo {pw}\"\n",
        ca = stack.get("CA_CERT"),
        user = stack.get("ALICE_USER"),
        host = stack.get("IMAP_HOST"),
        port = stack.port(port_key),
        pw = stack.get("ALICE_PASSWORD"),
    );
    Settings::parse(&text, "config.toml").unwrap()
}

#[test]
fn check_folders_and_sync_succeed_on_the_test_account() {
    let Some(stack) = common::stack("cli_imap") else {
        return;
    };
    let s = settings(&stack, "IMAPS_PORT", "implicit");
    assert_eq!(
        run(
            ImapCommand::Check {
                account: None,
                json: true
            },
            &s,
            None
        )
        .unwrap(),
        exit::OK
    );
    assert_eq!(
        run(
            ImapCommand::Folders {
                account: Some("test".into()),
                json: true
            },
            &s,
            None
        )
        .unwrap(),
        exit::OK
    );
    let sync = ImapCommand::Sync {
        folder: "Drafts".into(),
        account: None,
        batch_size: 50,
        json: true,
    };
    assert_eq!(run(sync, &s, None).unwrap(), exit::OK);
}

#[test]
fn a_port_without_starttls_exits_with_the_network_code() {
    let Some(stack) = common::stack("cli_nostarttls") else {
        return;
    };
    let s = settings(&stack, "IMAP_NOSTARTTLS_PORT", "starttls");
    let e = run(
        ImapCommand::Check {
            account: None,
            json: false,
        },
        &s,
        None,
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), exit::NETWORK);
    assert!(e.to_string().contains("STARTTLS"));
}
