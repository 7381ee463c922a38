//! ISO 7816-4 command and response APDUs, and the exchange rules every CPS
//! operation relies on: command chaining for data longer than a short APDU,
//! `61xx` (more data: GET RESPONSE) and `6Cxx` (wrong Le: resend). Command
//! data lives in a zeroizing buffer because a VERIFY carries the PIN.
//! Invariant: nothing here panics on a card's answer, whatever its length.

use zeroize::Zeroizing;

use super::error::Error;
use super::transport::CardTransport;

/// Largest data field of one short command APDU.
const SHORT_LC_MAX: usize = 255;
/// Bound on GET RESPONSE rounds, so a card that always says `61xx` cannot keep us looping.
const MAX_GET_RESPONSE: usize = 64;
/// Bound on the total size of one answer (a certificate is a few KiB).
const MAX_RESPONSE: usize = 16 * 1024;

pub const SW_OK: u16 = 0x9000;

/// One command APDU (short form).
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Zeroizing<Vec<u8>>,
    /// Expected response length; `Some(256)` is encoded as `00`.
    pub le: Option<u16>,
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Zeroizing::new(Vec::new()),
            le: None,
        }
    }

    pub fn data(mut self, data: &[u8]) -> Command {
        self.data = Zeroizing::new(data.to_vec());
        self
    }

    pub fn le(mut self, le: u16) -> Command {
        self.le = Some(le.min(256));
        self
    }

    /// The wire form of one short APDU carrying `data` (≤ 255 bytes).
    fn encode(&self, cla: u8, data: &[u8], le: Option<u16>) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(5 + data.len() + 1));
        out.extend_from_slice(&[cla, self.ins, self.p1, self.p2]);
        if !data.is_empty() {
            // data.len() <= 255 is guaranteed by the caller (chaining splits).
            out.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(data);
        }
        if let Some(le) = le {
            out.push(if le >= 256 { 0 } else { le as u8 });
        }
        out
    }
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    /// Splits `data || SW1 SW2`.
    pub fn parse(raw: &[u8], command: &'static str) -> Result<Response, Error> {
        let Some(split) = raw.len().checked_sub(2) else {
            return Err(Error::Malformed {
                command,
                reason: "answer shorter than a status word",
            });
        };
        let sw = u16::from_be_bytes([raw[split], raw[split + 1]]);
        Ok(Response {
            data: raw[..split].to_vec(),
            sw,
        })
    }

    pub fn is_ok(&self) -> bool {
        self.sw == SW_OK
    }

    /// The data of a `9000` answer, or a typed error naming the command.
    pub fn ok(self, command: &'static str) -> Result<Vec<u8>, Error> {
        if self.is_ok() {
            Ok(self.data)
        } else {
            Err(Error::Status {
                command,
                sw: self.sw,
            })
        }
    }
}

