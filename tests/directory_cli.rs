//! The `directory` subcommands driven through their clap types: generate,
//! import, stats, search, and the errors a user can meet.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use clap::Parser;

use cachet::cli::directory::{DirectoryCommand, DirectoryContext, run};
use cachet::directory::{Error, Index, Query};
use cachet::error::{ErrorKind, HasKind};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: DirectoryCommand,
}

fn cmd(args: &[&str]) -> DirectoryCommand {
    Cli::try_parse_from(std::iter::once("directory").chain(args.iter().copied()))
        .unwrap()
        .cmd
}

#[test]
fn generate_import_stats_search_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = DirectoryContext::for_profile(dir.path(), None);
    let out = dir.path().join("gen");
    let out_s = out.to_str().unwrap();
    assert_eq!(
        run(
            cmd(&["generate", "--rows", "300", "--out", out_s, "--seed", "9"]),
            &ctx
        )
        .unwrap(),
        0
    );
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    assert_eq!(files.len(), 2);
    let mut import = vec!["import"];
    import.extend(files.iter().map(String::as_str));
    assert_eq!(run(cmd(&import), &ctx).unwrap(), 0);
    assert_eq!(run(cmd(&["stats", "--json"]), &ctx).unwrap(), 0);
    assert_eq!(
        run(
            cmd(&[
                "search",
                "ma",
                "--profession",
                "10",
                "--dept",
                "75",
                "--json"
            ]),
            &ctx
        )
        .unwrap(),
        0
    );
    // The command wrote the index where the profile says.
    let ix = Index::open(&dir.path().join("directory")).unwrap();
    assert!(ix.stats().activities >= 300);
    assert!(!ix.search(&Query::text("a")).unwrap().is_empty());
}

#[test]
fn errors_have_kinds_for_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = DirectoryContext::for_profile(dir.path(), None);
    let err = run(cmd(&["search", "martin"]), &ctx).unwrap_err();
    assert!(matches!(err, Error::NoIndex(_)));
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("cachet directory import"), "{err}");

    let err = run(cmd(&["search", "martin", "--online"]), &ctx).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");

    let missing = dir.path().join("nope.txt");
    let err = run(cmd(&["import", missing.to_str().unwrap()]), &ctx).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        Cli::try_parse_from(["directory", "import"]).is_err(),
        "a file is required"
    );
}
