//! The stored form of a message summary ([`Envelope`]): a compact binary
//! record. Summaries written by earlier versions are JSON objects and are
//! still read: a JSON object starts with `{`, a binary record with its
//! version byte, so each summary says which it is.
//!
//! The binary form is about half the size of the JSON one (no field names,
//! no quoting) and several times faster both ways; a first sync of 100 000
//! messages encodes 100 000 of them, and every screen of the list decodes
//! a few pages of them.
//!
//! Version 1, all integers little-endian; a string is a `u32` length and
//! UTF-8 bytes, an optional string a `0`/`1` byte then the string, a list
//! a `u32` count then its items:
//!
//! ```text
//! 0x01, uid u32, size u64, marks u8 (seen, answered, flagged, deleted,
//! draft, attachment, receipt requested, report: bits 0..7),
//! date: 0 | 1 utc_seconds i64 offset_minutes i16,
//! message_id opt, in_reply_to opt, subject, references [string],
//! from, to, cc: [name opt, email], keywords [string]
//! ```

use crate::domain::envelope::{Address, Envelope, Flags, MailDate};

use super::error::Error;
use super::index::ThreadKey;
use super::record_reader::RecordReader;

const VERSION: u8 = 1;
const WHAT: &str = "message summary";

/// The stored bytes of a summary.
pub fn encode(env: &Envelope) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 + env.subject.len()));
    w.0.push(VERSION);
    w.0.extend_from_slice(&env.uid.to_le_bytes());
    w.0.extend_from_slice(&env.size.to_le_bytes());
    let f = &env.flags;
    let marks = [
        f.seen,
        f.answered,
        f.flagged,
        f.deleted,
        f.draft,
        env.has_attachment,
        env.receipt_requested,
        env.is_report,
    ]
    .iter()
    .enumerate()
    .fold(0u8, |acc, (bit, on)| acc | (u8::from(*on) << bit));
    w.0.push(marks);
    match env.date {
        Some(d) => {
            w.0.push(1);
            w.0.extend_from_slice(&d.utc_seconds.to_le_bytes());
            w.0.extend_from_slice(&d.offset_minutes.to_le_bytes());
        }
        None => w.0.push(0),
    }
    w.opt_str(env.message_id.as_deref());
    w.opt_str(env.in_reply_to.as_deref());
    w.str(&env.subject);
    w.strs(&env.references);
    for list in [&env.from, &env.to, &env.cc] {
        w.count(list.len());
        for a in list {
            w.opt_str(a.name.as_deref());
            w.str(&a.email);
        }
    }
    w.strs(&f.keywords);
    w.0
}

/// A stored summary, binary or (written by an earlier version) JSON.
pub fn decode(bytes: &[u8]) -> Result<Envelope, Error> {
    match bytes.first() {
        Some(b'{') => Ok(serde_json::from_slice(bytes)?),
        Some(&VERSION) => decode_binary(bytes),
        _ => Err(Error::Corrupt { what: WHAT }),
    }
}

/// The thread key of a stored summary.
pub fn thread_key(bytes: &[u8]) -> Result<ThreadKey, Error> {
    match bytes.first() {
        Some(b'{') => Ok(ThreadKey::from_summary_json(bytes)?),
        _ => Ok(ThreadKey::of(&decode(bytes)?)),
    }
}

fn decode_binary(bytes: &[u8]) -> Result<Envelope, Error> {
    let mut r = Reader(RecordReader::new(bytes, WHAT));
    r.0.u8()?;
    let uid = r.0.u32()?;
    let size = u64::from_le_bytes(r.array()?);
    let marks = r.0.u8()?;
    let bit = |n: u8| marks & (1 << n) != 0;
    let date = match r.0.u8()? {
        0 => None,
        1 => Some(MailDate {
            utc_seconds: i64::from_le_bytes(r.array()?),
            offset_minutes: i16::from_le_bytes(r.array()?),
        }),
        _ => return Err(r.0.corrupt()),
    };
    let message_id = r.opt_str()?;
    let in_reply_to = r.opt_str()?;
    let subject = r.str()?;
    let references = r.strs()?;
    let mut lists: [Vec<Address>; 3] = Default::default();
    for list in &mut lists {
        let n = r.count()?;
        for _ in 0..n {
            list.push(Address {
                name: r.opt_str()?,
                email: r.str()?,
            });
        }
    }
    let keywords = r.strs()?;
    r.0.finish()?;
    let [from, to, cc] = lists;
    Ok(Envelope {
        uid,
        message_id,
        in_reply_to,
        references,
        from,
        to,
        cc,
        date,
        subject,
        size,
        flags: Flags {
            seen: bit(0),
            answered: bit(1),
            flagged: bit(2),
            deleted: bit(3),
            draft: bit(4),
            keywords,
        },
        has_attachment: bit(5),
        receipt_requested: bit(6),
        is_report: bit(7),
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn count(&mut self, n: usize) {
        // a header field cannot hold 4 G items or bytes: the parser's limits
        // are far below (saturating keeps the record decodable regardless)
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        let bytes = &s.as_bytes()[..s.len().min(u32::MAX as usize)];
        self.count(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
            None => self.0.push(0),
        }
    }

    fn strs(&mut self, items: &[String]) {
        self.count(items.len());
        for s in items {
            self.str(s);
        }
    }
}

struct Reader<'a>(RecordReader<'a>);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let bytes = self.0.bytes(N)?;
        bytes.try_into().map_err(|_| self.0.corrupt())
    }

    /// A count, bounded by what is left (each item takes at least 4 bytes),
    /// so a corrupt count cannot reserve gigabytes.
    fn count(&mut self) -> Result<usize, Error> {
        let n = self.0.u32()? as usize;
        if n > self.0.remaining() / 4 {
            return Err(self.0.corrupt());
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<String, Error> {
        let n = self.0.u32()? as usize;
        let bytes = self.0.bytes(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.0.corrupt())
    }

    fn opt_str(&mut self) -> Result<Option<String>, Error> {
        match self.0.u8()? {
            0 => Ok(None),
            1 => self.str().map(Some),
            _ => Err(self.0.corrupt()),
        }
    }

    fn strs(&mut self) -> Result<Vec<String>, Error> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.str()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "summary_codec_tests.rs"]
mod tests;
