//! Every real-world MIME sample of the shared corpus parses without a panic
//! and renders to terminal-safe text; random mutations of some of them never
//! panic either. The corpus is read in place (`../shared/corpus/mime`) and
//! the test skips it when absent; the mutation test also runs on generated
//! messages so it always checks something.

use std::path::{Path, PathBuf};

use cachet::domain::text::{Block, RichText, is_terminal_safe};
use cachet::mail::mime::{Error, Limits, parse_message};
use cachet::mail::render::{HeaderBlock, Preference, RenderOptions, render_message};

/// `../shared/corpus/mime`, or `$CACHET_CORPUS_DIR/mime` (a worktree that
/// does not sit next to `shared/`).
fn corpus_mime() -> Option<PathBuf> {
    let base = std::env::var_os("CACHET_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")).to_path_buf()
        });
    let dir = base.join("mime");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("corpus absent at {}, skipped", dir.display());
        None
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("eml") | Some("mbox")
        ) {
            out.push(path);
        }
    }
    out.sort();
}

/// Split an mbox on its `From ` separator lines.
fn messages_of(path: &Path, bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if path.extension().and_then(|e| e.to_str()) != Some("mbox") {
        return vec![bytes];
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(Vec::new());
            continue;
        }
        if let Some(current) = out.last_mut() {
            current.extend_from_slice(line);
        }
    }
    out
}

fn assert_safe(doc: &RichText, what: &str) {
    for block in &doc.blocks {
        match block {
            Block::Line(line) => {
                for span in &line.spans {
                    assert!(is_terminal_safe(span.text()), "{what}: {:?}", span.text());
                    assert!(!span.text().contains('\u{1b}'), "{what}: ESC in a span");
                }
                assert!(!line.to_plain_string().contains('\u{1b}'), "{what}");
            }
            Block::Table(t) => {
                for cell in t.header.iter().chain(t.rows.iter().flatten()) {
                    assert!(is_terminal_safe(cell), "{what}: {cell:?}");
                }
            }
        }
    }
}

fn all_options() -> [RenderOptions; 3] {
    [
        RenderOptions::default(),
        RenderOptions {
            prefer: Preference::Html,
            ..RenderOptions::default()
        },
        RenderOptions {
            headers: HeaderBlock::Full,
            ..RenderOptions::default()
        },
    ]
}

#[test]
fn every_corpus_message_parses_and_renders_safely() {
    let Some(dir) = corpus_mime() else { return };
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    assert!(paths.len() > 100, "corpus looks truncated: {}", paths.len());
    let (mut ok, mut refused) = (0, Vec::new());
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        for (i, raw) in messages_of(path, bytes).into_iter().enumerate() {
            let what = format!("{}#{i}", path.display());
            match parse_message(&raw, &Limits::default()) {
                Ok(msg) => {
                    ok += 1;
                    for options in all_options() {
                        assert_safe(&render_message(&msg, &options), &what);
                    }
                    // The envelope never fails once parsing succeeded.
                    let env = msg.envelope(1);
                    assert_eq!(env.size as usize, raw.len());
                }
                Err(e @ Error::ParserFailed) => panic!("{what}: {e}"),
                Err(e) => refused.push(format!("{what}: {e}")),
            }
        }
    }
    eprintln!(
        "{ok} messages rendered, {} refused: {refused:#?}",
        refused.len()
    );
    // Refusals are limits on hostile inputs; real mail must overwhelmingly pass.
    assert!(refused.len() * 20 < ok, "too many refused: {refused:#?}");
}

