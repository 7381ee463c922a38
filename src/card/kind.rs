//! Which CPS generation a card is, from its ATR, and what that means for the
//! APDUs we send: application AID, logical channel, how the authentication
//! key signs, whether TLS 1.3 is possible. Patterns come from the ANS
//! CryptoLib driver (exact CPS4 ATRs) and OpenSC (masked CPS3 ATRs), see
//! `domain.md` §3.1; the serial file check (EF.SN.ICC) follows §3.1 too.

use super::error::Error;

/// A recognised CPS card generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CardKind {
    /// CPS3 (IAS-ECC) read through a contact reader.
    Cps3Contact,
    /// CPS3 read without contact: it refuses signatures.
    Cps3Contactless,
    /// CPS4 (NXP ChipDoc).
    Cps4,
}

/// PKCS#15 application of CPS3 contact and CPS4.
pub const AID_PKCS15: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
];
/// PKCS#15 application of CPS3 contactless.
pub const AID_PKCS15_CL: [u8; 13] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x20,
];
/// The CPS4 ChipDoc applet, selected on logical channel 1.
pub const AID_CHIPDOC: [u8; 8] = [0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x01, 0x00];
/// ANS issuer number found in EF.SN.ICC bytes 2..7.
pub const ANS_ISSUER: [u8; 5] = [0x80, 0x25, 0x00, 0x00, 0x01];

/// Authentication private key reference (CPS_PRIV_AUT).
pub const KEY_AUTH: u8 = 0x82;
/// Signature (non-repudiation) private key reference (CPS_PRIV_SIG).
pub const KEY_SIGN: u8 = 0x81;
/// Cardholder PIN reference. [unverified in domain.md: "probably 0x01"]
pub const PIN_REF: u8 = 0x01;
/// File id of the authentication certificate inside the PKCS#15 application
/// when the card has no PKCS#15 directory (simple emulators); cards with
/// one name the file in their CDF ([`crate::card::pkcs15`]).
pub const FID_AUTH_CERT: [u8; 2] = [0xD0, 0x01];
/// EF.SN.ICC under the MF.
pub const FID_SN_ICC: [u8; 2] = [0xD0, 0x03];

const CPS3_CONTACT: [u8; 17] = [
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
const CPS3_CONTACT_MASK: [u8; 17] = [
    0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF,
];
const CPS3_CL: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x00, 0x31, 0xB8, 0x64, 0x04, 0xB0, 0xEC, 0xC1, 0x73, 0x94, 0x01, 0x80,
    0x82, 0x90, 0x00, 0x0E,
];
const CPS3_CL_MASK: [u8; 20] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0xFF, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF,
];
const CPS4_EXACT: [&[u8]; 3] = [
    &[
        0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00,
        0x90, 0x44,
    ],
    &[
        0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01, 0x00,
        0x90, 0x44,
    ],
    &[
        0x3B, 0xDC, 0x18, 0xFF, 0x00, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01, 0x00,
        0x90, 0x00,
    ],
];

fn masked_eq(atr: &[u8], pattern: &[u8], mask: &[u8]) -> bool {
    atr.len() == pattern.len()
        && atr
            .iter()
            .zip(pattern)
            .zip(mask)
            .all(|((a, p), m)| a & m == p & m)
}

impl CardKind {
    /// Recognises a CPS card from its ATR, or explains what the card is not.
    pub fn from_atr(atr: &[u8]) -> Result<CardKind, Error> {
        if CPS4_EXACT.contains(&atr) {
            return Ok(CardKind::Cps4);
        }
        if masked_eq(atr, &CPS3_CONTACT, &CPS3_CONTACT_MASK) {
            return Ok(CardKind::Cps3Contact);
        }
        // OpenSC lists the contactless pattern with TS 0x2B as well.
        let mut normalised = atr.to_vec();
        if normalised.first() == Some(&0x2B) {
            normalised[0] = 0x3B;
        }
        if masked_eq(&normalised, &CPS3_CL, &CPS3_CL_MASK) {
            return Ok(CardKind::Cps3Contactless);
        }
        Err(Error::UnknownCard {
            atr: hex::encode_upper(atr),
            hint: unknown_hint(atr),
        })
    }

