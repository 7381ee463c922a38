//! Fast readers for the two answers a first sync of a large folder spends
//! its time on: `* SEARCH` with every UID of the folder on one line, and the
//! response it receives by the hundred thousand, `* n FETCH (UID .. FLAGS
//! (..) RFC822.SIZE .. INTERNALDATE ".." BODYSTRUCTURE (..)
//! BODY[HEADER.FIELDS (..)] {n} .. MODSEQ (..))`.
//!
//! async-imap parses a response again from its start each time more of it
//! arrives: a 600 kB `* SEARCH` line read in 16 kB pieces was parsed forty
//! times. [`scan_search`] looks for the line's end first.
//!
//! `imap_proto` builds the whole body structure (every parameter, envelope
//! and extension as owned or borrowed values in nested vectors) and checks
//! every string as UTF-8; the sync keeps three facts of it (the top type,
//! the leaf count, whether something is attached: [`super::parse::summarise`]).
//! Here the same bytes are walked once, keeping only those facts, and the
//! header block is copied straight from the literal.
//!
//! Whatever this reader does not recognise exactly (another response, an
//! item the sync did not ask for, a stray space) is left to `imap_proto`
//! ([`Scan::Other`]), so the answer is the same as before, or the same error.
//! Nothing here panics, recursion is bounded, and a literal longer than the
//! bulk reader's bound is left to it.

use super::bulk_reader::MAX_RESPONSE_BYTES;
use super::types::{BodySummary, FetchedEnvelope, Flags};

/// What the start of a buffer holds.
#[derive(Debug)]
pub enum Scan<T> {
    /// A whole response of `used` bytes, and what it says (an envelope when
    /// a FETCH has a UID, the UIDs of a SEARCH).
    Read { used: usize, item: Option<T> },
    /// The start of such a response: at least `wanted` bytes are needed.
    Incomplete { wanted: usize },
    /// Something else, for the general parser.
    Other,
}

/// Why a scan stopped.
enum Stop {
    /// The buffer ended; `Some(n)`: it must hold `n` bytes before going on.
    Incomplete(Option<usize>),
    /// Not the shape read here.
    Other,
}

type Step<T> = Result<T, Stop>;

/// Parts nested deeper than this are not counted (as in
/// [`super::parse::summarise`]); they are still read.
const SUMMARY_DEPTH: u32 = 64;

/// Lists nested deeper than this are left to the general parser (which the
/// connection's nesting bound stops first).
const MAX_NESTING: u32 = 200;

/// Reads a FETCH response at the start of `input`.
pub fn scan_fetch(input: &[u8]) -> Scan<FetchedEnvelope> {
    let mut cursor = Cursor { input, pos: 0 };
    let read = cursor.fetch();
    scan(input, cursor.pos, read)
}

/// Reads a `* SEARCH` response (RFC 3501, with CONDSTORE's `(MODSEQ n)`)
/// at the start of `input`: the UIDs as sent.
pub fn scan_search(input: &[u8]) -> Scan<Vec<u32>> {
    const START: &[u8] = b"* SEARCH";
    let head = &input[..input.len().min(START.len())];
    if !START[..head.len()].eq_ignore_ascii_case(head) {
        return Scan::Other;
    }
    // the whole line first: no number is read twice
    let Some(end) = input.iter().position(|b| *b == b'\n') else {
        return Scan::Incomplete {
            wanted: input.len() + 1,
        };
    };
    let mut cursor = Cursor {
        input: &input[..=end],
        pos: START.len(),
    };
    // the line is whole: running short inside it is not waiting for more
    let read = cursor.search().map_err(|_| Stop::Other);
    scan(input, cursor.pos, read)
}

fn scan<T>(input: &[u8], used: usize, read: Step<Option<T>>) -> Scan<T> {
    match read {
        Ok(item) => Scan::Read { used, item },
        Err(Stop::Incomplete(wanted)) => Scan::Incomplete {
            wanted: wanted.unwrap_or(input.len() + 1),
        },
        Err(Stop::Other) => Scan::Other,
    }
}

struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
}