const GENERATED: &[&[u8]] = &[
    b"From: =?UTF-8?Q?Dr_=C3=89mile?= <e@example.test>\r\nTo: b@example.test\r\n\
      Subject: =?ISO-8859-1?Q?R=E9sultats?=\r\nDate: Sat, 31 Jan 2026 15:05:00 +0100\r\n\
      Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
      Content-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n--b2\r\n\
      Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\nLigne \r\nsuite\r\n> cit\xc3\xa9\r\n--b2\r\n\
      Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>R=C3=A9sultat <a href=3D\"https://x.test\">lien</a></p>\r\n--b2--\r\n\
      --b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''cr%C3%A9.pdf\r\n\
      Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n\
      From: a@example.test\r\nSubject: inner\r\n\r\ninner body\r\n--b1--\r\n",
    b"From: d@example.test\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n\
      --r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n\
      Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
      --r\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: a/b; displayed\r\n--r--\r\n",
];

const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"--",
    b"--b1",
    b"--r--",
    b"=?utf-8?b?",
    b"?=",
    b"=?iso-8859-1?q?=E9",
    b"Content-Type: multipart/mixed; boundary=b1\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"\x1b[2J",
    b"\xe2\x80\xae",
    b"\xff\xfe",
    b"<a href=\"",
    b"filename*0*=utf-8''%C3",
    b"\r\n\r\n",
    b":",
    b"\0",
];

fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..rng.usize(1..8) {
        let len = data.len().max(1);
        match rng.u8(0..6) {
            0 => {
                let i = rng.usize(0..len);
                if let Some(b) = data.get_mut(i) {
                    *b = rng.u8(..);
                }
            }
            1 => {
                let i = rng.usize(0..=data.len());
                let token = TOKENS[rng.usize(0..TOKENS.len())];
                data.splice(i..i, token.iter().copied());
            }
            2 => {
                let a = rng.usize(0..=data.len());
                let b = rng.usize(a..=data.len().min(a + 64));
                data.drain(a..b);
            }
            3 => {
                let a = rng.usize(0..=data.len());
                let b = rng.usize(a..=data.len().min(a + 256));
                let copy = data[a..b].to_vec();
                let at = rng.usize(0..=data.len());
                data.splice(at..at, copy);
            }
            4 => data.truncate(rng.usize(0..=data.len())),
            _ => {
                let i = rng.usize(0..=data.len());
                data.insert(i, rng.u8(..));
            }
        }
    }
    data
}

#[test]
fn random_mutations_never_panic() {
    let mut seeds: Vec<Vec<u8>> = GENERATED.iter().map(|m| m.to_vec()).collect();
    if let Some(dir) = corpus_mime() {
        for name in [
            "ans-mssante-ig/mdn_ko_integration_example.eml",
            "ans-mssante-ig/standard_error_notification_example.eml",
            "crymap/rfc3501_p56.eml",
            "crymap/multi-part-base64.eml",
            "directproject-nhin-d/csharp_context.receiver.tests_DSN.eml",
        ] {
            if let Ok(bytes) = std::fs::read(dir.join(name)) {
                seeds.push(bytes);
            }
        }
    }
    let mut rng = fastrand::Rng::with_seed(0x5EED_CAC4E7);
    let (mut parsed, mut refused, mut parser_failed) = (0, 0, 0);
    for iteration in 0..3_000 {
        let seed = &seeds[iteration % seeds.len()];
        let data = mutate(&mut rng, seed);
        match parse_message(&data, &Limits::default()) {
            Ok(msg) => {
                parsed += 1;
                let options = &all_options()[iteration % 3];
                assert_safe(&render_message(&msg, options), "mutation");
                let _ = msg.envelope(1);
                for a in msg.attachments() {
                    assert_eq!(msg.blob(a.blob).map(<[u8]>::len), Some(a.size));
                }
            }
            Err(Error::ParserFailed) => parser_failed += 1,
            Err(_) => refused += 1,
        }
    }
    eprintln!("parsed {parsed}, refused {refused}, parser failures caught {parser_failed}");
    assert!(
        parsed > 2_000,
        "mutations should mostly stay parseable: {parsed}"
    );
}

