//! CPS card operations over any [`CardTransport`]: recognition (ATR, then
//! EF.SN.ICC), reading the authentication certificate, PIN status and
//! VERIFY, signatures and decipher with the authentication key (0x82).
//!
//! Invariants: a PIN is never retried here (one VERIFY per call); tries left
//! come from the card, never from a local counter; every answer is checked
//! for length and status before use, so a malformed or hostile card yields a
//! typed error. CPS3 signs with MSE SET + INTERNAL AUTHENTICATE (PKCS#1 v1.5
//! done by the card) and removes the encryption padding itself in PSO
//! DECIPHER; CPS4 does a raw RSA operation through PSO DECIPHER, so the host
//! pads (PKCS#1 v1.5 or PSS) and unpads.

use zeroize::Zeroizing;

use super::apdu::{Command, Response, exchange};
use super::error::Error;
use super::identity::{Holder, holder_from_der};
use super::kind::{
    AID_CHIPDOC, CardKind, FID_AUTH_CERT, FID_SN_ICC, KEY_AUTH, PIN_REF, parse_sn_icc,
};
use super::padding::{self, HashAlg};
use super::pin::Pin;
use super::pkcs15;
use super::transport::CardTransport;

/// Largest READ BINARY chunk: CPS3's `max_recv_size` (0xE7).
const READ_CHUNK: usize = 0xE7;
/// Certificates larger than this are refused (and a short READ BINARY offset tops out at 0x7FFF).
const MAX_CERT: usize = 0x7FFF;

/// What we know about an inserted CPS card before any PIN.
#[derive(Clone, serde::Serialize)]
pub struct CardInfo {
    pub kind: CardKind,
    #[serde(serialize_with = "hex_upper")]
    pub atr: Vec<u8>,
    /// The card serial number (EF.SN.ICC without the ANS issuer prefix).
    pub serial: String,
    /// DER of the authentication certificate.
    #[serde(skip)]
    pub certificate: Vec<u8>,
    pub holder: Holder,
    /// Size of the RSA modulus of the authentication key.
    pub key_bits: usize,
}

fn hex_upper<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(v))
}

impl std::fmt::Debug for CardInfo {
    /// Without the certificate bytes, which would only flood the logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInfo")
            .field("kind", &self.kind)
            .field("atr", &hex::encode_upper(&self.atr))
            .field("serial", &self.serial)
            .field("holder", &self.holder)
            .field("key_bits", &self.key_bits)
            .field("certificate_len", &self.certificate.len())
            .finish()
    }
}

impl CardInfo {
    /// The authentication key's public half (what the store wraps its key to).
    pub fn public_key(&self) -> Result<rsa::PublicKey, Error> {
        public_key_of(&self.certificate).map(|(k, _)| k)
    }
}

/// RSA public key and modulus size from a DER certificate.
pub fn public_key_of(cert: &[u8]) -> Result<(rsa::PublicKey, usize), Error> {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, c) = X509Certificate::from_der(cert).map_err(|e| Error::Certificate {
        reason: e.to_string(),
    })?;
    let key = rsa::PublicKey::from_public_key_der(c.public_key().raw).map_err(|_| {
        Error::Certificate {
            reason: "its key is not an RSA key".into(),
        }
    })?;
    let bits = key.size() * 8;
    Ok((key, bits))
}

/// The PIN state the card reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PinStatus {
    Verified,
    NotVerified { tries_left: u8 },
    Blocked,
}

/// How to sign: the hash is always computed by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    Pkcs1v15 { hash: HashAlg, digest: Vec<u8> },
    Pss { hash: HashAlg, digest: Vec<u8> },
}

fn select_fid(
    t: &mut dyn CardTransport,
    cla: u8,
    p1: u8,
    fid: [u8; 2],
    what: &'static str,
) -> Result<Response, Error> {
    exchange(t, &Command::new(cla, 0xA4, p1, 0x0C).data(&fid), what)
}

