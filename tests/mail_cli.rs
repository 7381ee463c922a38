//! `cachet message …` commands on generated message files.

use std::io::Write;
use std::path::PathBuf;

use cachet::cli::message::{CliError, MessageCommand, run};
use cachet::domain::envelope::Envelope;
use cachet::mail::render::Labels;

fn write_messages(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    let messages: [&[u8]; 3] = [
        b"From: =?UTF-8?Q?Dr_=C3=89mile?= <e@example.test>\r\nTo: b@example.test\r\n\
          Subject: Bilan \x1b[31mrouge\r\nMessage-ID: <a@example.test>\r\n\
          Date: Sat, 31 Jan 2026 15:05:00 +0100\r\n\r\nCompte rendu du bilan.\r\n",
        b"From: b@example.test\r\nTo: e@example.test\r\nSubject: Re: Bilan\r\n\
          Message-ID: <b@example.test>\r\nIn-Reply-To: <a@example.test>\r\n\
          Date: Sun, 01 Feb 2026 09:00:00 +0100\r\n\r\n> Compte rendu du bilan.\r\nMerci.\r\n",
        b"From: labo@example.test\r\nSubject: Autre\r\nMessage-ID: <c@example.test>\r\n\
          Date: Fri, 30 Jan 2026 09:00:00 +0100\r\n\r\nGlyc\xc3\xa9mie.\r\n",
    ];
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let path = dir.path().join(format!("{i}.eml"));
            std::fs::File::create(&path)
                .and_then(|mut f| f.write_all(m))
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            path
        })
        .collect()
}

fn output(command: MessageCommand) -> Result<String, CliError> {
    let mut out = Vec::new();
    run(command, Labels::FRENCH, &mut out)?;
    Ok(String::from_utf8(out).unwrap_or_else(|e| panic!("output is not UTF-8: {e}")))
}

#[test]
fn show_renders_safely() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_messages(&dir);
    let text = output(MessageCommand::Show {
        file: files[0].clone(),
        full_headers: false,
        html: false,
        width: 80,
    })
    .unwrap();
    assert!(text.contains("De : Dr Émile <e@example.test>"), "{text}");
    assert!(text.contains("Compte rendu du bilan."), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn envelope_json_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_messages(&dir);
    let json = output(MessageCommand::Envelope {
        files: files.clone(),
        json: true,
    })
    .unwrap();
    let envs: Vec<Envelope> = serde_json::from_str(&json).unwrap();
    assert_eq!(envs.len(), 3);
    assert_eq!(envs[1].in_reply_to.as_deref(), Some("a@example.test"));
    let text = output(MessageCommand::Envelope { files, json: false }).unwrap();
    assert!(!text.contains('\u{1b}'));
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn thread_and_search_commands() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_messages(&dir);
    let text = output(MessageCommand::Thread {
        files: files.clone(),
        by_subject: false,
        json: false,
    })
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("Bilan"), "{text}");
    assert!(
        lines[1].starts_with("└─>") && lines[1].contains("Re: Bilan"),
        "{text}"
    );
    assert!(lines[2].contains("Autre"), "{text}");

    let hits = output(MessageCommand::Search {
        query: "\"compte rendu\" -from:labo".into(),
        files: files.clone(),
        json: true,
    })
    .unwrap();
    let hits: Vec<PathBuf> = serde_json::from_str(&hits).unwrap();
    assert_eq!(hits, [files[0].clone(), files[1].clone()]);

    let err = output(MessageCommand::Search {
        query: "date:hier".into(),
        files,
        json: false,
    })
    .unwrap_err();
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn missing_file_is_a_clear_error() {
    let err = output(MessageCommand::Show {
        file: PathBuf::from("/nonexistent/x.eml"),
        full_headers: false,
        html: false,
        width: 80,
    })
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.eml"));
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn bench_reports_every_stage() {
    let text = output(MessageCommand::Bench {
        envelopes: 2_000,
        messages: 200,
    })
    .unwrap();
    for stage in ["parse", "render", "index", "thread"] {
        assert!(text.lines().any(|l| l.starts_with(stage)), "{text}");
    }
    assert!(text.contains("2000 envelopes"), "{text}");
}
