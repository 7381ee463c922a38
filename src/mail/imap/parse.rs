//! Turning parsed server responses (imap-proto, through async-imap) into our types, and
//! the few pieces of IMAP syntax we write ourselves: quoted strings and UID sets.
//! Nothing here panics on what a server sends: unknown or malformed items are skipped.

use async_imap::imap_proto::{
    AttributeValue, BodyStructure, MailboxDatum, NameAttribute, Response, StatusAttribute,
};

use super::error::Error;
use super::types::{BodySummary, FetchedEnvelope, Flags, Folder, FolderStatus, SpecialUse};

/// A quoted IMAP string; CR, LF and NUL cannot be quoted and are refused.
pub fn quote(s: &str) -> Result<String, Error> {
    if s.contains(['\r', '\n', '\0']) {
        return Err(Error::Invalid {
            reason: "a line break or NUL cannot be sent in a quoted string".into(),
        });
    }
    Ok(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

/// `1:3,7,9:10` from any list of UIDs (sorted and deduplicated here).
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.saturating_add(1) {
            end = sorted[i + 1];
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Expands VANISHED ranges, refusing absurd sizes (a hostile server could send 1:4294967295).
pub fn expand_ranges(
    ranges: &[std::ops::RangeInclusive<u32>],
    known: &dyn Fn(u32) -> bool,
) -> Vec<u32> {
    let mut out = Vec::new();
    for r in ranges {
        let len = u64::from(r.end().saturating_sub(*r.start())) + 1;
        if len > 1_000_000 {
            // only UIDs we know can vanish for us: filter instead of enumerating
            continue;
        }
        out.extend(r.clone().filter(|u| known(*u)));
    }
    out
}

pub fn flags_of(values: &[std::borrow::Cow<'_, str>]) -> Flags {
    Flags::of(values.iter().map(|c| c.as_ref()))
}

/// The flag/uid/modseq content of a FETCH response.
pub fn fetch_flags(attrs: &[AttributeValue<'_>]) -> (Option<u32>, Option<Flags>, Option<u64>) {
    let mut uid = None;
    let mut flags = None;
    let mut modseq = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Flags(f) => flags = Some(flags_of(f)),
            AttributeValue::ModSeq(m) => modseq = Some(*m),
            _ => {}
        }
    }
    (uid, flags, modseq)
}

/// An envelope from a FETCH with UID, FLAGS, RFC822.SIZE, BODYSTRUCTURE and header fields.
pub fn envelope(attrs: &[AttributeValue<'_>]) -> Option<FetchedEnvelope> {
    let (uid, flags, modseq) = fetch_flags(attrs);
    let mut size = 0;
    let mut header = Vec::new();
    let mut body = BodySummary::default();
    let mut internal_date = None;
    for a in attrs {
        match a {
            AttributeValue::Rfc822Size(s) => size = *s,
            AttributeValue::BodySection { data: Some(d), .. } => header = d.to_vec(),
            AttributeValue::Rfc822Header(Some(d)) => header = d.to_vec(),
            AttributeValue::BodyStructure(bs) => body = summarise(bs),
            AttributeValue::InternalDate(d) => internal_date = Some(d.to_string()),
            _ => {}
        }
    }
    Some(FetchedEnvelope {
        uid: uid?,
        flags: flags.unwrap_or_default(),
        size,
        internal_date,
        modseq,
        header,
        body,
    })
}

/// The first body section of a FETCH (BODY.PEEK[] answers).
pub fn body_section(attrs: &[AttributeValue<'_>]) -> Option<Vec<u8>> {
    attrs.iter().find_map(|a| match a {
        AttributeValue::BodySection { data: Some(d), .. } => Some(d.to_vec()),
        AttributeValue::Rfc822(Some(d)) => Some(d.to_vec()),
        _ => None,
    })
}

/// Top-level type, leaf count and whether something is an attachment: a part with
/// `Content-Disposition: attachment`, or a named non-text leaf (`application/pdf`,
/// `IHE_XDM.ZIP`), or an attached message.
pub fn summarise(bs: &BodyStructure<'_>) -> BodySummary {
    let (ty, sub) = match bs {
        BodyStructure::Basic { common, .. }
        | BodyStructure::Text { common, .. }
        | BodyStructure::Message { common, .. }
        | BodyStructure::Multipart { common, .. } => (&common.ty.ty, &common.ty.subtype),
    };
    let mut summary = BodySummary {
        mime_type: format!("{ty}/{sub}").to_ascii_lowercase(),
        has_attachment: false,
        parts: 0,
    };
    walk(bs, 0, &mut summary);
    summary
}

fn walk(bs: &BodyStructure<'_>, depth: u32, s: &mut BodySummary) {
    if depth > 64 {
        return;
    }
    let common = match bs {
        BodyStructure::Multipart { bodies, .. } => {
            for b in bodies {
                walk(b, depth + 1, s);
            }
            return;
        }
        BodyStructure::Basic { common, .. }
        | BodyStructure::Text { common, .. }
        | BodyStructure::Message { common, .. } => common,
    };
    s.parts += 1;
    let disposition_attachment = common
        .disposition
        .as_ref()
        .is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment"));
    let named = common
        .ty
        .params
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|(k, _)| k.eq_ignore_ascii_case("name")))
        || common.disposition.as_ref().is_some_and(|d| {
            d.params
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|(k, _)| k.eq_ignore_ascii_case("filename")))
        });
    let non_text_leaf = depth > 0
        && matches!(
            bs,
            BodyStructure::Basic { .. } | BodyStructure::Message { .. }
        );
    if disposition_attachment
        || (named && !matches!(bs, BodyStructure::Text { .. }))
        || non_text_leaf
    {
        s.has_attachment = true;
    }
}

/// A LIST line as a folder (status filled in later).
pub fn folder(resp: &Response<'_>) -> Option<Folder> {
    let Response::MailboxData(MailboxDatum::List(l)) = resp else {
        return None;
    };
    let mut special_use = None;
    let mut selectable = true;
    for a in &l.name_attributes {
        match a {
            NameAttribute::NoSelect => selectable = false,
            NameAttribute::Sent => special_use = Some(SpecialUse::Sent),
            NameAttribute::Drafts => special_use = Some(SpecialUse::Drafts),
            NameAttribute::Trash => special_use = Some(SpecialUse::Trash),
            NameAttribute::Archive => special_use = Some(SpecialUse::Archive),
            NameAttribute::Junk => special_use = Some(SpecialUse::Junk),
            NameAttribute::All => special_use = Some(SpecialUse::All),
            NameAttribute::Flagged => special_use = Some(SpecialUse::Flagged),
            NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent") => {
                selectable = false
            }
            _ => {}
        }
    }
    if l.name.eq_ignore_ascii_case("INBOX") {
        special_use = Some(SpecialUse::Inbox);
    }
    Some(Folder {
        name: l.name.to_string(),
        delimiter: l.delimiter.as_ref().map(|d| d.to_string()),
        special_use,
        selectable,
        status: None,
    })
}