/// Selects the PKCS#15 application (after the ChipDoc applet on CPS4).
fn enter_application(t: &mut dyn CardTransport, kind: CardKind) -> Result<(), Error> {
    let cla = kind.cla();
    if kind == CardKind::Cps4 {
        exchange(
            t,
            &Command::new(cla, 0xA4, 0x04, 0x0C).data(&AID_CHIPDOC),
            "SELECT ChipDoc",
        )?
        .ok("SELECT ChipDoc")?;
    }
    let r = exchange(
        t,
        &Command::new(cla, 0xA4, 0x04, 0x0C).data(kind.aid()),
        "SELECT PKCS#15",
    )?;
    match r.sw {
        0x9000 => Ok(()),
        0x6A82 => Err(Error::NotCps {
            reason: "it has no CPS application",
        }),
        sw => Err(Error::Status {
            command: "SELECT PKCS#15",
            sw,
        }),
    }
}

/// Reads a transparent EF already selected, whose content is one DER object.
fn read_der_file(t: &mut dyn CardTransport, cla: u8) -> Result<Vec<u8>, Error> {
    let mut data: Vec<u8> = Vec::new();
    let mut total: Option<usize> = None;
    loop {
        let want = total.map_or(READ_CHUNK, |n| (n - data.len()).min(READ_CHUNK));
        if want == 0 {
            break;
        }
        let offset = u16::try_from(data.len()).unwrap_or(u16::MAX);
        let [hi, lo] = offset.to_be_bytes();
        let r = exchange(
            t,
            &Command::new(cla, 0xB0, hi, lo).le(want as u16),
            "READ BINARY",
        )?;
        if r.sw != 0x9000 && r.sw != 0x6282 {
            return Err(Error::Status {
                command: "READ BINARY",
                sw: r.sw,
            });
        }
        if r.data.is_empty() || r.data.len() > want {
            return Err(Error::Malformed {
                command: "READ BINARY",
                reason: "chunk of the wrong size",
            });
        }
        data.extend_from_slice(&r.data);
        if total.is_none() {
            total = Some(der_length(&data)?);
        }
        if total.is_some_and(|n| data.len() >= n) {
            break;
        }
    }
    data.truncate(total.unwrap_or(data.len()));
    Ok(data)
}

/// Selects a file by a PKCS#15 path: absolute (`3F00…`), a file id in
/// the current DF, or a relative path from it.
fn select_path(
    t: &mut dyn CardTransport,
    cla: u8,
    path: &[u8],
    what: &'static str,
) -> Result<Response, Error> {
    let (p1, data) = match path {
        [0x3F, 0x00] => (0x00, path),
        [0x3F, 0x00, rest @ ..] => (0x08, rest),
        [_, _] => (0x02, path),
        _ => (0x09, path),
    };
    exchange(t, &Command::new(cla, 0xA4, p1, 0x0C).data(data), what)
}

/// Reads a whole transparent EF whose length we do not know (PKCS#15
/// directory files), up to `max` bytes.
fn read_whole(t: &mut dyn CardTransport, cla: u8, max: usize) -> Result<Vec<u8>, Error> {
    let mut data: Vec<u8> = Vec::new();
    while data.len() < max {
        let [hi, lo] = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
        let r = exchange(
            t,
            &Command::new(cla, 0xB0, hi, lo).le(READ_CHUNK as u16),
            "READ BINARY",
        )?;
        match r.sw {
            // Offset exactly at the end of the file.
            0x6B00 if !data.is_empty() => break,
            0x9000 | 0x6282 => {}
            sw => {
                return Err(Error::Status {
                    command: "READ BINARY",
                    sw,
                });
            }
        }
        if r.data.len() > READ_CHUNK {
            return Err(Error::Malformed {
                command: "READ BINARY",
                reason: "chunk of the wrong size",
            });
        }
        let short = r.data.len() < READ_CHUNK || r.sw == 0x6282;
        data.extend_from_slice(&r.data);
        if short {
            break;
        }
    }
    data.truncate(max);
    Ok(data)
}

