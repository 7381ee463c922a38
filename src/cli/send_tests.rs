use std::sync::Mutex;

use super::*;
use crate::cli::send_flow::{AuditSink, SentFiler};
use crate::error::ErrorKind;
use crate::mail::outbox::testing::{RecordingSentChecker, RecordingTransport};
use crate::mail::outbox::{MemoryOutboxStore, RetryPolicy, SendFailure};
use clap::Parser;

#[derive(Parser)]
struct TestCli {
    #[command(subcommand)]
    cmd: TestCmd,
}

#[derive(clap::Subcommand)]
enum TestCmd {
    Send(SendArgs),
    Outbox(OutboxArgs),
}

fn cmd(args: &[&str]) -> TestCmd {
    TestCli::try_parse_from(std::iter::once("cachet").chain(args.iter().copied()))
        .unwrap()
        .cmd
}

#[derive(Default)]
struct Audit(Mutex<Vec<AuditEvent>>);

impl AuditSink for Audit {
    fn record(&self, event: AuditEvent) {
        self.0.lock().unwrap().push(event);
    }
}

#[derive(Default)]
struct Filer(Mutex<Vec<Vec<u8>>>);

impl SentFiler for Filer {
    fn file(
        &self,
        _message_id: &str,
        bytes: &[u8],
    ) -> impl std::future::Future<Output = Result<String, String>> + Send {
        self.0.lock().unwrap().push(bytes.to_vec());
        std::future::ready(Ok("Sent".to_string()))
    }
}

struct World {
    ob: Outbox<MemoryOutboxStore>,
    t: RecordingTransport,
    audit: Audit,
    filer: Filer,
}

impl World {
    fn new() -> Self {
        Self {
            ob: Outbox::new(MemoryOutboxStore::new(), RetryPolicy::default(), false),
            t: RecordingTransport::default(),
            audit: Audit::default(),
            filer: Filer::default(),
        }
    }

    async fn go(&self, args: &[&str], stdin: &str) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let checker = RecordingSentChecker(self.t.clone());
        let known = |d: &str| d == "example.test";
        let ctx = SendContext {
            outbox: &self.ob,
            transport: &self.t,
            checker: &checker,
            filer: &self.filer,
            sent_log: None,
            audit: &self.audit,
            is_mssante_domain: &known,
            from: Mailbox::parse("alice@example.test").unwrap(),
            signature: None,
            ins_policy: InsPolicy::default(),
            now: 100,
        };
        let code = match cmd(args) {
            TestCmd::Send(a) => send(a, &ctx, stdin.as_bytes(), &mut out, &mut err).await,
            TestCmd::Outbox(a) => outbox(a, &ctx, &mut out, &mut err).await,
        }
        .unwrap();
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn audited(&self) -> Vec<String> {
        self.audit
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.request.clone())
            .collect()
    }
}

#[tokio::test]
async fn send_files_the_copy_and_clears_the_outbox() {
    let w = World::new();
    let (code, out, _) = w
        .go(
            &[
                "send",
                "--to",
                "bob@example.test",
                "--subject",
                "Bonjour",
                "--receipt",
            ],
            "Texte\n",
        )
        .await;
    assert_eq!(code, exit::OK);
    assert!(out.starts_with("Sent <"));
    assert_eq!(w.t.delivered().len(), 1);
    assert_eq!(w.filer.0.lock().unwrap().len(), 1, "appended to Sent");
    let (code, out, _) = w.go(&["outbox", "--json"], "").await;
    assert_eq!(code, exit::OK);
    assert_eq!(out.trim(), "[]", "filed messages leave the outbox");
    let audited = w.audited();
    assert!(audited[0].starts_with("outbox enqueue (1 recipient(s)"));
    assert_eq!(audited[1], "SMTP submission");
    assert_eq!(audited[2], "IMAP APPEND Sent");
    let bytes = &w.filer.0.lock().unwrap()[0];
    let text = String::from_utf8_lossy(bytes);
    assert!(text.contains("Disposition-Notification-To: "), "{text}");
}

#[tokio::test]
async fn unreachable_server_leaves_it_queued_with_exit_4_then_flush_sends() {
    let w = World::new();
    w.t.fail_next(SendFailure {
        permanent: false,
        outcome_unknown: false,
        kind: ErrorKind::Network,
        reason: "connection refused".into(),
    });
    let (code, out, err) = w
        .go(&["send", "--to", "bob@example.test", "--subject", "S"], "x")
        .await;
    assert_eq!(code, exit::NETWORK);
    assert!(out.is_empty());
    assert!(
        err.contains("stays in the outbox") && err.contains("connection refused"),
        "{err}"
    );
    assert!(w.t.delivered().is_empty());
    let (_, out, _) = w.go(&["outbox"], "").await;
    assert!(out.starts_with("queued"), "{out}");
    let (code, out, _) = w.go(&["outbox", "--flush"], "").await;
    assert_eq!(code, exit::OK);
    assert!(out.starts_with("Sent <"));
    assert_eq!(w.t.delivered().len(), 1);
}

