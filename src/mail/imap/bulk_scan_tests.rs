//! The fast reader gives what `imap_proto` and [`parse::envelope`] give,
//! on written and generated responses, waits for whole responses, and
//! leaves everything else to the general parser.

use async_imap::imap_proto::Response;

use super::*;
use crate::mail::imap::parse;

/// What the general parser makes of one response: (bytes used, envelope).
fn general(input: &[u8]) -> Option<(usize, Option<FetchedEnvelope>)> {
    let (rest, response) = Response::parse(input).ok()?;
    let Response::Fetch(_, attrs) = response else {
        return None;
    };
    Some((input.len() - rest.len(), parse::envelope(&attrs)))
}

/// Both readers agree on `line`, and the fast one reads it (no fallback).
fn same(line: &[u8]) -> Option<FetchedEnvelope> {
    let expected =
        general(line).unwrap_or_else(|| panic!("the general parser refuses {}", show(line)));
    match scan_fetch(line) {
        Scan::Read { used, item } => {
            assert_eq!((used, item.clone()), expected, "{}", show(line));
            item
        }
        other => panic!("{other:?} for {}", show(line)),
    }
}

fn show(line: &[u8]) -> String {
    String::from_utf8_lossy(line).into_owned()
}

const PDF_MIXED: &[u8] = b"* 1 FETCH (UID 42 FLAGS (\\Seen) RFC822.SIZE 2048 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"cr.pdf\") NIL NIL \"base64\" 100 NIL (\"attachment\" (\"filename\" \"cr.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL) BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: test\r\n)\r\n";

#[test]
fn a_message_with_a_pdf_reads_the_same() {
    let e = same(PDF_MIXED).unwrap();
    assert_eq!(e.uid, 42);
    assert_eq!(e.header, b"Subject: test\r\n");
    assert_eq!(e.body.mime_type, "multipart/mixed");
    assert_eq!((e.body.parts, e.body.has_attachment), (2, true));
}

#[test]
fn dovecot_shaped_responses_read_the_same() {
    let lines: [&[u8]; 9] = [
        // what Dovecot sends for a sync: every item, MODSEQ last
        b"* 7 FETCH (UID 107 FLAGS (\\Seen $MDNSent) RFC822.SIZE 912 INTERNALDATE \"02-Nov-2026 10:00:00 +0100\" BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"flowed\") NIL NIL \"8bit\" 120 4 NIL NIL NIL NIL) BODY[HEADER.FIELDS (DATE FROM SUBJECT)] {42}\r\nFrom: a@x.test\r\nSubject: Bilan sanguin\r\n\r\n MODSEQ (12345678901))\r\n",
        // alternative text and HTML, no attachment
        b"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 9 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL) \"alternative\" NIL NIL NIL NIL))\r\n",
        // an attached message (envelope and inner body skipped), top-level and nested
        b"* 2 FETCH (UID 2 BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 300 (\"Mon, 2 Nov 2026 10:00:00 +0100\" \"inner\" ((\"A\" NIL \"a\" \"x.test\")) NIL NIL NIL NIL NIL NIL \"<i@x>\") (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL) 12 NIL NIL NIL NIL))\r\n",
        b"* 3 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7bit\" 300 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1) 12) \"mixed\"))\r\n",
        // a report (MDN) with its parts, extension data of every kind
        b"* 4 FETCH (UID 4 FLAGS (\\Answered \\Flagged Junk) BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1 NIL NIL (\"fr\" \"en\") \"loc\")(\"message\" \"disposition-notification\" NIL NIL NIL \"7bit\" 50 NIL NIL NIL NIL) \"report\" (\"report-type\" \"disposition-notification\" \"boundary\" \"r\") NIL NIL NIL (1 \"x\" (2 NIL))))\r\n",
        // a named part with an inline disposition, a literal filename (8-bit)
        b"* 5 FETCH (UID 5 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)(\"image\" \"png\" NIL \"<c@x>\" \"logo\" \"base64\" 40 NIL (\"inline\" (\"filename\" {10}\r\nlogo\xc3\xa9.png)) NIL NIL) \"related\" NIL NIL NIL NIL))\r\n",
        // a named text part is not an attachment; the upper-case names and items
        b"* 6 fetch (uid 6 rfc822.size 77 bodystructure (\"TEXT\" \"PLAIN\" (\"NAME\" \"notes.txt\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL) modseq (9))\r\n",
        // header as RFC822.HEADER and as a quoted string, NIL header
        b"* 8 FETCH (UID 8 RFC822.HEADER \"Subject: a\" BODY[HEADER.FIELDS (X)]<0> NIL)\r\n",
        // no UID: nothing to keep
        b"* 9 FETCH (FLAGS (\\Seen))\r\n",
    ];
    for line in lines {
        same(line);
    }
    assert!(same(lines[8]).is_none());
}

