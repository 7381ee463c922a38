//! A bound on how deeply a server may nest parenthesised lists.
//!
//! `imap_proto` parses lists by recursion: one response of 100 000 opening
//! parentheses (a hostile or broken server's BODYSTRUCTURE) overflows the
//! thread's stack, and a stack overflow aborts the whole process, card
//! session and unsaved drafts included. Every byte the server sends passes
//! through [`NestingGuard`], which follows the response syntax just enough
//! to count open lists outside quoted strings and literals, and ends the
//! connection with an error once a response nests deeper than
//! [`MAX_NESTING`]. Real answers stay far below it: Dovecot refuses to
//! parse MIME nested deeper than 100 parts, and a body structure adds two
//! levels per part at most.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Deepest list nesting accepted in one response.
pub const MAX_NESTING: u32 = 200;

/// Bytes that change nothing in a state (`true`: skipped).
type SkipTable = [bool; 256];

const fn skipped_except(specials: &[u8]) -> SkipTable {
    let mut table = [true; 256];
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = false;
        i += 1;
    }
    table
}

const NORMAL_SPECIALS: SkipTable = skipped_except(b"()\"{\n");
const QUOTED_SPECIALS: SkipTable = skipped_except(b"\"\\\n");
const NONE_SKIPPED: SkipTable = [false; 256];

/// Where the scan is in the server's byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    Quoted,
    QuotedEscape,
    /// After `{`: the literal's announced size so far.
    LiteralSize(u64),
    /// After `{n}`: the CR, then the LF, before the literal's bytes.
    LiteralCr(u64),
    LiteralLf(u64),
    /// Bytes of a literal still to come (never counted).
    Literal(u64),
}

/// The byte stream of an IMAP connection, its nesting watched.
#[derive(Debug)]
pub struct NestingGuard<S> {
    inner: S,
    state: State,
    depth: u32,
}

impl<S> NestingGuard<S> {
    pub fn new(inner: S) -> Self {
        NestingGuard {
            inner,
            state: State::Normal,
            depth: 0,
        }
    }

    /// Follows `bytes`; an error once a response nests too deeply.
    fn watch(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut i = 0;
        while i < bytes.len() {
            // Runs of ordinary bytes are skipped a table lookup at a time:
            // every byte of a 100 MB answer passes here.
            let skip = match self.state {
                State::Normal => &NORMAL_SPECIALS,
                State::Quoted => &QUOTED_SPECIALS,
                _ => &NONE_SKIPPED,
            };
            i += bytes[i..]
                .iter()
                .position(|b| !skip[usize::from(*b)])
                .unwrap_or(bytes.len() - i);
            if i == bytes.len() {
                break;
            }
            if let State::Literal(left) = self.state {
                let take = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len() - i);
                i += take;
                let left = left - take as u64;
                self.state = if left == 0 {
                    State::Normal
                } else {
                    State::Literal(left)
                };
                continue;
            }
            let b = bytes[i];
            i += 1;
            self.state = match (self.state, b) {
                (State::Normal, b'(') => {
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "the server sent a response nested deeper than {MAX_NESTING} levels"
                            ),
                        ));
                    }
                    State::Normal
                }
                (State::Normal, b')') => {
                    self.depth = self.depth.saturating_sub(1);
                    State::Normal
                }
                (State::Normal, b'"') => State::Quoted,
                (State::Normal, b'{') => State::LiteralSize(0),
                (State::Normal | State::Quoted | State::QuotedEscape, b'\n') => {
                    // a response ends (a quoted string cannot hold a line break)
                    self.depth = 0;
                    State::Normal
                }
                (State::Normal, _) => State::Normal,
                (State::Quoted, b'\\') => State::QuotedEscape,
                (State::Quoted, b'"') => State::Normal,
                (State::Quoted, _) | (State::QuotedEscape, _) => State::Quoted,
                (State::LiteralSize(n), b'0'..=b'9') => {
                    State::LiteralSize(n.saturating_mul(10).saturating_add(u64::from(b - b'0')))
                }
                (State::LiteralSize(n), b'+') => State::LiteralSize(n),
                (State::LiteralSize(n), b'}') => State::LiteralCr(n),
                (State::LiteralCr(n), b'\r') => State::LiteralLf(n),
                (State::LiteralLf(0), b'\n') => State::Normal,
                (State::LiteralLf(n), b'\n') => State::Literal(n),
                // not a literal after all: read on as ordinary text
                (State::LiteralSize(_) | State::LiteralCr(_) | State::LiteralLf(_), _) => {
                    if b == b'\n' {
                        self.depth = 0;
                    }
                    State::Normal
                }
                (State::Literal(_), _) => State::Normal,
            };
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for NestingGuard<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let watched = this.watch(&buf.filled()[before..]);
                if watched.is_err() {
                    // nothing of a refused read is handed on
                    buf.set_filled(before);
                }
                Poll::Ready(watched)
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for NestingGuard<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "nesting_guard_tests.rs"]
mod tests;