    /// Human name, for status lines.
    pub fn label(self) -> &'static str {
        match self {
            CardKind::Cps3Contact => "CPS3",
            CardKind::Cps3Contactless => "CPS3 (contactless)",
            CardKind::Cps4 => "CPS4",
        }
    }

    pub(crate) fn aid(self) -> &'static [u8] {
        match self {
            CardKind::Cps3Contact | CardKind::Cps4 => &AID_PKCS15,
            CardKind::Cps3Contactless => &AID_PKCS15_CL,
        }
    }

    /// CLA for commands to the application: CPS4 lives on logical channel 1.
    pub(crate) fn cla(self) -> u8 {
        match self {
            CardKind::Cps4 => 0x01,
            _ => 0x00,
        }
    }

    /// Whether the card computes a raw RSA private operation (CPS4's PSO
    /// DECIPHER without padding), which lets the host build RSA-PSS and so
    /// allows TLS 1.3 client authentication.
    pub fn raw_rsa(self) -> bool {
        self == CardKind::Cps4
    }

    /// Whether the card signs at all in this mode (CPS3 refuses without contact).
    pub fn can_sign(self) -> bool {
        self != CardKind::Cps3Contactless
    }
}

/// A hint for well-known cards that are not CPS cards.
fn unknown_hint(atr: &[u8]) -> &'static str {
    let vitale2 = atr.len() == 10
        && atr[..5] == [0x3B, 0x75, 0x13, 0x00, 0x00]
        && atr[6..] == [0x09, 0xEA, 0x90, 0x00];
    let vitale1 = atr.len() >= 3 && atr[..3] == [0x3F, 0x65, 0x25];
    if vitale1 || vitale2 {
        ": it looks like a carte Vitale"
    } else {
        ""
    }
}

/// Checks EF.SN.ICC (12 bytes, ANS issuer at bytes 2..7) and returns the card
/// serial number shown to users (the bytes after the issuer, in hex).
pub fn parse_sn_icc(sn: &[u8]) -> Result<String, Error> {
    if sn.len() != 12 {
        return Err(Error::NotCps {
            reason: "its serial number file is not 12 bytes long",
        });
    }
    if sn[2..7] != ANS_ISSUER {
        return Err(Error::NotCps {
            reason: "its serial number was not issued by the ANS",
        });
    }
    Ok(hex::encode_upper(&sn[7..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_documented_atrs() {
        let k = |s: &str| CardKind::from_atr(&hex::decode(s.replace(' ', "")).unwrap());
        assert_eq!(
            k("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00").unwrap(),
            CardKind::Cps3Contact
        );
        // a masked byte differs: still CPS3
        assert_eq!(
            k("3B AC 00 40 2A 00 12 25 00 64 80 82 02 12 00 90 00").unwrap(),
            CardKind::Cps3Contact
        );
        assert_eq!(
            k("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E").unwrap(),
            CardKind::Cps3Contactless
        );
        assert_eq!(
            k("2B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E").unwrap(),
            CardKind::Cps3Contactless
        );
        assert_eq!(
            k("3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44").unwrap(),
            CardKind::Cps4
        );
        assert_eq!(
            k("3B DC 18 FF 00 00 12 25 00 64 80 00 04 01 00 90 00").unwrap(),
            CardKind::Cps4
        );
    }

    #[test]
    fn vitale_and_garbage_are_refused_with_a_hint() {
        let e = CardKind::from_atr(&hex::decode("3B7513000049 09EA9000".replace(' ', "")).unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("carte Vitale"), "{e}");
        for atr in [&[][..], &[0x3B], &[0xFF; 40]] {
            assert!(matches!(
                CardKind::from_atr(atr),
                Err(Error::UnknownCard { .. })
            ));
        }
    }

    #[test]
    fn serial_file_is_checked() {
        let mut sn = vec![
            0x00, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, 0x9A,
        ];
        assert_eq!(parse_sn_icc(&sn).unwrap(), "123456789A");
        sn[3] = 0x26;
        assert!(matches!(parse_sn_icc(&sn), Err(Error::NotCps { .. })));
        assert!(matches!(parse_sn_icc(&sn[..11]), Err(Error::NotCps { .. })));
    }
}
