//! INS (Identifiant National de Santé): the NIR or NIA number with its key,
//! qualified by the OID of its assigning authority, plus the identity traits
//! that come with it.
//!
//! Invariants: an [`Ins`] always holds 15 characters whose key checks
//! (97 - (n mod 97), Corsica departments `2A`/`2B` counted as 19/18), and an
//! OID among the four known ones. The test OIDs (`…4.10`, `…4.11`) are only
//! accepted when the caller passes `InsPolicy { test_profile: true }`: a test
//! identity must never reach a production server.

use std::fmt;

/// Assigning authority of an INS, by OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsOid {
    /// INS-NIR `1.2.250.1.213.1.4.8`.
    Nir,
    /// INS-NIA `1.2.250.1.213.1.4.9`.
    Nia,
    /// Test INS-NIR `1.2.250.1.213.1.4.10`.
    TestNir,
    /// Test INS-NIA `1.2.250.1.213.1.4.11`.
    TestNia,
}

impl InsOid {
    pub const NIR: &'static str = "1.2.250.1.213.1.4.8";
    pub const NIA: &'static str = "1.2.250.1.213.1.4.9";
    pub const TEST_NIR: &'static str = "1.2.250.1.213.1.4.10";
    pub const TEST_NIA: &'static str = "1.2.250.1.213.1.4.11";

    pub fn as_str(self) -> &'static str {
        match self {
            InsOid::Nir => Self::NIR,
            InsOid::Nia => Self::NIA,
            InsOid::TestNir => Self::TEST_NIR,
            InsOid::TestNia => Self::TEST_NIA,
        }
    }

    /// The OID, accepting the `urn:oid:` prefix used by FHIR systems.
    pub fn from_oid(oid: &str) -> Option<InsOid> {
        match oid.trim().trim_start_matches("urn:oid:") {
            Self::NIR => Some(InsOid::Nir),
            Self::NIA => Some(InsOid::Nia),
            Self::TEST_NIR => Some(InsOid::TestNir),
            Self::TEST_NIA => Some(InsOid::TestNia),
            _ => None,
        }
    }

    pub fn is_test(self) -> bool {
        matches!(self, InsOid::TestNir | InsOid::TestNia)
    }

    pub fn is_nia(self) -> bool {
        matches!(self, InsOid::Nia | InsOid::TestNia)
    }
}

/// Whether test identities are acceptable (a test profile pointed at a
/// qualification platform), never inferred: the caller states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InsPolicy {
    pub test_profile: bool,
}

/// Why an INS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsError {
    #[error("an INS has 15 characters (13 digits and a 2-digit key), found {found}")]
    Length { found: usize },
    #[error("INS character {position} is not a digit")]
    NotDigit { position: usize },
    #[error("the INS first digit {digit} is not a valid sex/category digit")]
    Category { digit: char },
    #[error("the INS key is {found}, the number gives {expected}")]
    WrongKey { expected: u8, found: u8 },
    #[error("{oid} is not an INS OID")]
    UnknownOid { oid: String },
    #[error("{oid} is a test INS OID, refused outside a test profile")]
    TestOidRefused { oid: String },
    #[error("the patient identifier {value:?} is not of the form NUMBER^^^&OID&ISO")]
    PatientIdFormat { value: String },
}

/// The 15-character NIR/NIA (13 characters + key). `2A`/`2B` stay as written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InsNumber(String);