#[tokio::test]
async fn outside_the_trust_space_is_refused_unless_asked_and_attachments_can_be_protected() {
    let w = World::new();
    let (code, _, err) = w
        .go(
            &["send", "--to", "patient@gmail.example", "--subject", "S"],
            "x",
        )
        .await;
    assert_eq!(code, exit::ERROR);
    assert!(err.contains("patient@gmail.example"), "{err}");
    assert!(w.ob.list().await.unwrap().is_empty(), "nothing queued");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cr.pdf");
    std::fs::write(&file, b"%PDF-1.4 resultats").unwrap();
    let (code, out, err) = w
        .go(
            &[
                "send",
                "--to",
                "patient@gmail.example",
                "--subject",
                "S",
                "--outside-trust-space",
                "--protect-attachments",
                "--attach",
                file.to_str().unwrap(),
            ],
            "x",
        )
        .await;
    assert_eq!(code, exit::OK, "{err}");
    assert!(err.contains("Warning"), "{err}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Password of the protected archive"))
        .and_then(|l| l.rsplit(": ").next())
        .unwrap()
        .trim()
        .to_string();
    let sent = String::from_utf8(w.filer.0.lock().unwrap()[0].clone()).unwrap();
    assert!(sent.contains(crate::mail::protect::ARCHIVE_NAME));
    assert!(!sent.contains(&password), "the password never travels");
    assert!(!w.audited().iter().any(|r| r.contains(&password)));
    assert!(
        w.audited()[0].starts_with("refused locally"),
        "{:?}",
        w.audited()
    );
}

#[tokio::test]
async fn retry_and_cancel() {
    let w = World::new();
    w.t.fail_next(SendFailure {
        permanent: true,
        outcome_unknown: false,
        kind: ErrorKind::Invalid,
        reason: "the message is 20 bytes, over the server limit of 10 bytes".into(),
    });
    let (code, _, err) = w
        .go(&["send", "--to", "bob@example.test", "--subject", "S"], "x")
        .await;
    assert_eq!(code, exit::ERROR);
    assert!(
        err.starts_with("Not sent:") && err.contains("server limit"),
        "{err}"
    );
    let id = w.ob.list().await.unwrap()[0].message_id.clone();
    let (code, out, _) = w.go(&["outbox", "--retry", &format!("<{id}>")], "").await;
    assert_eq!(code, exit::OK);
    assert!(out.starts_with("Sent <"), "{out}");
    let (code, _, _) = w
        .go(&["send", "--to", "bob@example.test", "--subject", "T"], "x")
        .await;
    assert_eq!(code, exit::OK);
    assert_eq!(w.t.delivered().len(), 2);
}

#[test]
fn bad_input_is_refused_by_clap_or_the_builder() {
    assert!(
        TestCli::try_parse_from(["cachet", "send", "--subject", "x"]).is_err(),
        "--to is required"
    );
    assert!(
        TestCli::try_parse_from(["cachet", "send", "--to", "a@b.test"]).is_err(),
        "--subject is required without --xdm"
    );
    assert!(
        TestCli::try_parse_from(["cachet", "send", "--to", "a@b.test", "--xdm", "c.xml"]).is_ok()
    );
    assert_eq!(content_type_for("IHE_XDM.ZIP"), "application/zip");
    assert_eq!(content_type_for("noext"), "application/octet-stream");
    assert_eq!(bare_id(" <a@b> "), "a@b");
}

#[tokio::test]
async fn a_bad_address_is_an_error_before_anything_is_queued() {
    let w = World::new();
    let mut out = Vec::new();
    let checker = RecordingSentChecker(w.t.clone());
    let ctx = SendContext {
        outbox: &w.ob,
        transport: &w.t,
        checker: &checker,
        filer: &w.filer,
        sent_log: None,
        audit: &w.audit,
        is_mssante_domain: &|_: &str| true,
        from: Mailbox::parse("alice@example.test").unwrap(),
        signature: None,
        ins_policy: InsPolicy::default(),
        now: 0,
    };
    let TestCmd::Send(args) = cmd(&["send", "--to", "bob", "--subject", "x"]) else {
        unreachable!()
    };
    let e = send(args, &ctx, &b""[..], &mut out, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Compose(_)));
    assert!(w.ob.list().await.unwrap().is_empty());
}
