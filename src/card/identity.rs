//! Who holds the card, read from its authentication certificate. CPS subjects
//! are not laid out one way: IGC-Santé puts GN+CN+SN in one multi-valued RDN,
//! the national identifier (IDNPS: a type digit then the RPPS, ADELI or
//! FINESS-based id, sometimes with a "/suffix") in CN, the profession in
//! `title`, the structure in O/OU. So each field is looked for in several
//! attributes and nothing is assumed present. Untrusted input: a certificate
//! that does not parse is a typed error, never a panic.

use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_X509_COMMON_NAME, OID_X509_GIVEN_NAME, OID_X509_ORGANIZATION_NAME,
    OID_X509_ORGANIZATIONAL_UNIT, OID_X509_SERIALNUMBER, OID_X509_SURNAME, OID_X509_TITLE,
};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use super::error::Error;

/// The card holder as the certificate names them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    /// "NOM Prénom" when the certificate has SN/GN, else its CN.
    pub display_name: String,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    /// The national identifier of the professional (IDNPS), e.g. `810100000017`.
    pub national_id: Option<String>,
    /// The RPPS number, when the IDNPS is of RPPS type (`8` + 11 digits).
    pub rpps: Option<String>,
    /// Profession as written in the certificate (`title`).
    pub profession: Option<String>,
    /// Profession code of the RPPS nomenclature when it can be told.
    pub profession_code: Option<String>,
    pub organisation: Option<String>,
    pub organisation_unit: Option<String>,
    pub email: Option<String>,
}

/// Parses a DER certificate and reads its holder.
pub fn holder_from_der(der: &[u8]) -> Result<Holder, Error> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| Error::Certificate {
        reason: e.to_string(),
    })?;
    Ok(holder_from_cert(&cert))
}

fn first(name: &X509Name<'_>, oid: &Oid<'_>) -> Option<String> {
    name.iter_by_oid(oid)
        .filter_map(|a| a.as_str().ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
}

/// Whether a CN reads as an IDNPS: a type digit, then letters/digits, an
/// optional "/suffix", no spaces.
fn looks_like_idnps(cn: &str) -> bool {
    let head = cn.split('/').next().unwrap_or("");
    head.len() >= 9
        && head.len() <= 14
        && head.chars().next().is_some_and(|c| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(crate) fn holder_from_cert(cert: &X509Certificate<'_>) -> Holder {
    let subject = cert.subject();
    let cn = first(subject, &OID_X509_COMMON_NAME);
    let family_name = first(subject, &OID_X509_SURNAME);
    let given_name = first(subject, &OID_X509_GIVEN_NAME);
    let serial = first(subject, &OID_X509_SERIALNUMBER);
    let national_id = cn
        .clone()
        .filter(|c| looks_like_idnps(c))
        .or_else(|| serial.filter(|s| looks_like_idnps(s)));
    let rpps = national_id.as_deref().and_then(|id| {
        let digits = id.strip_prefix('8')?.split('/').next()?;
        (digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.to_string())
    });
    let display_name = match (&family_name, &given_name) {
        (Some(f), Some(g)) => format!("{f} {g}"),
        (Some(f), None) => f.clone(),
        (None, Some(g)) => g.clone(),
        (None, None) => cn.clone().unwrap_or_else(|| "(unnamed holder)".to_string()),
    };
    let profession = first(subject, &OID_X509_TITLE);
    let profession_code = profession.as_deref().and_then(profession_code);
    let email = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|san| {
            san.value.general_names.iter().find_map(|n| match n {
                GeneralName::RFC822Name(m) => Some(m.to_string()),
                _ => None,
            })
        });
    Holder {
        display_name,
        family_name,
        given_name,
        national_id,
        rpps,
        profession,
        profession_code,
        organisation: first(subject, &OID_X509_ORGANIZATION_NAME),
        organisation_unit: first(subject, &OID_X509_ORGANIZATIONAL_UNIT),
        email,
    }
}

/// The RPPS profession code for a `title` written as a code or a label.
fn profession_code(title: &str) -> Option<String> {
    if !title.is_empty() && title.len() <= 3 && title.bytes().all(|b| b.is_ascii_digit()) {
        return Some(title.to_string());
    }
    let t = deunicode::deunicode(title).to_lowercase();
    let code = match t.as_str() {
        "medecin" => "10",
        "pharmacien" => "21",
        "chirurgien-dentiste" => "40",
        "sage-femme" => "50",
        "infirmier" | "infirmiere" => "60",
        "masseur-kinesitherapeute" => "70",
        "pedicure-podologue" => "80",
        _ => return None,
    };
    Some(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_typed_error() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x82, 0x10, 0x00, 0x01],
            &[0xFF; 64],
        ] {
            assert!(matches!(
                holder_from_der(bad),
                Err(Error::Certificate { .. })
            ));
        }
    }

    #[test]
    fn idnps_shapes() {
        assert!(looks_like_idnps("810100000017"));
        assert!(looks_like_idnps("30B0057881/CPET0002"));
        assert!(!looks_like_idnps("DR TEST CARDHOLDER"));
        assert!(!looks_like_idnps("cpxservices.tra.asipsante.fr"));
        assert_eq!(profession_code("Médecin").as_deref(), Some("10"));
        assert_eq!(profession_code("Personnel santé ou social"), None);
    }
}