/// The stalwart samples carry mail-parser's expected output: our decoded
/// Subject and From (after our own conversion layer) must agree with it.
#[test]
fn decoded_headers_agree_with_the_reference_outputs() {
    let Some(dir) = corpus_mime() else { return };
    let mut compared = 0;
    for sub in ["rfc", "legacy", "malformed", "thirdparty"] {
        let Ok(entries) = std::fs::read_dir(dir.join("stalwart-mail-parser").join(sub)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for json_path in paths
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(".mailparser-expected.json"))
        {
            let eml = PathBuf::from(
                json_path
                    .to_string_lossy()
                    .replace(".mailparser-expected.json", ".eml"),
            );
            let (Ok(raw), Ok(json)) = (std::fs::read(&eml), std::fs::read(json_path)) else {
                continue;
            };
            let expected: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let Ok(msg) = parse_message(&raw, &Limits::default()) else {
                continue;
            };
            let headers = expected["parts"][0]["headers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for h in headers {
                match h["name"].as_str() {
                    Some("subject") => {
                        if let Some(subject) = h["value"]["Text"].as_str()
                            && !subject.contains('\u{FFFD}')
                        {
                            assert_eq!(
                                msg.headers.subject.as_deref(),
                                Some(subject),
                                "{}",
                                eml.display()
                            );
                            compared += 1;
                        }
                    }
                    Some("from") => {
                        if let Some(addr) = h["value"]["Address"]["List"][0]["address"].as_str() {
                            assert_eq!(
                                msg.headers.from.first().map(|a| a.email.as_str()),
                                Some(addr.trim()),
                                "{}",
                                eml.display()
                            );
                            compared += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    eprintln!("{compared} header values compared");
    assert!(compared > 20, "reference outputs missing: {compared}");
}

/// The header block of a raw message, blank line included (what a sync's
/// `BODY.PEEK[HEADER.FIELDS (...)]` brings, with every field kept).
fn header_block(raw: &[u8]) -> &[u8] {
    for (i, w) in raw.windows(2).enumerate() {
        if w == b"\n\n" {
            return &raw[..i + 2];
        }
        if w == b"\n\r" && raw.get(i + 2) == Some(&b'\n') {
            return &raw[..i + 3];
        }
    }
    raw
}

/// A sync summarises a header block with the lean header-only parse; it
/// must give the envelope the full parse of the same block gives, on every
/// real-world message of the corpus and on the generated ones.
#[test]
fn the_header_only_envelope_is_the_full_parse_envelope() {
    use cachet::mail::mime::envelope_from_header_block;
    let mut blocks: Vec<(String, Vec<u8>)> = GENERATED
        .iter()
        .enumerate()
        .map(|(i, m)| (format!("generated#{i}"), header_block(m).to_vec()))
        .collect();
    if let Some(dir) = corpus_mime() {
        let mut paths = Vec::new();
        files(&dir, &mut paths);
        for path in &paths {
            let bytes = std::fs::read(path).unwrap();
            for (i, raw) in messages_of(path, bytes).into_iter().enumerate() {
                blocks.push((
                    format!("{}#{i}", path.display()),
                    header_block(&raw).to_vec(),
                ));
            }
        }
    }
    let mut compared = 0;
    for (what, block) in &blocks {
        let Ok(full) = parse_message(block, &Limits::default()) else {
            continue;
        };
        let mut expected = full.envelope(7);
        // A block with no header at all is not a message to the lean parse:
        // the sync then keeps an empty summary, which is what the full parse
        // of such a block gives.
        let mut lean = envelope_from_header_block(7, block, &Limits::default()).unwrap_or(
            cachet::domain::envelope::Envelope {
                uid: 7,
                ..Default::default()
            },
        );
        // Size and attachments come from IMAP (RFC822.SIZE, BODYSTRUCTURE).
        for env in [&mut expected, &mut lean] {
            env.has_attachment = false;
            env.size = 0;
        }
        assert_eq!(lean, expected, "{what}");
        compared += 1;
    }
    assert!(compared >= GENERATED.len(), "compared {compared}");
    eprintln!("{compared} header blocks compared");
}
