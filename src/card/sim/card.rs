//! The simulated CPS card: an ISO 7816-4 state machine that answers the APDUs
//! a real CPS3 or CPS4 answers (SELECT by AID/FID/path, READ BINARY, VERIFY
//! with a try counter and blocking, GET DATA of the PIN object, MSE SET,
//! INTERNAL AUTHENTICATE, PSO CDS, PSO DECIPHER, GET RESPONSE, GET
//! CHALLENGE) and the right status word for anything else. Like a real card,
//! it forgets the verified PIN and the security environment on reset, but
//! keeps the try counter. It never panics on a malformed command.

use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use crate::card::kind::{
    AID_CHIPDOC, ANS_ISSUER, CardKind, FID_AUTH_CERT, FID_SN_ICC, KEY_AUTH, KEY_SIGN, PIN_REF,
};
use crate::card::padding::{HashAlg, digest_info};
use crate::card::pkcs15;
use crate::card::tlv;

/// Longest answer data before the card switches to `61xx` + GET RESPONSE
/// (CPS3's `max_recv_size`).
const MAX_ANSWER: usize = 0xE7;

/// The simulator's certificate directory file and second certificate.
const FID_CDF: [u8; 2] = [0x50, 0x32];
const FID_OTHER_CERT: [u8; 2] = [0xD0, 0x02];

/// ATRs the simulator presents.
pub const ATR_CPS3: [u8; 17] = [
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
pub const ATR_CPS3_CL: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80,
    0x82, 0x90, 0x00, 0x0E,
];
pub const ATR_CPS4: [u8; 17] = [
    0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00, 0x90,
    0x44,
];

/// What a simulated card holds.
pub struct SimConfig {
    pub kind: CardKind,
    pub pin: Zeroizing<Vec<u8>>,
    pub max_tries: u8,
    /// The authentication certificate (file `D001`).
    pub certificate: Vec<u8>,
    /// Another certificate listed first in the PKCS#15 directory (file
    /// `D002`, standing for the signature certificate), so that a reader
    /// that picks the wrong entry shows the wrong holder.
    pub other_certificate: Vec<u8>,
    pub key: rsa::PrivateKey,
    /// Five bytes of serial number after the ANS issuer in EF.SN.ICC.
    pub serial: [u8; 5],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Df {
    Mf,
    App,
    ChipDoc,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Template {
    Auth,
    Signature,
    Confidentiality,
}

/// Card state.
pub struct SimCard {
    cfg: SimConfig,
    tries_left: u8,
    verified: bool,
    df: Df,
    ef: Option<[u8; 2]>,
    se: Option<(Template, u8)>,
    chain: Option<(u8, Zeroizing<Vec<u8>>)>,
    pending: Vec<u8>,
}

fn sw(code: u16) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

impl SimCard {
    pub fn new(cfg: SimConfig) -> SimCard {
        let tries_left = cfg.max_tries;
        SimCard {
            cfg,
            tries_left,
            verified: false,
            df: Df::Mf,
            ef: None,
            se: None,
            chain: None,
            pending: Vec::new(),
        }
    }

    pub fn atr(&self) -> Vec<u8> {
        match self.cfg.kind {
            CardKind::Cps4 => ATR_CPS4.to_vec(),
            CardKind::Cps3Contactless => ATR_CPS3_CL.to_vec(),
            CardKind::Cps3Contact => ATR_CPS3.to_vec(),
        }
    }

    pub fn kind(&self) -> CardKind {
        self.cfg.kind
    }

    /// Power off / power on / warm reset: security state is lost, the try counter is not.
    pub fn reset(&mut self) {
        self.verified = false;
        self.df = Df::Mf;
        self.ef = None;
        self.se = None;
        self.chain = None;
        self.pending.clear();
    }

    fn sn_icc(&self) -> Vec<u8> {
        [&[0x00, 0x0A][..], &ANS_ISSUER, &self.cfg.serial].concat()
    }

    /// Answers one command APDU with `data || SW1 SW2`.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some(cmd) = Parsed::parse(apdu) else {
            return sw(0x6700);
        };
        let cla = cmd.cla;
        if cla & 0xE0 != 0 || cla & 0x0C != 0 {
            return sw(0x6E00);
        }
        if cmd.ins != 0xC0 {
            self.pending.clear();
        }
        // Command chaining (CLA bit 5): gather, answer 9000, execute on the last part.
        let data: Zeroizing<Vec<u8>> = match (cla & 0x10 != 0, self.chain.take()) {
            (true, prev) => {
                let mut buf = match prev {
                    Some((ins, buf)) if ins == cmd.ins => buf,
                    _ => Zeroizing::new(Vec::new()),
                };
                if buf.len() + cmd.data.len() > 4096 {
                    return sw(0x6700);
                }
                buf.extend_from_slice(cmd.data);
                self.chain = Some((cmd.ins, buf));
                return sw(0x9000);
            }
            (false, Some((ins, mut buf))) if ins == cmd.ins => {
                buf.extend_from_slice(cmd.data);
                buf
            }
            (false, _) => Zeroizing::new(cmd.data.to_vec()),
        };
        let le = cmd.le;
        let answer = match cmd.ins {
            0xA4 => self.select(cmd.p1, cmd.p2, &data),
            0xB0 => self.read_binary(cmd.p1, cmd.p2, le),
            0x20 => self.verify(cmd.p1, cmd.p2, &data),
            0xCB => self.get_data(cmd.p1, cmd.p2, &data),
            0x22 => self.mse_set(cmd.p1, cmd.p2, &data),
            0x88 => self.internal_authenticate(&data),
            0x2A => self.pso(cmd.p1, cmd.p2, &data),
            0x84 => self.get_challenge(le),
            0xC0 => return self.get_response(le),
            _ => return sw(0x6D00),
        };
        self.finish(answer, le)
    }