/// The path of the authentication certificate, from the PKCS#15 ODF and
/// CDF; cards without them (simple emulators) keep it in `D001`.
fn locate_auth_certificate(t: &mut dyn CardTransport, kind: CardKind) -> Result<Vec<u8>, Error> {
    let cla = kind.cla();
    let r = select_fid(t, cla, 0x02, pkcs15::FID_ODF, "SELECT EF(ODF)")?;
    if r.sw == 0x6A82 {
        return Ok(FID_AUTH_CERT.to_vec());
    }
    r.ok("SELECT EF(ODF)")?;
    let odf = read_whole(t, cla, 1024)?;
    let mut entries = Vec::new();
    for cdf in pkcs15::cdf_paths(&odf) {
        select_path(t, cla, &cdf, "SELECT EF(CDF)")?.ok("SELECT EF(CDF)")?;
        entries.extend(pkcs15::cert_entries(&read_whole(t, cla, 8192)?));
    }
    match pkcs15::auth_certificate(&entries) {
        Some(e) => Ok(e.path.clone()),
        None => Err(Error::NotCps {
            reason: "its PKCS#15 directory lists no certificate",
        }),
    }
}

/// Total length of the DER SEQUENCE starting `data`.
fn der_length(data: &[u8]) -> Result<usize, Error> {
    let err = |reason: &str| Error::Certificate {
        reason: reason.to_string(),
    };
    if data.len() < 4 || data[0] != 0x30 {
        return Err(err("the certificate file does not hold a DER certificate"));
    }
    let n = match data[1] {
        n if n < 0x80 => usize::from(n) + 2,
        0x81 => usize::from(data[2]) + 3,
        0x82 => usize::from(u16::from_be_bytes([data[2], data[3]])) + 4,
        _ => return Err(err("the certificate length is not supported")),
    };
    if n > MAX_CERT {
        return Err(err("the certificate is too large"));
    }
    Ok(n)
}

/// Recognises the card and reads everything shown before the PIN.
pub fn identify(t: &mut dyn CardTransport) -> Result<CardInfo, Error> {
    let atr = t.atr();
    let kind = CardKind::from_atr(&atr)?;
    select_fid(t, 0x00, 0x00, [0x3F, 0x00], "SELECT MF")?.ok("SELECT MF")?;
    let r = select_fid(t, 0x00, 0x02, FID_SN_ICC, "SELECT EF.SN.ICC")?;
    if r.sw == 0x6A82 {
        return Err(Error::NotCps {
            reason: "it has no CPS serial number file",
        });
    }
    r.ok("SELECT EF.SN.ICC")?;
    let sn = exchange(t, &Command::new(0x00, 0xB0, 0, 0).le(12), "READ EF.SN.ICC")?;
    if sn.sw != 0x9000 && sn.sw != 0x6282 {
        return Err(Error::Status {
            command: "READ EF.SN.ICC",
            sw: sn.sw,
        });
    }
    let serial = parse_sn_icc(&sn.data)?;
    enter_application(t, kind)?;
    let path = locate_auth_certificate(t, kind)?;
    select_path(t, kind.cla(), &path, "SELECT certificate")?.ok("SELECT certificate")?;
    let certificate = read_der_file(t, kind.cla())?;
    let holder = holder_from_der(&certificate)?;
    let (_, key_bits) = public_key_of(&certificate)?;
    Ok(CardInfo {
        kind,
        atr,
        serial,
        certificate,
        holder,
        key_bits,
    })
}

