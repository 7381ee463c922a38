use async_imap::imap_proto::Response;
use tokio::io::AsyncReadExt;

use super::*;

/// A body structure nested `depth` lists deep (multiparts around a leaf).
fn nested(depth: u32) -> Vec<u8> {
    let mut body = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)".to_string();
    for _ in 1..depth {
        body = format!("({body} \"mixed\")");
    }
    format!("* 1 FETCH (UID 1 BODYSTRUCTURE {body})\r\n").into_bytes()
}

/// Feeds `bytes` in pieces of `piece` bytes; the first error, if any.
fn feed(bytes: &[u8], piece: usize) -> io::Result<()> {
    let mut guard = NestingGuard::new(());
    for chunk in bytes.chunks(piece) {
        guard.watch(chunk)?;
    }
    Ok(())
}

#[test]
fn the_deepest_accepted_response_parses_on_a_worker_sized_stack() {
    // the FETCH list itself is one level
    let line = nested(MAX_NESTING - 1);
    assert!(feed(&line, 4096).is_ok());
    // what the guard lets through, the parser reads without overflowing a
    // 2 MiB stack (tokio's worker threads)
    let parsed = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || Response::parse(&line).is_ok())
        .unwrap()
        .join()
        .unwrap();
    assert!(parsed);
}

#[test]
fn a_response_nested_too_deeply_ends_the_connection() {
    for piece in [1, 7, 4096] {
        let e = feed(&nested(MAX_NESTING + 1), piece).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("nested deeper"));
    }
    let mut hostile = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    hostile.extend(std::iter::repeat_n(b'(', 1_000_000));
    assert!(feed(&hostile, 65536).is_err());
}

#[test]
fn parentheses_in_strings_and_literals_and_past_responses_do_not_count() {
    let mut stream = Vec::new();
    // a literal full of parentheses, announced with LITERAL+ and without
    let text = "(".repeat(5000);
    stream.extend(format!("* 1 FETCH (UID 1 BODY[] {{{}}}\r\n{text})\r\n", text.len()).bytes());
    stream.extend(format!("* 2 FETCH (UID 2 BODY[] {{{}+}}\r\n{text})\r\n", text.len()).bytes());
    // quoted strings, with an escaped quote inside
    let quoted = format!("\"a \\\" {}\"", "(".repeat(500));
    stream.extend(format!("* 3 FETCH (UID 3 INTERNALDATE {quoted})\r\n").bytes());
    // unbalanced text lines end with their line
    for _ in 0..10 {
        stream.extend(format!("* OK {}\r\n", "(".repeat(150)).bytes());
    }
    // a brace that does not start a literal, then deep but allowed nesting
    stream.extend(b"* OK {not a literal} ((\r\n");
    stream.extend(nested(MAX_NESTING - 1));
    stream.extend(b"A1 OK done\r\n");
    for piece in [1, 2, 3, 64, 100_000] {
        assert!(feed(&stream, piece).is_ok(), "piece {piece}");
    }
}

#[tokio::test]
async fn bytes_pass_through_unchanged() {
    let mut stream = nested(50);
    stream.extend(b"* 2 FETCH (BODY[] {3}\r\n)))\r\nA1 OK done\r\n");
    let mut guard = NestingGuard::new(stream.as_slice());
    let mut out = Vec::new();
    guard.read_to_end(&mut out).await.unwrap();
    assert_eq!(out, stream);
    let mut hostile = NestingGuard::new(nested(MAX_NESTING + 5).leak() as &[u8]);
    let e = hostile.read_to_end(&mut Vec::new()).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
}