    /// Applies the answer size limit: long data goes out through GET RESPONSE.
    fn finish(&mut self, (mut data, status): (Vec<u8>, u16), le: Option<usize>) -> Vec<u8> {
        let limit = le.unwrap_or(256).min(MAX_ANSWER);
        if status == 0x9000 && data.len() > limit {
            self.pending = data.split_off(limit);
            let rest = self.pending.len();
            data.extend_from_slice(&[0x61, if rest >= 256 { 0 } else { rest as u8 }]);
            return data;
        }
        data.extend_from_slice(&status.to_be_bytes());
        data
    }

    fn get_response(&mut self, le: Option<usize>) -> Vec<u8> {
        if self.pending.is_empty() {
            return sw(0x6985);
        }
        let data = std::mem::take(&mut self.pending);
        self.finish((data, 0x9000), le)
    }

    fn select(&mut self, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let found = match (p1, data) {
            (0x04, aid) if aid == self.cfg.kind.aid() && self.app_reachable() => {
                Some((Df::App, None))
            }
            (0x04, aid) if aid == AID_CHIPDOC && self.cfg.kind == CardKind::Cps4 => {
                Some((Df::ChipDoc, None))
            }
            (0x00, [0x3F, 0x00]) | (0x00, []) => Some((Df::Mf, None)),
            (0x00 | 0x02 | 0x09, [a, b]) => {
                self.child(self.df, [*a, *b]).map(|f| (self.df, Some(f)))
            }
            (0x08, [0x3F, 0x00, a, b]) | (0x08, [a, b]) => {
                self.child(Df::Mf, [*a, *b]).map(|f| (Df::Mf, Some(f)))
            }
            (0x00 | 0x02 | 0x04 | 0x08 | 0x09, _) => None,
            _ => return (Vec::new(), 0x6A86),
        };
        let Some((df, ef)) = found else {
            return (Vec::new(), 0x6A82);
        };
        self.df = df;
        self.ef = ef;
        match p2 & 0x0C {
            0x0C => (Vec::new(), 0x9000),
            _ => {
                let size = ef.map_or(0, |f| self.file(f).map_or(0, |c| c.len()));
                let id = ef.unwrap_or([0x3F, 0x00]);
                let fcp = [
                    tlv::encode(&[0x80], &(size as u16).to_be_bytes()),
                    tlv::encode(&[0x83], &id),
                ]
                .concat();
                (tlv::encode(&[0x62], &fcp), 0x9000)
            }
        }
    }

    /// CPS4's PKCS#15 application is reached through the ChipDoc applet.
    fn app_reachable(&self) -> bool {
        self.cfg.kind != CardKind::Cps4 || matches!(self.df, Df::ChipDoc | Df::App)
    }

    fn child(&self, df: Df, fid: [u8; 2]) -> Option<[u8; 2]> {
        match (df, fid) {
            (Df::Mf, FID_SN_ICC) => Some(fid),
            (Df::App, FID_AUTH_CERT | FID_OTHER_CERT | FID_CDF | pkcs15::FID_ODF) => Some(fid),
            _ => None,
        }
    }