/// Reads the PIN state: VERIFY without data (`63Cx`, `9000`, `6983`), or the
/// IAS-ECC GET DATA of the PIN object when the card does not answer that.
pub fn pin_status(t: &mut dyn CardTransport, kind: CardKind) -> Result<PinStatus, Error> {
    enter_application(t, kind)?;
    let r = exchange(
        t,
        &Command::new(kind.cla(), 0x20, 0x00, PIN_REF),
        "VERIFY (status)",
    )?;
    match r.sw {
        0x9000 => return Ok(PinStatus::Verified),
        0x6983 | 0x6984 => return Ok(PinStatus::Blocked),
        sw if sw & 0xFFF0 == 0x63C0 => return Ok(tries(sw)),
        0x6A86 | 0x6D00 | 0x6B00 | 0x6700 => {}
        sw => {
            return Err(Error::Status {
                command: "VERIFY (status)",
                sw,
            });
        }
    }
    select_fid(t, 0x00, 0x00, [0x3F, 0x00], "SELECT MF")?.ok("SELECT MF")?;
    let query = [
        0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, PIN_REF, 0x02, 0xA0, 0x80,
    ];
    let data = exchange(
        t,
        &Command::new(0x00, 0xCB, 0x3F, 0xFF).data(&query).le(256),
        "GET DATA (PIN)",
    )?
    .ok("GET DATA (PIN)")?;
    let Some(&[left]) = super::tlv::find(&data, &[0x9B]) else {
        return Err(Error::Malformed {
            command: "GET DATA (PIN)",
            reason: "no tries-left field",
        });
    };
    Ok(if left == 0 {
        PinStatus::Blocked
    } else {
        PinStatus::NotVerified { tries_left: left }
    })
}

fn tries(sw: u16) -> PinStatus {
    match (sw & 0x0F) as u8 {
        0 => PinStatus::Blocked,
        n => PinStatus::NotVerified { tries_left: n },
    }
}

/// One VERIFY with the PIN. Wrong PIN and blocked card are errors carrying
/// what the card said; the caller decides whether to ask again.
pub fn verify(t: &mut dyn CardTransport, kind: CardKind, pin: &Pin) -> Result<(), Error> {
    enter_application(t, kind)?;
    let r = exchange(
        t,
        &Command::new(kind.cla(), 0x20, 0x00, PIN_REF).data(pin.bytes()),
        "VERIFY",
    )?;
    match r.sw {
        0x9000 => Ok(()),
        0x6983 | 0x6984 => Err(Error::Blocked),
        sw if sw & 0xFFF0 == 0x63C0 => match tries(sw) {
            PinStatus::NotVerified { tries_left } => Err(Error::WrongPin { tries_left }),
            _ => Err(Error::Blocked),
        },
        0x6700 | 0x6A80 => Err(Error::InvalidPin),
        sw => Err(Error::Status {
            command: "VERIFY",
            sw,
        }),
    }
}

fn key_status(command: &'static str, sw: u16) -> Error {
    match sw {
        0x6982 => Error::PinRequired,
        0x6983 => Error::Blocked,
        sw => Error::Status { command, sw },
    }
}

/// A signature with the authentication key, `key_bits / 8` bytes long.
pub fn sign(
    t: &mut dyn CardTransport,
    kind: CardKind,
    key_bits: usize,
    mech: &Mechanism,
) -> Result<Vec<u8>, Error> {
    if !kind.can_sign() {
        return Err(Error::Unsupported(
            "sign without contact: insert it in a contact reader",
        ));
    }
    let k = key_bits.div_ceil(8);
    if kind.raw_rsa() {
        let block = match mech {
            Mechanism::Pkcs1v15 { hash, digest } => {
                padding::pkcs1_type1(&padding::digest_info(*hash, digest), k)?
            }
            Mechanism::Pss { hash, digest } => padding::pss_encode(*hash, digest, key_bits)?,
        };
        return Ok(raw_rsa(t, kind, &block, k)?.to_vec());
    }
    let Mechanism::Pkcs1v15 { hash, digest } = mech else {
        return Err(Error::Unsupported("sign with RSA-PSS"));
    };
    enter_application(t, kind)?;
    // MSE SET, authentication template: algorithm "RSA PKCS#1 v1.5, hash done outside", key 0x82.
    let mse = [0x80, 0x01, 0x02, 0x84, 0x01, KEY_AUTH];
    let r = exchange(
        t,
        &Command::new(0x00, 0x22, 0x41, 0xA4).data(&mse),
        "MSE SET",
    )?;
    if !r.is_ok() {
        return Err(key_status("MSE SET", r.sw));
    }
    let di = padding::digest_info(*hash, digest);
    let r = exchange(
        t,
        &Command::new(0x00, 0x88, 0x00, 0x00).data(&di).le(256),
        "INTERNAL AUTHENTICATE",
    )?;
    if !r.is_ok() {
        return Err(key_status("INTERNAL AUTHENTICATE", r.sw));
    }
    if r.data.len() != k {
        return Err(Error::Malformed {
            command: "INTERNAL AUTHENTICATE",
            reason: "signature of the wrong size",
        });
    }
    Ok(r.data)
}