impl InsNumber {
    /// Parses and checks a NIR/NIA. Spaces are ignored (it is often printed
    /// grouped: `2 79 03 51 215 189 89`).
    pub fn parse(text: &str) -> Result<InsNumber, InsError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let chars: Vec<char> = compact.chars().collect();
        if chars.len() != 15 {
            return Err(InsError::Length { found: chars.len() });
        }
        let body = numeric_body(&chars[..13])?;
        let key = key_value(&chars[13..])?;
        // 1/2: born in France; 3/4: born abroad (old scheme); 7/8: temporary numbers.
        if !matches!(chars[0], '1' | '2' | '3' | '4' | '7' | '8') {
            return Err(InsError::Category { digit: chars[0] });
        }
        let expected = nir_key(body);
        if expected != key {
            return Err(InsError::WrongKey {
                expected,
                found: key,
            });
        }
        Ok(InsNumber(compact.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InsNumber {
    // An INS identifies a patient: keep it out of logs that print Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InsNumber(…{})", &self.0[13..])
    }
}

impl fmt::Display for InsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The NIR key: 97 - (n mod 97), with 2A counted as 19 and 2B as 18.
pub fn nir_key(body: u64) -> u8 {
    // body < 10^13 so the remainder fits a u8 and the key is 1..=97.
    (97 - (body % 97)) as u8
}

/// The 13-character body as a number, with the Corsica substitution.
fn numeric_body(chars: &[char]) -> Result<u64, InsError> {
    let mut value: u64 = 0;
    let mut corsica_offset: u64 = 0;
    for (index, &c) in chars.iter().enumerate() {
        let digit = match (index, c.to_ascii_uppercase()) {
            // Department 2A/2B: positions 5-6, written "2A"/"2B".
            (6, 'A') if chars[5] == '2' => {
                corsica_offset = 1_000_000;
                0
            }
            (6, 'B') if chars[5] == '2' => {
                corsica_offset = 2_000_000;
                0
            }
            (_, d) => d.to_digit(10).ok_or(InsError::NotDigit {
                position: index + 1,
            })?,
        };
        value = value * 10 + u64::from(digit);
    }
    // "2A" reads as 20 above; INSEE counts it as 19 (20 - 1) and 2B as 18.
    Ok(value - corsica_offset)
}

fn key_value(chars: &[char]) -> Result<u8, InsError> {
    let mut key = 0u8;
    for (offset, c) in chars.iter().enumerate() {
        let digit = c.to_digit(10).ok_or(InsError::NotDigit {
            position: 14 + offset,
        })?;
        key = key * 10 + digit as u8;
    }
    Ok(key)
}

/// A checked INS with its assigning authority.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Ins {
    number: InsNumber,
    oid: InsOid,
}

impl Ins {
    /// Parses a number and its OID under a policy.
    pub fn parse(number: &str, oid: &str, policy: InsPolicy) -> Result<Ins, InsError> {
        let oid_kind = InsOid::from_oid(oid).ok_or_else(|| InsError::UnknownOid {
            oid: oid.to_string(),
        })?;
        if oid_kind.is_test() && !policy.test_profile {
            return Err(InsError::TestOidRefused {
                oid: oid_kind.as_str().to_string(),
            });
        }
        Ok(Ins {
            number: InsNumber::parse(number)?,
            oid: oid_kind,
        })
    }

    /// Parses an XDS/HL7v2 CX patient id: `NUMBER^^^&OID&ISO[^NH]`.
    pub fn parse_cx(value: &str, policy: InsPolicy) -> Result<Ins, InsError> {
        let format = || InsError::PatientIdFormat {
            value: value.to_string(),
        };
        let mut fields = value.split('^');
        let number = fields.next().ok_or_else(format)?;
        let authority = fields.nth(2).ok_or_else(format)?;
        let oid = authority.split('&').nth(1).ok_or_else(format)?;
        Ins::parse(number, oid, policy)
    }

    pub fn number(&self) -> &InsNumber {
        &self.number
    }

    pub fn oid(&self) -> InsOid {
        self.oid
    }

    /// The XDS `patientId` form: `NUMBER^^^&OID&ISO^NH`.
    pub fn to_cx(&self) -> String {
        format!("{}^^^&{}&ISO^NH", self.number, self.oid.as_str())
    }

    /// The FHIR identifier system: `urn:oid:OID`.
    pub fn fhir_system(&self) -> String {
        format!("urn:oid:{}", self.oid.as_str())
    }
}

impl fmt::Debug for Ins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ins")
            .field("number", &self.number)
            .field("oid", &self.oid)
            .finish()
    }
}

/// A disagreement between an INS number and the identity traits it came
/// with: a sign of an identity error that identity vigilance must see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraitMismatch {
    Sex,
    BirthYear,
    BirthMonth,
}

impl Ins {
    /// Checks the number's sex, birth year and birth month digits against
    /// the traits. Unknown traits and INSEE "unknown month" codes (outside
    /// 01..=12) are not mismatches.
    pub fn check_traits(&self, traits: &IdentityTraits) -> Vec<TraitMismatch> {
        let digits = self.number.as_str().as_bytes();
        let mut out = Vec::new();
        if let Some(sex) = traits.sex {
            // Odd first digit: male; even: female (1/2, 3/4, 7/8).
            let male = (digits[0] - b'0') % 2 == 1;
            if matches!((sex, male), (Sex::Male, false) | (Sex::Female, true)) {
                out.push(TraitMismatch::Sex);
            }
        }
        if let Some(birth) = traits.birth_date.as_deref().filter(|b| b.is_ascii()) {
            if birth.len() >= 4 && birth.as_bytes()[2..4] != digits[1..3] {
                out.push(TraitMismatch::BirthYear);
            }
            let month = &digits[3..5];
            let known_month = matches!(month, [b'0', b'1'..=b'9'] | [b'1', b'0'..=b'2']);
            if birth.len() >= 6 && known_month && birth.as_bytes()[4..6] != *month {
                out.push(TraitMismatch::BirthMonth);
            }
        }
        out
    }
}

/// Administrative sex as carried by INS traits (HL7 AdministrativeGender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Undetermined,
}

impl Sex {
    pub fn from_hl7(code: &str) -> Option<Sex> {
        match code.trim() {
            "F" => Some(Sex::Female),
            "M" => Some(Sex::Male),
            "U" | "UN" => Some(Sex::Undetermined),
            _ => None,
        }
    }

    pub fn hl7_code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Undetermined => "U",
        }
    }
}