/// Sends `cmd`, chaining long data and collecting long answers.
pub fn exchange(
    t: &mut dyn CardTransport,
    cmd: &Command,
    what: &'static str,
) -> Result<Response, Error> {
    let chunks: Vec<&[u8]> = if cmd.data.is_empty() {
        vec![&[][..]]
    } else {
        cmd.data.chunks(SHORT_LC_MAX).collect()
    };
    let last = chunks.len() - 1;
    let mut answer = None;
    for (i, chunk) in chunks.iter().enumerate() {
        if i < last {
            // ISO 7816-4 command chaining: bit 5 of CLA set on all but the last command.
            let wire = cmd.encode(cmd.cla | 0x10, chunk, None);
            let r = Response::parse(&t.transmit(&wire)?, what)?;
            if !r.is_ok() {
                return Ok(r);
            }
        } else {
            let wire = cmd.encode(cmd.cla, chunk, cmd.le);
            answer = Some(Response::parse(&t.transmit(&wire)?, what)?);
        }
    }
    let Some(mut r) = answer else {
        return Err(Error::Malformed {
            command: what,
            reason: "no answer",
        });
    };
    if r.sw & 0xFF00 == 0x6C00 && cmd.data.len() <= SHORT_LC_MAX {
        // Wrong Le: the card tells the right one; send once more with it.
        let le = match r.sw & 0xFF {
            0 => 256,
            n => n,
        };
        let wire = cmd.encode(cmd.cla, &cmd.data, Some(le));
        r = Response::parse(&t.transmit(&wire)?, what)?;
    }
    let mut data = std::mem::take(&mut r.data);
    let mut rounds = 0;
    while r.sw & 0xFF00 == 0x6100 {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE || data.len() > MAX_RESPONSE {
            return Err(Error::Malformed {
                command: what,
                reason: "answer never ends",
            });
        }
        let le = match r.sw & 0xFF {
            0 => 256,
            n => n,
        };
        let get = Command::new(cmd.cla & 0x03, 0xC0, 0, 0).le(le);
        r = Response::parse(&t.transmit(&get.encode(get.cla, &[], get.le))?, what)?;
        data.append(&mut r.data);
    }
    if data.len() > MAX_RESPONSE {
        return Err(Error::Malformed {
            command: what,
            reason: "answer too long",
        });
    }
    Ok(Response { data, sw: r.sw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::transport::ScriptedTransport;

    #[test]
    fn encodes_case_1_to_4() {
        let c = Command::new(0, 0xA4, 4, 0x0C).data(&[1, 2]);
        assert_eq!(&*c.encode(0, &c.data, c.le), &[0, 0xA4, 4, 0x0C, 2, 1, 2]);
        let c = Command::new(0, 0xB0, 0, 0).le(256);
        assert_eq!(&*c.encode(0, &c.data, c.le), &[0, 0xB0, 0, 0, 0]);
        let c = Command::new(0, 0x20, 0, 1);
        assert_eq!(&*c.encode(0, &c.data, c.le), &[0, 0x20, 0, 1]);
    }

    #[test]
    fn short_answer_is_a_typed_error() {
        assert!(matches!(
            Response::parse(&[0x90], "X"),
            Err(Error::Malformed { .. })
        ));
        assert!(matches!(
            Response::parse(&[], "X"),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn long_data_is_chained_and_61xx_collected() {
        let mut t = ScriptedTransport::new(vec![
            vec![0x90, 0x00],
            vec![1, 2, 0x61, 0x02],
            vec![3, 4, 0x90, 0x00],
        ]);
        let cmd = Command::new(0, 0x2A, 0x80, 0x86).data(&[7u8; 300]).le(256);
        let r = exchange(&mut t, &cmd, "PSO").unwrap();
        assert_eq!(
            r,
            Response {
                data: vec![1, 2, 3, 4],
                sw: 0x9000
            }
        );
        let sent = t.sent();
        assert_eq!(sent[0][0], 0x10, "first chunk has the chaining bit");
        assert_eq!(sent[0][4], 255);
        assert_eq!(sent[1][0], 0x00);
        assert_eq!(sent[1][4], 45);
        assert_eq!(sent[2], vec![0, 0xC0, 0, 0, 2]);
    }

    #[test]
    fn endless_61xx_is_bounded() {
        let mut t = ScriptedTransport::new(vec![vec![0x61, 0x10]; 200]);
        let r = exchange(&mut t, &Command::new(0, 0xB0, 0, 0).le(256), "READ");
        assert!(matches!(r, Err(Error::Malformed { .. })));
    }

    #[test]
    fn wrong_le_is_resent() {
        let mut t = ScriptedTransport::new(vec![vec![0x6C, 0x03], vec![9, 9, 9, 0x90, 0x00]]);
        let r = exchange(&mut t, &Command::new(0, 0xCA, 0, 0).le(256), "GET DATA").unwrap();
        assert_eq!(r.data, vec![9, 9, 9]);
        assert_eq!(t.sent()[1], vec![0, 0xCA, 0, 0, 3]);
    }
}