/// The raw RSA private operation of CPS4 (PSO DECIPHER without padding indicator).
fn raw_rsa(
    t: &mut dyn CardTransport,
    kind: CardKind,
    block: &[u8],
    k: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if block.len() != k {
        return Err(Error::Crypto {
            context: "block does not match the key size",
        });
    }
    enter_application(t, kind)?;
    let cla = kind.cla();
    let r = exchange(
        t,
        &Command::new(cla, 0x22, 0x41, 0xB8).data(&[0x83, 0x01, KEY_AUTH]),
        "MSE SET",
    )?;
    if !r.is_ok() {
        return Err(key_status("MSE SET", r.sw));
    }
    let r = exchange(
        t,
        &Command::new(cla, 0x2A, 0x80, 0x86).data(block).le(256),
        "PSO DECIPHER",
    )?;
    let out = Zeroizing::new(r.data);
    if r.sw != 0x9000 {
        return Err(key_status("PSO DECIPHER", r.sw));
    }
    if out.len() != k {
        return Err(Error::Malformed {
            command: "PSO DECIPHER",
            reason: "result of the wrong size",
        });
    }
    Ok(out)
}

/// Deciphers an RSAES-PKCS1-v1_5 cryptogram made with the authentication
/// key's public half. CPS3 removes the padding on the card; CPS4 returns the
/// raw block and the host removes it. Either way the caller gets the plaintext.
pub fn decipher(
    t: &mut dyn CardTransport,
    kind: CardKind,
    key_bits: usize,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let k = key_bits.div_ceil(8);
    if ciphertext.len() != k {
        return Err(Error::Crypto {
            context: "cryptogram does not match the key size",
        });
    }
    if kind.raw_rsa() {
        return padding::pkcs1_type2_unpad(&raw_rsa(t, kind, ciphertext, k)?);
    }
    enter_application(t, kind)?;
    let r = exchange(
        t,
        &Command::new(0x00, 0x22, 0x41, 0xB8).data(&[0x84, 0x01, KEY_AUTH]),
        "MSE SET",
    )?;
    if !r.is_ok() {
        return Err(key_status("MSE SET", r.sw));
    }
    // 0x81: padding indicator "PKCS#1 v1.5 cryptogram follows"; 257 bytes, so chained.
    let mut data = Zeroizing::new(Vec::with_capacity(k + 1));
    data.push(0x81);
    data.extend_from_slice(ciphertext);
    let r = exchange(
        t,
        &Command::new(0x00, 0x2A, 0x80, 0x86).data(&data).le(256),
        "PSO DECIPHER",
    )?;
    let out = Zeroizing::new(r.data);
    if r.sw != 0x9000 {
        return Err(key_status("PSO DECIPHER", r.sw));
    }
    if out.len() > k - 11 {
        return Err(Error::Malformed {
            command: "PSO DECIPHER",
            reason: "plaintext longer than possible",
        });
    }
    Ok(out)
}