#[test]
fn every_prefix_waits_for_more_and_never_guesses() {
    for line in [
        PDF_MIXED,
        b"* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (3))\r\n",
    ] {
        for cut in 0..line.len() {
            match scan_fetch(&line[..cut]) {
                Scan::Incomplete { wanted } => {
                    assert!(wanted > cut && wanted <= line.len(), "cut {cut}: {wanted}")
                }
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }
    // the literal's announced size is waited for at once
    let cut = PDF_MIXED.windows(5).position(|w| w == b"{15}\r").unwrap() + 6;
    match scan_fetch(&PDF_MIXED[..cut]) {
        Scan::Incomplete { wanted } => assert_eq!(wanted, cut + 15),
        other => panic!("{other:?}"),
    }
}

#[test]
fn what_is_not_a_plain_envelope_fetch_is_left_to_the_general_parser() {
    let lines: [&[u8]; 10] = [
        b"* 3 EXISTS\r\n",
        b"B1 OK done\r\n",
        b"* OK [HIGHESTMODSEQ 4] ok\r\n",
        // an item the sync does not ask for
        b"* 1 FETCH (UID 1 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n",
        // two spaces, a missing space, an empty parameter list
        b"* 1 FETCH (UID 1  FLAGS ())\r\n",
        b"* 1 FETCH (UID 1FLAGS ())\r\n",
        b"* 1 FETCH (UID 1 BODYSTRUCTURE (\"text\" \"plain\" () NIL NIL \"7bit\" 1 1))\r\n",
        // a line break inside a quoted string, a UID too large
        b"* 1 FETCH (UID 1 INTERNALDATE \"a\r\nb\")\r\n",
        b"* 1 FETCH (UID 4294967296)\r\n",
        // a literal longer than the bulk reader accepts
        b"* 1 FETCH (UID 1 BODY[] {999999999999}\r\n",
    ];
    for line in lines {
        assert!(matches!(scan_fetch(line), Scan::Other), "{}", show(line));
    }
}

#[test]
fn parts_nested_deeper_than_the_summary_walks_are_read_but_not_counted() {
    for depth in [3, 64, 65, 66, 150] {
        let mut body = "(\"application\" \"pdf\" NIL NIL NIL \"base64\" 9 NIL)".to_string();
        for _ in 0..depth {
            body = format!("({body} \"mixed\")");
        }
        let line = format!("* 1 FETCH (UID 1 BODYSTRUCTURE {body})\r\n");
        let e = same(line.as_bytes()).unwrap();
        assert_eq!(e.body.parts, u32::from(depth <= 64), "{depth}");
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let mut line = b"* 1 FETCH (UID 1 BODYSTRUCTURE ".to_vec();
    line.extend(std::iter::repeat_n(b'(', 100_000));
    assert!(matches!(scan_fetch(&line), Scan::Other));
    let mut ext =
        b"* 1 FETCH (UID 1 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL "
            .to_vec();
    ext.extend(std::iter::repeat_n(b'(', 100_000));
    assert!(matches!(scan_fetch(&ext), Scan::Other));
}

/// A small deterministic generator (xorshift), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

fn string(rng: &mut Rng, text: &str) -> String {
    if rng.below(5) == 0 {
        format!("{{{}}}\r\n{text}", text.len())
    } else {
        format!("\"{text}\"")
    }
}

fn params(rng: &mut Rng, keys: &[&str]) -> String {
    if rng.below(3) == 0 {
        return "NIL".into();
    }
    let n = 1 + rng.below(3);
    let pairs: Vec<String> = (0..n)
        .map(|i| {
            let key = rng.pick(keys);
            format!("{} {}", string(rng, key), string(rng, &format!("v{i}")))
        })
        .collect();
    format!("({})", pairs.join(" "))
}

fn extension(rng: &mut Rng, depth: u32) -> String {
    match rng.below(4) {
        0 => rng.below(1000).to_string(),
        1 => "NIL".into(),
        2 if depth < 3 => {
            let n = 1 + rng.below(3);
            let items: Vec<String> = (0..n).map(|_| extension(rng, depth + 1)).collect();
            format!("({})", items.join(" "))
        }
        _ => string(rng, "x"),
    }
}

fn body(rng: &mut Rng, depth: u32) -> String {
    if depth < 4 && rng.below(3) == 0 {
        let n = 1 + rng.below(3);
        let parts: String = (0..n).map(|_| body(rng, depth + 1)).collect();
        let sub = rng.pick(&["mixed", "alternative", "related", "report", "Signed"]);
        let mut out = format!("({parts} {}", string(rng, sub));
        let ext = rng.below(4);
        if ext > 0 {
            out.push(' ');
            out.push_str(&params(rng, &["boundary", "name", "report-type"]));
        }
        if ext > 1 {
            out.push_str(" NIL NIL");
        }
        if ext > 2 {
            out.push(' ');
            out.push_str(&extension(rng, 0));
        }
        out.push(')');
        return out;
    }
    let (ty, sub) = match rng.below(6) {
        0 | 1 => ("text", rng.pick(&["plain", "html", "calendar"])),
        2 => ("TEXT", "PLAIN"),
        3 if depth < 4 => ("message", "rfc822"),
        4 => ("application", rng.pick(&["pdf", "zip", "octet-stream"])),
        _ => ("image", "png"),
    };
    // (`imap_proto` knows a text or message part only by its quoted type)
    let mut out = format!(
        "(\"{ty}\" \"{sub}\" {} NIL NIL \"base64\" {}",
        params(rng, &["charset", "name", "NAME", "format"]),
        rng.below(100_000)
    );
    if ty.eq_ignore_ascii_case("text") {
        out.push_str(&format!(" {}", rng.below(500)));
    } else if ty == "message" {
        out.push_str(" (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) ");
        out.push_str(&body(rng, depth + 1));
        out.push_str(" 7");
    }
    let ext = rng.below(5);
    if ext > 0 {
        out.push_str(" NIL");
    }
    if ext > 1 {
        out.push(' ');
        out.push_str(&match rng.below(3) {
            0 => "NIL".to_string(),
            _ => {
                let ty = rng.pick(&["attachment", "inline", "ATTACHMENT"]);
                let ty = string(rng, ty);
                format!("({ty} {})", params(rng, &["filename", "size", "FileName"]))
            }
        });
    }
    if ext > 2 {
        out.push_str(" NIL NIL");
    }
    if ext > 3 {
        out.push(' ');
        out.push_str(&extension(rng, 0));
    }
    out.push(')');
    out
}

#[test]
fn generated_body_structures_read_the_same() {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut attached = 0;
    for n in 0..3000 {
        let flags = rng.pick(&["", "\\Seen", "\\Seen \\Flagged $Label1", "\\Draft \\Recent"]);
        let header = "Subject: x\r\nFrom: a@b\r\n\r\n";
        let line = format!(
            "* {n} FETCH (UID {} FLAGS ({flags}) RFC822.SIZE {} INTERNALDATE \"01-Jan-2026 10:00:00 +0000\" BODYSTRUCTURE {} BODY[HEADER.FIELDS (SUBJECT FROM)] {{{}}}\r\n{header} MODSEQ ({}))\r\n",
            n + 1,
            rng.below(1 << 20),
            body(&mut rng, 0),
            header.len(),
            rng.next() >> 1
        );
        if let Some(e) = same(line.as_bytes()) {
            attached += usize::from(e.body.has_attachment);
        }
    }
    // the generator covers both outcomes
    assert!(attached > 300 && attached < 2700, "{attached}");
}

#[test]
fn mutated_responses_never_panic_and_never_read_past_the_end() {
    let mut rng = Rng(0xdead_beef_1234);
    let bytes = b"()\" {}\r\n\\0123456789NILx[]<>".as_slice();
    for _ in 0..20_000 {
        let mut line = PDF_MIXED.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(line.len() as u64) as usize;
            match rng.below(3) {
                0 => line[at] = bytes[rng.below(bytes.len() as u64) as usize],
                1 => {
                    line.remove(at);
                }
                _ => line.insert(at, bytes[rng.below(bytes.len() as u64) as usize]),
            }
        }
        match scan_fetch(&line) {
            Scan::Read { used, .. } => assert!(used <= line.len()),
            Scan::Incomplete { wanted } => assert!(wanted > line.len()),
            Scan::Other => {}
        }
    }
}

#[test]
fn search_lines_read_the_same() {
    let lines: [&[u8]; 4] = [
        b"* SEARCH 1 2 3 4294967295\r\n",
        b"* SEARCH\r\n",
        b"* search 7 9\r\n",
        b"* SEARCH 12\r\nB4 OK done\r\n",
    ];
    for line in lines {
        let (rest, response) = Response::parse(line).unwrap();
        let Response::MailboxData(async_imap::imap_proto::MailboxDatum::Search(expected)) =
            response
        else {
            panic!("{}", show(line));
        };
        match scan_search(line) {
            Scan::Read { used, item } => {
                assert_eq!(used, line.len() - rest.len());
                assert_eq!(item, Some(expected));
            }
            other => panic!("{other:?} for {}", show(line)),
        }
    }
    // CONDSTORE's form (RFC 7162), which `imap_proto` refuses
    match scan_search(b"* SEARCH 2 5 (MODSEQ 917162500)\r\n") {
        Scan::Read { item, .. } => assert_eq!(item, Some(vec![2, 5])),
        other => panic!("{other:?}"),
    }
    // a long line is waited for whole, then read once
    let long: Vec<u8> = format!(
        "* SEARCH {}\r\n",
        (1..=100_000)
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    )
    .into_bytes();
    for cut in [0, 5, 9, 1000, long.len() - 1] {
        assert!(
            matches!(scan_search(&long[..cut]), Scan::Incomplete { wanted } if wanted > cut),
            "cut {cut}"
        );
    }
    match scan_search(&long) {
        Scan::Read {
            item: Some(uids), ..
        } => assert_eq!(uids.len(), 100_000),
        other => panic!("{other:?}"),
    }
    for other in [
        b"* 3 EXISTS\r\n".as_slice(),
        b"* SEARCHING 1\r\n",
        b"* SEARCH 1 x\r\n",
        b"* SEARCH 99999999999\r\n",
        b"* SEARCH 1  2\r\n",
        b"* SEARCH 1\n",
    ] {
        assert!(matches!(scan_search(other), Scan::Other), "{}", show(other));
    }
}