/// The identity traits that qualify an INS (from INSi or from a CDA header).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityTraits {
    pub birth_name: Option<String>,
    /// The first names of the birth certificate, in order.
    pub first_names: Vec<String>,
    /// Birth date as written in HL7 (`YYYYMMDD`, possibly shorter).
    pub birth_date: Option<String>,
    pub sex: Option<Sex>,
    /// INSEE code of the birth place (commune, or 99xxx for a country).
    pub birth_place_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: InsPolicy = InsPolicy { test_profile: true };
    const PROD: InsPolicy = InsPolicy {
        test_profile: false,
    };

    #[test]
    fn valid_nir_with_key() {
        // The ANS test patient of the CDA corpus: 2790351215189, key 89.
        let n = InsNumber::parse("279035121518989").unwrap();
        assert_eq!(n.as_str(), "279035121518989");
        assert_eq!(nir_key(2_790_351_215_189), 89);
        assert!(InsNumber::parse("2 79 03 51 215 189 89").is_ok());
    }

    #[test]
    fn wrong_key_is_refused_with_the_expected_key() {
        assert_eq!(
            InsNumber::parse("279035121518988"),
            Err(InsError::WrongKey {
                expected: 89,
                found: 88
            })
        );
    }

    #[test]
    fn corsica_departments_use_19_and_18() {
        // 1 85 05 2A 004 012: 2A counts as 19.
        let body_2a: u64 = 1_850_519_004_012;
        let key = nir_key(body_2a);
        let nir = format!("18505 2A004012{key:02}").replace(' ', "");
        assert!(InsNumber::parse(&nir).is_ok(), "{nir}");
        // The same digits with 2B must use 18, so the 2A key no longer fits.
        let wrong = nir.replace("2A", "2B");
        assert!(matches!(
            InsNumber::parse(&wrong),
            Err(InsError::WrongKey { .. })
        ));
        let key_2b = nir_key(1_850_518_004_012);
        assert!(InsNumber::parse(&format!("185052B004012{key_2b:02}")).is_ok());
        // Lower case is accepted and normalised.
        assert_eq!(InsNumber::parse(&nir.to_lowercase()).unwrap().as_str(), nir);
        // A letter anywhere else is not a digit.
        assert_eq!(
            InsNumber::parse("18505A2004012 00"),
            Err(InsError::NotDigit { position: 6 })
        );
    }

    #[test]
    fn length_and_category_errors() {
        assert_eq!(
            InsNumber::parse("2790351215189"),
            Err(InsError::Length { found: 13 })
        );
        assert!(matches!(
            InsNumber::parse("579035121518989"),
            Err(InsError::Category { digit: '5' })
        ));
    }

    #[test]
    fn test_oids_need_a_test_profile() {
        let refused = Ins::parse("279035121518989", InsOid::TEST_NIR, PROD);
        assert!(matches!(refused, Err(InsError::TestOidRefused { .. })));
        let ins = Ins::parse("279035121518989", "urn:oid:1.2.250.1.213.1.4.10", TEST).unwrap();
        assert_eq!(ins.oid(), InsOid::TestNir);
        assert!(Ins::parse("279035121518989", InsOid::NIR, PROD).is_ok());
        assert!(matches!(
            Ins::parse("279035121518989", "1.2.3", TEST),
            Err(InsError::UnknownOid { .. })
        ));
    }

    #[test]
    fn traits_are_checked_against_the_number() {
        let ins = Ins::parse("279035121518989", InsOid::TEST_NIR, TEST).unwrap();
        let traits = IdentityTraits {
            sex: Some(Sex::Female),
            birth_date: Some("19790328".to_string()),
            ..IdentityTraits::default()
        };
        assert!(ins.check_traits(&traits).is_empty());
        let wrong = IdentityTraits {
            sex: Some(Sex::Male),
            birth_date: Some("19800428".to_string()),
            ..traits.clone()
        };
        assert_eq!(
            ins.check_traits(&wrong),
            vec![
                TraitMismatch::Sex,
                TraitMismatch::BirthYear,
                TraitMismatch::BirthMonth
            ]
        );
        assert!(
            ins.check_traits(&IdentityTraits::default()).is_empty(),
            "unknown traits are not mismatches"
        );
        // Month 99 (unknown to INSEE) never mismatches.
        let body: u64 = 2_799_951_215_189;
        let unknown_month =
            Ins::parse(&format!("{body}{:02}", nir_key(body)), InsOid::NIR, PROD).unwrap();
        assert!(unknown_month.check_traits(&traits).is_empty());
    }

    #[test]
    fn cx_round_trip() {
        let ins = Ins::parse("279035121518989", InsOid::NIR, PROD).unwrap();
        assert_eq!(ins.to_cx(), "279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH");
        assert_eq!(Ins::parse_cx(&ins.to_cx(), PROD).unwrap(), ins);
        assert!(matches!(
            Ins::parse_cx("garbage", PROD),
            Err(InsError::PatientIdFormat { .. })
        ));
        assert!(!format!("{ins:?}").contains("2790351215"));
    }
}