/// A STATUS line's counts.
pub fn status(resp: &Response<'_>) -> Option<(String, FolderStatus)> {
    let Response::MailboxData(MailboxDatum::Status { mailbox, status }) = resp else {
        return None;
    };
    let mut s = FolderStatus::default();
    for a in status {
        match a {
            StatusAttribute::Messages(n) => s.messages = *n,
            StatusAttribute::Unseen(n) => s.unseen = *n,
            StatusAttribute::UidNext(n) => s.uid_next = Some(*n),
            StatusAttribute::UidValidity(n) => s.uid_validity = Some(*n),
            StatusAttribute::HighestModSeq(n) => s.highest_modseq = Some(*n),
            _ => {}
        }
    }
    Some((mailbox.to_string(), s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[9, 1, 2, 3, 7, 10, 2]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }

    #[test]
    fn quoting_escapes_and_refuses_line_breaks() {
        assert_eq!(quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert!(quote("a\r\nb").is_err());
    }

    #[test]
    fn vanished_ranges_never_enumerate_huge_spans() {
        let known = |u: u32| u == 5 || u == 3_000_000_000;
        let out = expand_ranges(&[1..=10, 1..=u32::MAX], &known);
        assert_eq!(out, vec![5]);
    }

    fn parse_fetch(line: &[u8]) -> Option<FetchedEnvelope> {
        let (_, resp) = Response::parse(line).unwrap();
        match resp {
            Response::Fetch(_, attrs) => envelope(&attrs),
            _ => None,
        }
    }

    #[test]
    fn fetch_with_pdf_attachment_is_summarised() {
        let line = b"* 1 FETCH (UID 42 FLAGS (\\Seen) RFC822.SIZE 2048 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"cr.pdf\") NIL NIL \"base64\" 100 NIL (\"attachment\" (\"filename\" \"cr.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL NIL) BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: test\r\n)\r\n";
        let e = parse_fetch(line).unwrap();
        assert_eq!(e.uid, 42);
        assert!(e.flags.contains("\\Seen"));
        assert_eq!(e.size, 2048);
        assert_eq!(e.header, b"Subject: test\r\n");
        assert_eq!(e.body.mime_type, "multipart/mixed");
        assert_eq!(e.body.parts, 2);
        assert!(e.body.has_attachment);
    }

    #[test]
    fn alternative_text_and_html_is_not_an_attachment() {
        let line = b"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 9 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL)(\"text\" \"html\" NIL NIL NIL \"7bit\" 1 1 NIL NIL NIL NIL) \"alternative\" NIL NIL NIL NIL))\r\n";
        let e = parse_fetch(line).unwrap();
        assert_eq!(e.body.mime_type, "multipart/alternative");
        assert!(!e.body.has_attachment);
    }

    #[test]
    fn a_fetch_without_uid_is_ignored() {
        assert!(parse_fetch(b"* 1 FETCH (FLAGS (\\Seen))\r\n").is_none());
    }
}