    fn file(&self, fid: [u8; 2]) -> Option<Vec<u8>> {
        match fid {
            FID_SN_ICC => Some(self.sn_icc()),
            FID_AUTH_CERT => Some(self.cfg.certificate.clone()),
            FID_OTHER_CERT => Some(self.cfg.other_certificate.clone()),
            pkcs15::FID_ODF => Some(pkcs15::encode_odf(&FID_CDF)),
            FID_CDF => {
                let mut sign_id = pkcs15::AUTH_KEY_ID.to_vec();
                sign_id[13] = 0x01;
                Some(
                    [
                        pkcs15::encode_entry("CPS signature", &sign_id, &FID_OTHER_CERT),
                        pkcs15::encode_entry(
                            "CPS authentication",
                            &pkcs15::AUTH_KEY_ID,
                            &FID_AUTH_CERT,
                        ),
                    ]
                    .concat(),
                )
            }
            _ => None,
        }
    }

    fn read_binary(&mut self, p1: u8, p2: u8, le: Option<usize>) -> (Vec<u8>, u16) {
        if p1 & 0x80 != 0 {
            return (Vec::new(), 0x6A81); // short EF identifiers are not offered
        }
        let Some(content) = self.ef.and_then(|f| self.file(f)) else {
            return (Vec::new(), 0x6986);
        };
        let offset = usize::from(u16::from_be_bytes([p1, p2]));
        if offset > content.len() {
            return (Vec::new(), 0x6B00);
        }
        let want = le.unwrap_or(256).min(MAX_ANSWER);
        let end = (offset + want).min(content.len());
        let status = if end - offset < want { 0x6282 } else { 0x9000 };
        (content[offset..end].to_vec(), status)
    }

