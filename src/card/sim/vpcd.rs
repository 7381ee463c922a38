//! The vsmartcard-vpcd client: puts a [`Simulator`] card into a real pcscd's
//! virtual reader. vpcd listens on a TCP port per slot; we connect (= card
//! inserted), then answer its frames (`u16` big-endian length + payload):
//! one-byte control codes 0x00 power off, 0x01 power on, 0x02 reset (no
//! answer; the card forgets its security state) and 0x04 "get ATR"; longer
//! frames are APDUs answered with `data || SW`. Closing the socket = removal.
//! pcscd polls presence every 400 ms, so a read that waits [`IDLE_LIMIT`]
//! without any frame means pcscd is gone and the card stops.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Simulator;
use crate::card::error::Error;

/// Longest silence from vpcd before we consider it gone.
pub const IDLE_LIMIT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A simulated card inserted in a vpcd reader; dropping it removes the card.
pub struct VpcdCard {
    stream: TcpStream,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl VpcdCard {
    /// Connects to vpcd at `addr` (inserting the card) and serves it from a thread.
    pub fn insert(addr: &str, sim: Simulator) -> Result<VpcdCard, Error> {
        let io = |context: String| move |source| Error::Io { context, source };
        let target = addr
            .to_socket_addrs()
            .map_err(io(format!("bad vpcd address {addr}")))?
            .next()
            .ok_or_else(|| Error::Io {
                context: format!("no address for {addr}"),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
        let stream = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT).map_err(io(format!(
            "cannot reach vpcd at {addr} (is pcscd running with the vpcd driver?)"
        )))?;
        stream
            .set_nodelay(true)
            .map_err(io("socket option".into()))?;
        stream
            .set_read_timeout(Some(IDLE_LIMIT))
            .map_err(io("socket option".into()))?;
        stream
            .set_write_timeout(Some(IDLE_LIMIT))
            .map_err(io("socket option".into()))?;
        let mut served = stream.try_clone().map_err(io("socket clone".into()))?;
        sim.insert();
        let thread = std::thread::Builder::new()
            .name("cachet-vpcd".into())
            .spawn(move || serve(&mut served, &sim))
            .map_err(io("cannot start the vpcd thread".into()))?;
        Ok(VpcdCard {
            stream,
            thread: Some(thread),
        })
    }

    /// Pulls the card out of the reader and waits for the serving thread.
    pub fn remove(mut self) -> Result<(), Error> {
        self.stop()
    }

    /// Whether the serving thread still runs (false once vpcd hung up).
    pub fn is_inserted(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Blocks until vpcd hangs up (for `cachet card simulate`).
    pub fn wait(mut self) -> Result<(), Error> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Pki {
                context: "the vpcd thread failed".into(),
            }),
            None => Ok(()),
        }
    }

    fn stop(&mut self) -> Result<(), Error> {
        // Shutting the socket down wakes the blocked read at once; vpcd sees EOF = removal.
        let _ = self.stream.shutdown(Shutdown::Both);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(Error::Io { .. }))) | Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(Error::Pki {
                context: "the vpcd thread failed".into(),
            }),
        }
    }
}

impl Drop for VpcdCard {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn serve(s: &mut TcpStream, sim: &Simulator) -> Result<(), Error> {
    let io = |source| Error::Io {
        context: "vpcd connection".into(),
        source,
    };
    loop {
        let mut head = [0u8; 2];
        match s.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(io(e)),
        }
        // Zeroizing: frames carry the PIN of VERIFY commands.
        let mut frame = zeroize::Zeroizing::new(vec![0u8; usize::from(u16::from_be_bytes(head))]);
        s.read_exact(&mut frame).map_err(io)?;
        let reply = match frame.as_slice() {
            [0x04] => Some(sim.with_card(|c| c.atr())),
            [0x00] | [0x01] | [0x02] => {
                sim.with_card(|c| c.reset());
                None
            }
            [_] | [] => None,
            apdu => Some(sim.with_card(|c| c.process(apdu))),
        };
        if let Some(r) = reply {
            let len = u16::try_from(r.len()).unwrap_or(u16::MAX);
            let mut out = len.to_be_bytes().to_vec();
            out.extend_from_slice(&r[..usize::from(len)]);
            s.write_all(&out).map_err(io)?;
        }
    }
}
