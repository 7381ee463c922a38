//! Real-world MDNs and DSNs from the shared corpus (ANS MSSanté IG, Direct
//! Project, MimeKit) through `match_report`. The field extraction below is a
//! stand-in for the MIME module's (it reads the machine-readable part as
//! `Name: value` lines); what is under test is the classification.

mod common;

use cachet::mail::mdn::{DsnRecipient, ReportFields, ReportKind, TrackedStatus, match_report};
use mail_parser::{MessageParser, MimeHeaders};

#[allow(clippy::unwrap_used, clippy::expect_used)] // test helper
fn fields(raw: &[u8]) -> ReportFields {
    let msg = MessageParser::default().parse(raw).unwrap();
    let part = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|c| {
                c.ctype().eq_ignore_ascii_case("message")
                    && c.subtype().is_some_and(|s| {
                        s.eq_ignore_ascii_case("disposition-notification")
                            || s.eq_ignore_ascii_case("delivery-status")
                    })
            })
        })
        .expect("a report part");
    let text = String::from_utf8_lossy(
        &raw[part.raw_body_offset() as usize..part.raw_end_offset() as usize],
    )
    .to_string();
    let get = |name: &str| {
        text.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let original_message_id = get("Original-Message-ID").or_else(|| get("X-Original-Message-Id"));
    let kind = match get("Disposition") {
        Some(disposition) => ReportKind::Mdn { disposition },
        None => ReportKind::Dsn {
            recipients: vec![DsnRecipient {
                final_recipient: get("Final-Recipient").unwrap_or_default(),
                action: get("Action").unwrap_or_default(),
                status: get("Status").unwrap_or_default(),
                diagnostic: get("Diagnostic-Code"),
            }],
        },
    };
    ReportFields {
        original_message_id,
        kind,
    }
}

type Expect = fn(&TrackedStatus) -> bool;

#[test]
fn corpus_reports_are_matched_and_classified() {
    // CACHET_CORPUS_DIR lets a worktree outside /work point at the corpus.
    let corpus = common::corpus_dir()
        .or_else(|| std::env::var_os("CACHET_CORPUS_DIR").map(std::path::PathBuf::from));
    let Some(corpus) = corpus else {
        eprintln!("smtp_reports_corpus: skipped, ../shared/corpus is absent");
        return;
    };
    let direct_id = "9501051053.aa04167@IETF.CNR I.Reston.VA.US";
    let cases: [(&str, &str, Expect); 5] = [
        (
            "mime/ans-mssante-ig/mdn_ko_integration_example.eml",
            "20240219230100.23456@chb.mssante.fr",
            |s| matches!(s, TrackedStatus::Failed { reason } if reason.contains("902^Identifiant de patient inconnu")),
        ),
        (
            "mime/directproject-nhin-d/java_direct-common_MDNMessage.eml",
            direct_id,
            |s| *s == TrackedStatus::Delivered,
        ),
        (
            "mime/directproject-nhin-d/java_gateway_MDNDispatchedMessage.eml",
            direct_id,
            |s| *s == TrackedStatus::Delivered,
        ),
        (
            "mime/mimekit/messages_disposition-notification.eml",
            "199509192301.23456@example.org",
            |s| *s == TrackedStatus::Read,
        ),
        (
            "mime/directproject-nhin-d/java_direct-common_DSNMessage.eml",
            direct_id,
            |s| matches!(s, TrackedStatus::Failed { reason } if reason.contains("5.0.0") && reason.contains("no such recipient")),
        ),
    ];
    for (file, sent_id, expected) in cases {
        check_with_the_mime_module(&corpus, file, sent_id, expected);
        let path = corpus.join(file);
        let Ok(raw) = std::fs::read(&path) else {
            eprintln!("smtp_reports_corpus: {file} absent, skipped");
            continue;
        };
        let f = fields(&raw);
        let (id, status) = match_report(["unrelated@example.test", sent_id], &f)
            .unwrap_or_else(|| panic!("{file}: not matched ({f:?})"));
        assert_eq!(id, sent_id, "{file}");
        assert!(expected(&status), "{file}: {status:?}");
        // A report about some other message is not matched.
        assert_eq!(match_report(["unrelated@example.test"], &f), None, "{file}");
    }
}

/// The same cases through the real pipeline: the MIME parser, then
/// `mdn::report_fields` (what `cachet receipts` runs on each report).
#[allow(clippy::unwrap_used, clippy::expect_used)] // test helper
fn check_with_the_mime_module(
    corpus: &std::path::Path,
    file: &str,
    sent_id: &str,
    expected: Expect,
) {
    let Ok(raw) = std::fs::read(corpus.join(file)) else {
        return;
    };
    let parsed = cachet::mail::mime::parse_message(&raw, &Default::default()).unwrap();
    let reports = cachet::mail::mdn::report_fields(&parsed, &raw);
    let matched: Vec<_> = reports
        .iter()
        .filter_map(|r| match_report(["unrelated@example.test", sent_id], r))
        .collect();
    match matched.as_slice() {
        [(id, status)] => {
            assert_eq!(id, sent_id, "{file}");
            assert!(expected(status), "{file} (MIME module): {status:?}");
        }
        other => panic!("{file} (MIME module): {other:?} from {reports:?}"),
    }
}
