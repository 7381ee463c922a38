//! The store, profile and audit subcommands driven like `main` will drive
//! them, with software cards behind the `CardProvider` seam.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};

use cachet::cli::audit::{AuditCmd, parse_date};
use cachet::cli::store::{
    CardProvider, CardRole, Error, ProfileCmd, StoreCmd, StoreContext, run_profile, run_store,
};
use cachet::error::{ErrorKind, HasKind};
use cachet::store::{FolderRef, KeyUnwrapper, Profiles, SoftwareUnwrapper, Tree};
use clap::Parser;

const HOLDER: &str = "810100000017";

struct Cards(Mutex<HashMap<&'static str, Arc<SoftwareUnwrapper>>>);

impl Cards {
    fn new(current: &Arc<SoftwareUnwrapper>) -> Self {
        let mut m = HashMap::new();
        m.insert("current", current.clone());
        Cards(Mutex::new(m))
    }

    fn set(&self, role: &'static str, c: &Arc<SoftwareUnwrapper>) {
        self.0.lock().unwrap().insert(role, c.clone());
    }
}

impl CardProvider for Cards {
    fn card(&self, role: CardRole) -> Result<Box<dyn KeyUnwrapper>, cachet::store::Error> {
        let name = match role {
            CardRole::Current => "current",
            CardRole::Old => "old",
            CardRole::New => "new",
        };
        let c = self
            .0
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .ok_or(cachet::store::Error::Card {
                reason: format!("no {name} card"),
            })?;
        Ok(Box::new(c))
    }
}

fn text(buf: Vec<u8>) -> String {
    String::from_utf8(buf).unwrap()
}

#[derive(Parser)]
struct TestCli {
    #[command(subcommand)]
    cmd: AuditCmd,
}

#[test]
fn create_verify_tamper_and_audit_commands() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = StoreContext {
        profiles_root: dir.path().to_path_buf(),
    };
    let card = Arc::new(SoftwareUnwrapper::generate(HOLDER).unwrap());
    let cards = Cards::new(&card);

    let mut out = Vec::new();
    let create = ProfileCmd::Create {
        no_recovery_code: false,
    };
    assert_eq!(run_profile(&create, &ctx, &cards, &mut out).unwrap(), 0);
    let printed = text(out);
    let code_line = printed
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 35 && l.matches('-').count() == 5);
    assert!(code_line.is_some(), "no recovery code in: {printed}");

    {
        let store = Profiles::new(dir.path()).open(card.as_ref()).unwrap();
        let f = FolderRef {
            account: "a@x",
            folder: "INBOX",
        };
        store.put_envelope(f, 1, Some("<m@x>"), &"s").unwrap();
        store.put_body(f, 1, b"b").unwrap();
    }

    let mut out = Vec::new();
    assert_eq!(
        run_store(&StoreCmd::Verify { json: true }, &ctx, &cards, &mut out).unwrap(),
        0
    );
    let v: serde_json::Value = serde_json::from_str(&text(out)).unwrap();
    assert_eq!(v["store"]["problem_count"], 0);
    assert_eq!(v["store"]["per_tree"]["envelopes"], 1);
    assert!(v["audit"]["fault"].is_null());

    // Audit: verify, then export (which is itself traced).
    let cli =
        TestCli::try_parse_from(["t", "export", "--since", "2020-01-01", "--format", "jsonl"])
            .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        cachet::cli::audit::run(&cli.cmd, &ctx, &cards, &mut out).unwrap(),
        0
    );
    let lines: Vec<serde_json::Value> = text(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["profile_create", "export"]);
    let mut out = Vec::new();
    assert_eq!(
        cachet::cli::audit::run(&AuditCmd::Verify { json: false }, &ctx, &cards, &mut out).unwrap(),
        0
    );
    assert!(text(out).contains("intact: 2 entries"));
    // Nothing is old enough to prune; a zero-day retention prunes both.
    let mut out = Vec::new();
    let prune = TestCli::try_parse_from(["t", "prune"]).unwrap();
    cachet::cli::audit::run(&prune.cmd, &ctx, &cards, &mut out).unwrap();
    assert!(text(out).starts_with("0 entries"));
    let mut out = Vec::new();
    let prune = TestCli::try_parse_from(["t", "prune", "--retention-days", "0"]).unwrap();
    cachet::cli::audit::run(&prune.cmd, &ctx, &cards, &mut out).unwrap();
    assert!(text(out).starts_with("2 entries"), "pruned");
    let mut out = Vec::new();
    assert_eq!(
        cachet::cli::audit::run(&AuditCmd::Verify { json: false }, &ctx, &cards, &mut out).unwrap(),
        0
    );
    assert!(text(out).contains("intact: 1 entries (pruned up to 2)"));

    // Tamper with one value: verify fails with an integrity error.
    {
        let db = sled::open(
            Profiles::new(dir.path())
                .profile_dir(HOLDER)
                .unwrap()
                .join("db"),
        )
        .unwrap();
        let (k, v) = db
            .iter()
            .map(|r| r.unwrap())
            .find(|(k, _)| k[0] == Tree::Bodies as u8)
            .unwrap();
        let mut bad = v.to_vec();
        bad[30] ^= 4;
        db.insert(k, bad).unwrap();
        db.flush().unwrap();
    }
    let mut out = Vec::new();
    let err = run_store(&StoreCmd::Verify { json: false }, &ctx, &cards, &mut out).unwrap_err();
    assert!(
        matches!(err, Error::VerifyFailed { problems: 1 }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(text(out).contains("problem in bodies"));
}

#[test]
fn rewrap_and_recover_commands_move_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = StoreContext {
        profiles_root: dir.path().to_path_buf(),
    };
    let first = Arc::new(SoftwareUnwrapper::generate(HOLDER).unwrap());
    let cards = Cards::new(&first);
    let mut out = Vec::new();
    run_profile(
        &ProfileCmd::Create {
            no_recovery_code: false,
        },
        &ctx,
        &cards,
        &mut out,
    )
    .unwrap();
    let printed = text(out);
    let code = printed
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 35 && l.matches('-').count() == 5)
        .unwrap()
        .to_string();

    // Renewal: old -> second.
    let second = Arc::new(SoftwareUnwrapper::generate(HOLDER).unwrap());
    cards.set("old", &first);
    cards.set("new", &second);
    run_profile(&ProfileCmd::Rewrap, &ctx, &cards, &mut Vec::new()).unwrap();
    assert!(Profiles::new(dir.path()).open(first.as_ref()).is_err());
    assert!(Profiles::new(dir.path()).open(second.as_ref()).is_ok());

    // Loss of the second card: recover to a third with the code from a fd.
    let third = Arc::new(SoftwareUnwrapper::generate(HOLDER).unwrap());
    cards.set("new", &third);
    let code_file = dir.path().join("code.txt");
    std::fs::write(&code_file, format!("{}\n", code.to_lowercase())).unwrap();
    let f = std::fs::File::open(&code_file).unwrap();
    let cmd = ProfileCmd::Recover {
        code_fd: Some(u32::try_from(f.as_raw_fd()).unwrap()),
    };
    run_profile(&cmd, &ctx, &cards, &mut Vec::new()).unwrap();
    drop(f);
    let store = Profiles::new(dir.path()).open(third.as_ref()).unwrap();
    let trail = cachet::audit::query(
        &store,
        &cachet::audit::AuditQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let actions: Vec<_> = trail.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["profile_recover", "profile_rewrap", "profile_create"]
    );

    // A wrong code is refused with an authentication error.
    std::fs::write(&code_file, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA\n").unwrap();
    let f = std::fs::File::open(&code_file).unwrap();
    let cmd = ProfileCmd::Recover {
        code_fd: Some(u32::try_from(f.as_raw_fd()).unwrap()),
    };
    let err = run_profile(&cmd, &ctx, &cards, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
}

#[test]
fn dates_parse_as_day_or_rfc3339() {
    let d = parse_date("2026-03-01").unwrap();
    assert_eq!(d.unix_timestamp(), 1_772_323_200);
    let t = parse_date("2026-03-01T12:00:00+01:00").unwrap();
    assert_eq!(t.unix_timestamp(), 1_772_362_800);
    assert!(parse_date("01/03/2026").is_err());
    assert!(TestCli::try_parse_from(["t", "export", "--format", "xml"]).is_err());
}
