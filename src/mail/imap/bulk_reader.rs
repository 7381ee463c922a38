//! Reading a bulk answer (a FETCH of thousands of envelopes) straight from
//! the connection. async-imap 0.12 decodes every response into a freshly
//! allocated, zeroed 4 kB block and copies what follows it into another one:
//! at 100 000 envelopes that was most of the session thread's time. Here the
//! answer is read into one buffer, each response is read in place by a
//! scanner of [`super::bulk_scan`] (the rest, and whatever it leaves, by
//! the same parser `imap_proto`), and the buffer is compacted once per read.
//!
//! The command goes out with a tag of its own and is read to its tagged
//! answer, so async-imap, which never sees it, is left between two commands
//! as it was. A response longer than [`MAX_RESPONSE_BYTES`] (a hostile
//! literal size) is refused instead of buffered.

use std::sync::atomic::{AtomicU64, Ordering};

use async_imap::imap_proto::{RequestId, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::bulk_scan::Scan;
use super::conn::{ImapConn, answer};
use super::error::{Error, bounded};

/// Bytes asked of the connection per read.
const READ_BYTES: usize = 64 * 1024;
/// The longest single response accepted (async-imap's own bound is 512 MB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Tags of the commands sent here, unlike async-imap's (`A1`, `A2`, ...).
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

impl ImapConn {
    /// Sends one command and hands `each` what its answer says, as
    /// [`ImapConn::run_each`] would, reading the answer itself: each
    /// response through `scan` when it can read it, else through
    /// `imap_proto` and `general`.
    pub(crate) async fn run_bulk<T>(
        &mut self,
        what: &'static str,
        command: &str,
        scan: fn(&[u8]) -> Scan<T>,
        general: fn(&Response<'_>) -> Option<T>,
        mut each: impl FnMut(T) + Send,
    ) -> Result<(), Error> {
        let limit = self.timeouts().command;
        let tag = RequestId(format!("B{}", NEXT_TAG.fetch_add(1, Ordering::Relaxed)));
        let stream = self.session.get_mut();
        let line = format!("{} {command}\r\n", tag.0);
        bounded(what, limit, async {
            stream.write_all(line.as_bytes()).await.map_err(Error::Io)?;
            stream.flush().await.map_err(Error::Io)
        })
        .await?;
        let mut buf: Vec<u8> = Vec::with_capacity(READ_BYTES * 2);
        // Bytes of `buf` before this offset are parsed responses.
        let mut parsed = 0;
        // Unparsed bytes needed before parsing again: a literal's announced
        // size is waited for, not re-parsed at every read.
        let mut wanted = 0;
        loop {
            while buf.len() - parsed >= wanted {
                let rest = &buf[parsed..];
                match scan(rest) {
                    Scan::Read { used, item } => {
                        if let Some(item) = item {
                            each(item);
                        }
                        parsed += used;
                        wanted = 0;
                        continue;
                    }
                    Scan::Incomplete { wanted: more } => {
                        wanted = more;
                        break;
                    }
                    Scan::Other => {}
                }
                match Response::parse(rest) {
                    Ok((after, response)) => {
                        let used = rest.len() - after.len();
                        if used == 0 {
                            // a parser that consumed nothing would loop here
                            return Err(Error::Protocol {
                                detail: format!("an empty response to {what}"),
                            });
                        }
                        let mut read = |r: &Response<'_>| {
                            if let Some(item) = general(r) {
                                each(item);
                            }
                        };
                        if let Some(ended) = answer(what, &tag, &response, &mut read) {
                            if after.iter().any(|b| !b.is_ascii_whitespace()) {
                                // untagged news after the answer (rare): the
                                // next sync finds what it said
                                tracing::debug!(
                                    bytes = after.len(),
                                    "data after a bulk answer dropped"
                                );
                            }
                            return ended;
                        }
                        parsed += used;
                        wanted = 0;
                    }
                    Err(nom::Err::Incomplete(needed)) => {
                        wanted = match needed {
                            nom::Needed::Size(more) => rest.len().saturating_add(more.get()),
                            nom::Needed::Unknown => rest.len() + 1,
                        };
                        break;
                    }
                    Err(_) => {
                        let shown: String = String::from_utf8_lossy(&rest[..rest.len().min(200)])
                            .chars()
                            .filter(|c| !c.is_control())
                            .collect();
                        return Err(Error::Protocol {
                            detail: format!("unreadable answer to {what}: {shown}"),
                        });
                    }
                }
            }
            buf.drain(..parsed);
            parsed = 0;
            if buf.len() > MAX_RESPONSE_BYTES || wanted > MAX_RESPONSE_BYTES {
                return Err(Error::Protocol {
                    detail: format!(
                        "a response to {what} is longer than {MAX_RESPONSE_BYTES} bytes"
                    ),
                });
            }
            buf.reserve(READ_BYTES);
            let stream = self.session.get_mut();
            let read = bounded(what, limit, async {
                stream.read_buf(&mut buf).await.map_err(Error::Io)
            })
            .await?;
            if read == 0 {
                return Err(Error::ConnectionLost);
            }
        }
    }
}