/// RFC 3501 ATOM-CHAR: any CHAR but atom-specials.
fn is_atom_char(b: u8) -> bool {
    (0x21..0x7f).contains(&b)
        && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// ASTRING-CHAR: an atom char or `]`.
fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Step<u8> {
        self.input
            .get(self.pos)
            .copied()
            .ok_or(Stop::Incomplete(None))
    }

    fn byte(&mut self, expected: u8) -> Step<()> {
        if self.peek()? == expected {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop::Other)
        }
    }

    /// `word`, in any case.
    fn word(&mut self, word: &[u8]) -> Step<()> {
        for w in word {
            if !self.peek()?.eq_ignore_ascii_case(w) {
                return Err(Stop::Other);
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// The bytes from here while `keep` holds (at least one).
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> Step<&'a [u8]> {
        let start = self.pos;
        while keep(self.peek()?) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(Stop::Other);
        }
        Ok(&self.input[start..self.pos])
    }

    fn number(&mut self) -> Step<u64> {
        let digits = self.take_while(|b| b.is_ascii_digit())?;
        let mut n: u64 = 0;
        for d in digits {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
                .ok_or(Stop::Other)?;
        }
        Ok(n)
    }

    fn number_u32(&mut self) -> Step<u32> {
        u32::try_from(self.number()?).map_err(|_| Stop::Other)
    }

    /// A quoted string's bytes as sent (escapes kept, as `imap_proto` does).
    fn quoted(&mut self) -> Step<&'a [u8]> {
        self.byte(b'"')?;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    self.pos += 1;
                    if !matches!(self.peek()?, b'"' | b'\\') {
                        return Err(Stop::Other);
                    }
                }
                b'\r' | b'\n' | 0 => return Err(Stop::Other),
                b if b >= 0x80 => return Err(Stop::Other),
                _ => {}
            }
            self.pos += 1;
        }
        let content = &self.input[start..self.pos];
        self.pos += 1;
        Ok(content)
    }

    /// `{n}\r\n` and the `n` bytes after it.
    fn literal(&mut self) -> Step<&'a [u8]> {
        self.byte(b'{')?;
        let len = self.number()?;
        self.byte(b'}')?;
        self.byte(b'\r')?;
        self.byte(b'\n')?;
        let len = usize::try_from(len).map_err(|_| Stop::Other)?;
        if len > MAX_RESPONSE_BYTES {
            // the bulk reader refuses it, through the general parser
            return Err(Stop::Other);
        }
        let end = self.pos + len;
        if end > self.input.len() {
            return Err(Stop::Incomplete(Some(end)));
        }
        let data = &self.input[self.pos..end];
        self.pos = end;
        Ok(data)
    }

    /// A string, or None for NIL.
    fn nstring(&mut self) -> Step<Option<&'a [u8]>> {
        match self.peek()? {
            b'"' => self.quoted().map(Some),
            b'{' => self.literal().map(Some),
            _ => {
                self.word(b"NIL")?;
                Ok(None)
            }
        }
    }

    fn string(&mut self) -> Step<&'a [u8]> {
        self.nstring()?.ok_or(Stop::Other)
    }

    /// Any value (number, atom, string, NIL or list), skipped.
    fn skip_value(&mut self, depth: u32) -> Step<()> {
        match self.peek()? {
            b'(' => {
                if depth >= MAX_NESTING {
                    return Err(Stop::Other);
                }
                self.pos += 1;
                while self.peek()? != b')' {
                    self.skip_value(depth + 1)?;
                    // elements are spaced, but a multipart's parts are not
                    match self.peek()? {
                        b' ' => self.pos += 1,
                        b'(' | b')' => {}
                        _ => return Err(Stop::Other),
                    }
                }
                self.pos += 1;
                Ok(())
            }
            b'"' | b'{' => self.string().map(drop),
            _ => self.take_while(is_atom_char).map(drop),
        }
    }

    /// The values after a space, up to the closing parenthesis (extension data).
    fn skip_rest_of_list(&mut self, depth: u32) -> Step<()> {
        while self.peek()? == b' ' {
            self.pos += 1;
            self.skip_value(depth)?;
        }
        self.byte(b')')
    }

    /// The response: `* n FETCH (items)\r\n`.
    fn fetch(&mut self) -> Step<Option<FetchedEnvelope>> {
        self.byte(b'*')?;
        self.byte(b' ')?;
        self.number_u32()?;
        self.byte(b' ')?;
        self.word(b"FETCH (")?;
        let mut uid = None;
        let mut flags = None;
        let mut size = 0;
        let mut internal_date = None;
        let mut modseq = None;
        let mut header = Vec::new();
        let mut body = BodySummary::default();
        loop {
            let name = self.take_while(|b| is_atom_char(b) && b != b'[')?;
            if name.eq_ignore_ascii_case(b"UID") {
                self.byte(b' ')?;
                uid = Some(self.number_u32()?);
            } else if name.eq_ignore_ascii_case(b"FLAGS") {
                self.byte(b' ')?;
                flags = Some(self.flags()?);
            } else if name.eq_ignore_ascii_case(b"RFC822.SIZE") {
                self.byte(b' ')?;
                size = self.number_u32()?;
            } else if name.eq_ignore_ascii_case(b"INTERNALDATE") {
                self.byte(b' ')?;
                internal_date = Some(String::from_utf8_lossy(self.quoted()?).into_owned());
            } else if name.eq_ignore_ascii_case(b"MODSEQ") {
                self.word(b" (")?;
                modseq = Some(self.number()?);
                self.byte(b')')?;
            } else if name.eq_ignore_ascii_case(b"BODYSTRUCTURE") {
                self.byte(b' ')?;
                body = self.body_structure()?;
            } else if name.eq_ignore_ascii_case(b"RFC822.HEADER") {
                self.byte(b' ')?;
                if let Some(data) = self.nstring()? {
                    header = data.to_vec();
                }
            } else if name.eq_ignore_ascii_case(b"BODY") && self.peek()? == b'[' {
                self.section()?;
                self.byte(b' ')?;
                if let Some(data) = self.nstring()? {
                    header = data.to_vec();
                }
            } else {
                return Err(Stop::Other);
            }
            match self.peek()? {
                b' ' => self.pos += 1,
                b')' => break,
                _ => return Err(Stop::Other),
            }
        }
        self.byte(b')')?;
        self.byte(b'\r')?;
        self.byte(b'\n')?;
        Ok(uid.map(|uid| FetchedEnvelope {
            uid,
            flags: flags.unwrap_or_default(),
            size,
            internal_date,
            modseq,
            header,
            body,
        }))
    }

    /// The numbers of a SEARCH line, after `* SEARCH`, to its end.
    fn search(&mut self) -> Step<Option<Vec<u32>>> {
        let mut uids = Vec::new();
        while self.peek()? == b' ' {
            self.pos += 1;
            if self.peek()? == b'(' {
                // CONDSTORE: `(MODSEQ n)` ends the list
                self.word(b"(MODSEQ ")?;
                self.number()?;
                self.byte(b')')?;
                break;
            }
            uids.push(self.number_u32()?);
        }
        self.byte(b'\r')?;
        self.byte(b'\n')?;
        Ok(Some(uids))
    }

    /// `(\Seen $Label)`.
    fn flags(&mut self) -> Step<Flags> {
        self.byte(b'(')?;
        let mut names = Vec::new();
        if self.peek()? != b')' {
            loop {
                let start = self.pos;
                if self.peek()? == b'\\' {
                    self.pos += 1;
                    if self.peek()? == b'*' {
                        self.pos += 1;
                    } else {
                        self.take_while(is_atom_char)?;
                    }
                } else {
                    self.take_while(is_astring_char)?;
                }
                let name =
                    std::str::from_utf8(&self.input[start..self.pos]).map_err(|_| Stop::Other)?;
                names.push(name);
                match self.peek()? {
                    b' ' => self.pos += 1,
                    b')' => break,
                    _ => return Err(Stop::Other),
                }
            }
        }
        self.byte(b')')?;
        Ok(Flags::of(names))
    }

    /// `[HEADER.FIELDS (DATE FROM)]` and an optional `<origin>`.
    fn section(&mut self) -> Step<()> {
        self.byte(b'[')?;
        loop {
            match self.peek()? {
                b']' => break,
                b'\r' | b'\n' | b'[' => return Err(Stop::Other),
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        if self.peek()? == b'<' {
            self.pos += 1;
            self.number()?;
            self.byte(b'>')?;
        }
        Ok(())
    }

    fn body_structure(&mut self) -> Step<BodySummary> {
        let mut summary = BodySummary::default();
        self.body(0, &mut summary)?;
        Ok(summary)
    }

    /// One body (RFC 3501 `body`), its facts added to `s`; the top level's
    /// type becomes `s.mime_type`.
    fn body(&mut self, depth: u32, s: &mut BodySummary) -> Step<()> {
        if depth > SUMMARY_DEPTH {
            return self.skip_value(depth);
        }
        self.byte(b'(')?;
        if self.peek()? == b'(' {
            while self.peek()? == b'(' {
                self.body(depth + 1, s)?;
            }
            self.byte(b' ')?;
            let subtype = self.string()?;
            if depth == 0 {
                s.mime_type = mime_type(b"multipart", subtype);
            }
            return self.skip_rest_of_list(depth + 1);
        }
        let ty = self.string()?;
        self.byte(b' ')?;
        let subtype = self.string()?;
        let kind = if ty.eq_ignore_ascii_case(b"TEXT") {
            Kind::Text
        } else if ty.eq_ignore_ascii_case(b"MESSAGE") && subtype.eq_ignore_ascii_case(b"RFC822") {
            Kind::Message
        } else {
            Kind::Basic
        };
        if depth == 0 {
            s.mime_type = mime_type(ty, subtype);
        }
        // body-fields: params, id, description, encoding, octets
        self.byte(b' ')?;
        let mut named = self.has_param(b"name")?;
        for _ in 0..3 {
            self.byte(b' ')?;
            self.skip_value(depth + 1)?;
        }
        self.byte(b' ')?;
        self.number_u32()?;
        match kind {
            Kind::Text => {
                self.byte(b' ')?;
                self.number_u32()?;
            }
            Kind::Message => {
                // envelope, the attached message's body, lines: not walked
                for _ in 0..2 {
                    self.byte(b' ')?;
                    self.skip_value(depth + 1)?;
                }
                self.byte(b' ')?;
                self.number_u32()?;
            }
            Kind::Basic => {}
        }
        // body-ext-1part: md5, then the disposition
        let mut attachment_disposition = false;
        if self.peek()? == b' ' {
            self.pos += 1;
            self.skip_value(depth + 1)?;
            if self.peek()? == b' ' {
                self.pos += 1;
                if self.peek()? == b'(' {
                    self.pos += 1;
                    attachment_disposition = self.string()?.eq_ignore_ascii_case(b"attachment");
                    self.byte(b' ')?;
                    named |= self.has_param(b"filename")?;
                    self.byte(b')')?;
                } else {
                    self.word(b"NIL")?;
                }
            }
        }
        self.skip_rest_of_list(depth + 1)?;
        s.parts += 1;
        let non_text_leaf = depth > 0 && kind != Kind::Text;
        if attachment_disposition || (named && kind != Kind::Text) || non_text_leaf {
            s.has_attachment = true;
        }
        Ok(())
    }

    /// A parameter list (or NIL): whether one of its keys is `key`.
    fn has_param(&mut self, key: &[u8]) -> Step<bool> {
        if self.peek()? != b'(' {
            self.word(b"NIL")?;
            return Ok(false);
        }
        self.pos += 1;
        let mut found = false;
        loop {
            found |= self.string()?.eq_ignore_ascii_case(key);
            self.byte(b' ')?;
            self.string()?;
            match self.peek()? {
                b' ' => self.pos += 1,
                b')' => break,
                _ => return Err(Stop::Other),
            }
        }
        self.pos += 1;
        Ok(found)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Message,
    Basic,
}

fn mime_type(ty: &[u8], subtype: &[u8]) -> String {
    format!(
        "{}/{}",
        String::from_utf8_lossy(ty),
        String::from_utf8_lossy(subtype)
    )
    .to_ascii_lowercase()
}

#[cfg(test)]
#[path = "bulk_scan_tests.rs"]
mod tests;