    fn verify(&mut self, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        if p1 != 0 || p2 != PIN_REF {
            return (Vec::new(), 0x6A88);
        }
        if self.tries_left == 0 {
            return (Vec::new(), 0x6983);
        }
        if data.is_empty() {
            return (
                Vec::new(),
                if self.verified {
                    0x9000
                } else {
                    0x63C0 | u16::from(self.tries_left)
                },
            );
        }
        // Strip the 0xFF / 0x00 padding some middleware adds.
        let end = data
            .iter()
            .rposition(|b| *b != 0xFF && *b != 0x00)
            .map_or(0, |i| i + 1);
        let given = &data[..end];
        let expected: &[u8] = &self.cfg.pin;
        let same = given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            self.tries_left = self.cfg.max_tries;
            self.verified = true;
            (Vec::new(), 0x9000)
        } else {
            self.verified = false;
            self.tries_left -= 1;
            (
                Vec::new(),
                if self.tries_left == 0 {
                    0x6983
                } else {
                    0x63C0 | u16::from(self.tries_left)
                },
            )
        }
    }

    fn get_data(&mut self, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        if [p1, p2] != [0x3F, 0xFF] {
            return (Vec::new(), 0x6A88);
        }
        let asked_pin = tlv::find(data, &[0xBF, 0x81, PIN_REF]).is_some()
            || data.windows(3).any(|w| w == [0xBF, 0x81, PIN_REF]);
        if !asked_pin {
            return (Vec::new(), 0x6A88);
        }
        let inner = [
            tlv::encode(&[0x9A], &[self.cfg.max_tries]),
            tlv::encode(&[0x9B], &[self.tries_left]),
        ]
        .concat();
        let sdo = tlv::encode(&[0xBF, 0x81, PIN_REF], &tlv::encode(&[0xA0], &inner));
        (tlv::encode(&[0x70], &sdo), 0x9000)
    }

    fn mse_set(&mut self, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        let template = match (p1 & 0x0F, p2) {
            (0x01, 0xA4) => Template::Auth,
            (0x01, 0xB6) => Template::Signature,
            (0x01, 0xB8) => Template::Confidentiality,
            _ => return (Vec::new(), 0x6A86),
        };
        let Some(objects) = tlv::parse(data) else {
            return (Vec::new(), 0x6A80);
        };
        let key = objects.iter().find_map(|t| match (t.tag, t.value) {
            ([0x83 | 0x84], [k]) => Some(*k),
            ([0x91], [_, k]) => Some(*k | 0x80),
            _ => None,
        });
        match key {
            Some(k) if k == KEY_AUTH || k == KEY_SIGN => {
                self.se = Some((template, k));
                (Vec::new(), 0x9000)
            }
            Some(_) => (Vec::new(), 0x6A88),
            None => (Vec::new(), 0x6A80),
        }
    }

    fn key_len(&self) -> usize {
        self.cfg.key.size()
    }

    fn sign_pkcs1(&self, t: &[u8]) -> (Vec<u8>, u16) {
        if t.len() + 11 > self.key_len() {
            return (Vec::new(), 0x6700);
        }
        match self.cfg.key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), t) {
            Ok(s) => (s, 0x9000),
            Err(_) => (Vec::new(), 0x6F00),
        }
    }

    fn internal_authenticate(&mut self, data: &[u8]) -> (Vec<u8>, u16) {
        if self.cfg.kind == CardKind::Cps4 {
            return (Vec::new(), 0x6D00); // CPS4 authenticates through PSO DECIPHER
        }
        if !self.verified {
            return (Vec::new(), 0x6982);
        }
        if self.cfg.kind == CardKind::Cps3Contactless {
            return (Vec::new(), 0x6985); // no signature without contact
        }
        if self.se != Some((Template::Auth, KEY_AUTH)) {
            return (Vec::new(), 0x6985);
        }
        self.sign_pkcs1(data)
    }

    fn pso(&mut self, p1: u8, p2: u8, data: &[u8]) -> (Vec<u8>, u16) {
        if !matches!((p1, p2), (0x9E, 0x9A) | (0x80, 0x86)) {
            return (Vec::new(), 0x6A86);
        }
        if !self.verified {
            return (Vec::new(), 0x6982);
        }
        if (p1, p2) == (0x9E, 0x9A) {
            if self.cfg.kind == CardKind::Cps3Contactless
                || !matches!(self.se, Some((Template::Signature, _)))
            {
                return (Vec::new(), 0x6985);
            }
            let t = match HashAlg::from_len(data.len()) {
                Some(h) => digest_info(h, data),
                None => data.to_vec(),
            };
            return self.sign_pkcs1(&t);
        }
        if !matches!(self.se, Some((Template::Confidentiality, KEY_AUTH))) {
            return (Vec::new(), 0x6985);
        }
        if self.cfg.kind == CardKind::Cps4 {
            self.raw(data)
        } else {
            let Some((0x81, cryptogram)) = data.split_first().map(|(a, b)| (*a, b)) else {
                return (Vec::new(), 0x6A80);
            };
            match self.cfg.key.decrypt(rsa::Pkcs1v15Encrypt, cryptogram) {
                Ok(p) => (p, 0x9000),
                Err(_) => (Vec::new(), 0x6A80),
            }
        }
    }

    fn raw(&self, block: &[u8]) -> (Vec<u8>, u16) {
        let k = self.key_len();
        if block.len() != k {
            return (Vec::new(), 0x6700);
        }
        let n = self.cfg.key.n();
        let bits = n.as_ref().bits_precision();
        let c = rsa::BoxedUint::from_be_slice(block, bits);
        let Ok(c) = c else {
            return (Vec::new(), 0x6A80);
        };
        if c >= *n.as_ref() {
            return (Vec::new(), 0x6A80);
        }
        match rsa::hazmat::rsa_decrypt_and_check::<NoRng>(&self.cfg.key, None, &c) {
            Ok(m) => {
                let bytes = m.to_be_bytes();
                let mut out = vec![0u8; k.saturating_sub(bytes.len())];
                out.extend_from_slice(&bytes[bytes.len().saturating_sub(k)..]);
                (out, 0x9000)
            }
            Err(_) => (Vec::new(), 0x6F00),
        }
    }

    fn get_challenge(&mut self, le: Option<usize>) -> (Vec<u8>, u16) {
        let n = le.unwrap_or(8).clamp(1, 32);
        let mut out = vec![0u8; n];
        if getrandom::fill(&mut out).is_err() {
            return (Vec::new(), 0x6F00);
        }
        (out, 0x9000)
    }

    /// The card's tries left, for tests.
    pub fn tries_left(&self) -> u8 {
        self.tries_left
    }

    /// The public key of the card's key pair.
    pub fn public_key(&self) -> rsa::PublicKey {
        self.cfg.key.to_public_key()
    }
}

/// Placeholder RNG type for the unblinded raw operation (the simulator holds a test key).
pub enum NoRng {}

impl rsa::rand_core::TryRng for NoRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        match *self {}
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        match *self {}
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        match *self {}
    }
}
impl rsa::rand_core::TryCryptoRng for NoRng {}

/// A short command APDU split into its fields.
struct Parsed<'a> {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: &'a [u8],
    le: Option<usize>,
}

impl<'a> Parsed<'a> {
    fn parse(apdu: &'a [u8]) -> Option<Parsed<'a>> {
        let (&[cla, ins, p1, p2], body) = (apdu.first_chunk::<4>()?, &apdu[4..]);
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(if *le == 0 { 256 } else { usize::from(*le) })),
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len() {
                    n if n == lc => (rest, None),
                    n if n == lc + 1 => (
                        &rest[..lc],
                        Some(if rest[lc] == 0 {
                            256
                        } else {
                            usize::from(rest[lc])
                        }),
                    ),
                    _ => return None,
                }
            }
        };
        Some(Parsed {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
    }
}
