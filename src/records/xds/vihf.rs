//! The VIHF (Vecteur d'Identification et d'Habilitation Formelle): a SAML
//! 2.0 assertion naming the professional (from the card's certificate), the
//! patient (INS), the purpose of use and the software, signed with the card
//! (XML-DSig enveloped signature, exclusive c14n, RSA-SHA256).
//!
//! Structure after the DRIMbox VIHF builder and the ANS IG mapping
//! (`../shared/docs/domain.md` §4.1): Issuer = the signing certificate's
//! subject DN (X509SubjectName), Subject/NameID = the IDNPS,
//! AuthnContextClassRef TLSClient (direct mode: the CPS authenticates the
//! TLS session and signs the VIHF), and the attributes `VIHF_Version`,
//! `Authentification_Mode`, `Identifiant_Structure`, `Secteur_Activite`,
//! subject-id, role, resource-id (INS as `^^^&OID&ISO^NH`), `Ressource_URN`,
//! `PurposeOfUse` and the `LPS_*` software identification. The emergency
//! purpose codes (`acces_urgence`, `acces_centre15`) are the DMP's as
//! commonly documented, **unverified** against the current DMP guide.
//!
//! The assertion is written in canonical form (see [`super::c14n`]): its
//! digest is computed over the bytes that are sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::c14n::{XmlNode, canonical};
use crate::records::Error;
use crate::records::backend::{EmergencyKind, PurposeOfUse};
use crate::records::ins::Ins;

pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const HL7_NS: &str = "urn:hl7-org:v3";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// Code system of the purposes of use.
pub const PURPOSE_OID: &str = "1.2.250.1.213.1.1.4.248";
/// TRE_G15 professions; TRE_R01 savoir-faire (specialties).
pub const PROFESSION_OID: &str = "1.2.250.1.71.1.2.7";
pub const SPECIALTY_OID: &str = "1.2.250.1.71.4.2.5";

/// Signs the VIHF: the card in production, a test key in unit tests.
pub trait AssertionSigner: Send + Sync + std::fmt::Debug {
    /// DER of the signing certificate (the card's authentication certificate).
    fn certificate(&self) -> &[u8];
    /// RSASSA-PKCS1-v1_5 signature of a SHA-256 digest. Blocking (a card
    /// operation): call it off the async executor.
    fn sign_sha256(&self, digest: &[u8]) -> Result<Vec<u8>, Error>;
}

/// The CPS card as the VIHF signer (authentication key, PIN verified).
#[derive(Debug, Clone)]
pub struct CardAssertionSigner {
    handle: crate::card::CardHandle,
    certificate: Vec<u8>,
}

impl CardAssertionSigner {
    pub fn new(handle: crate::card::CardHandle, info: &crate::card::CardInfo) -> Self {
        CardAssertionSigner {
            handle,
            certificate: info.certificate.clone(),
        }
    }
}

impl AssertionSigner for CardAssertionSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn sign_sha256(&self, digest: &[u8]) -> Result<Vec<u8>, Error> {
        self.handle
            .sign(crate::card::Mechanism::Pkcs1v15 {
                hash: crate::card::padding::HashAlg::Sha256,
                digest: digest.to_vec(),
            })
            .map_err(|e| Error::Signature {
                reason: e.to_string(),
            })
    }
}

/// A coded value (`code`, code system, display name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub system: String,
    pub display: Option<String>,
}

/// The professional as the VIHF names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Practitioner {
    /// IDNPS (e.g. `810100000017`).
    pub national_id: String,
    /// "NOM Prénom".
    pub name: String,
    /// Subject DN of the signing certificate (the Issuer).
    pub issuer_dn: String,
    pub profession: Option<Code>,
    pub specialty: Option<Code>,
}

impl Practitioner {
    /// Reads the holder from the signing certificate: IDNPS, name, profession
    /// (TRE_G15 code when the title tells it). The specialty is not in CPS
    /// certificates: give it with [`Practitioner::with_specialty`] when known.
    pub fn from_certificate(der: &[u8]) -> Result<Practitioner, Error> {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| Error::Signature {
            reason: format!("the card certificate does not parse: {e}"),
        })?;
        let holder = crate::card::identity::holder_from_der(der).map_err(|e| Error::Signature {
            reason: e.to_string(),
        })?;
        let national_id = holder.national_id.clone().ok_or_else(|| Error::Signature {
            reason: "the card certificate names no national identifier (IDNPS)".to_string(),
        })?;
        let profession = holder.profession_code.clone().map(|code| Code {
            code,
            system: PROFESSION_OID.to_string(),
            display: holder.profession.clone(),
        });
        Ok(Practitioner {
            national_id,
            name: holder.display_name,
            issuer_dn: cert.subject().to_string(),
            profession,
            specialty: None,
        })
    }

    pub fn with_specialty(mut self, code: &str, display: Option<&str>) -> Practitioner {
        self.specialty = Some(Code {
            code: code.to_string(),
            system: SPECIALTY_OID.to_string(),
            display: display.map(str::to_string),
        });
        self
    }
}

/// The software (LPS) identification the DMP asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    pub id: String,
    pub name: String,
    pub version: String,
    /// `LPS_ID_HOMOLOGATION_DMP`, given by the DMP test programme.
    pub homologation: Option<String>,
}

impl Default for Software {
    fn default() -> Software {
        Software {
            id: "cachet".to_string(),
            name: "Cachet".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            homologation: None,
        }
    }
}

/// Everything a VIHF asserts, but the time and the ID.
#[derive(Debug, Clone)]
pub struct VihfContext {
    pub practitioner: Practitioner,
    /// `Identifiant_Structure` (e.g. FINESS or SIRET-based id) when known.
    pub structure_id: Option<String>,
    /// `Secteur_Activite` code (`SAxx`) when known.
    pub sector: Option<String>,
    pub software: Software,
}

/// The PurposeOfUse code sent for a purpose.
pub fn purpose_code(purpose: &PurposeOfUse) -> (&'static str, &'static str) {
    match purpose {
        PurposeOfUse::Normal => ("normal", "Accès normal"),
        PurposeOfUse::Emergency { reason } => match reason.kind() {
            EmergencyKind::MedicalRegulation => ("acces_centre15", "Accès centre de régulation"),
            EmergencyKind::VitalRisk | EmergencyKind::PatientUnableToConsent => {
                ("acces_urgence", "Accès en urgence (bris de glace)")
            }
        },
    }
}

fn saml(name: &str) -> XmlNode {
    XmlNode::new(&format!("saml2:{name}"))
}

fn ds(name: &str) -> XmlNode {
    XmlNode::new(&format!("ds:{name}"))
}

fn attribute(name: &str, value: &str) -> XmlNode {
    saml("Attribute")
        .attr("Name", name)
        .child(saml("AttributeValue").text(value))
}

fn coded_value(element: &str, code: &Code) -> XmlNode {
    let mut node = XmlNode::new(&format!("hl7:{element}"))
        .ns("hl7", HL7_NS)
        .ns("xsi", XSI_NS)
        .attr("code", &code.code)
        .attr("codeSystem", &code.system)
        .attr("xsi:type", "hl7:CE");
    if let Some(display) = &code.display {
        node = node.attr("displayName", display);
    }
    saml("AttributeValue").child(node)
}

/// A fresh random identifier usable as an XML ID (NCName) or a UUID URN.
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    // getrandom failing means no OS randomness at all: fall back to the clock
    // and a counter rather than panic; uniqueness is all we need here.
    if getrandom::fill(&mut b).is_err() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        b = now.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `YYYY-MM-DDThh:mm:ssZ`.
pub fn instant(now: time::OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&format).unwrap_or_default()
}

/// The unsigned assertion for a patient and a purpose.
pub fn assertion(
    context: &VihfContext,
    patient: &Ins,
    purpose: &PurposeOfUse,
    id: &str,
    now: time::OffsetDateTime,
) -> XmlNode {
    let p = &context.practitioner;
    let at = instant(now);
    let mut attributes = vec![
        attribute("VIHF_Version", "3.0"),
        attribute("Authentification_Mode", "DIRECTE"),
        attribute("urn:oasis:names:tc:xspa:1.0:subject:subject-id", &p.name),
    ];
    if let Some(structure) = &context.structure_id {
        attributes.push(attribute("Identifiant_Structure", structure));
    }
    if let Some(sector) = &context.sector {
        attributes.push(attribute(
            "Secteur_Activite",
            &format!("{sector}^1.2.250.1.71.4.2.4"),
        ));
    }
    let roles: Vec<XmlNode> = [&p.profession, &p.specialty]
        .into_iter()
        .flatten()
        .map(|c| coded_value("Role", c))
        .collect();
    if !roles.is_empty() {
        attributes.push(
            saml("Attribute")
                .attr("Name", "urn:oasis:names:tc:xacml:2.0:subject:role")
                .children(roles),
        );
    }
    attributes.push(attribute(
        "urn:oasis:names:tc:xacml:2.0:resource:resource-id",
        &format!(
            "{}^^^&{}&ISO^NH",
            patient.number().as_str(),
            patient.oid().as_str()
        ),
    ));
    attributes.push(attribute("Ressource_URN", "urn:dmp"));
    let (code, display) = purpose_code(purpose);
    attributes.push(
        saml("Attribute")
            .attr("Name", "PurposeOfUse")
            .child(coded_value(
                "PurposeOfUse",
                &Code {
                    code: code.to_string(),
                    system: PURPOSE_OID.to_string(),
                    display: Some(display.to_string()),
                },
            )),
    );
    let sw = &context.software;
    attributes.push(attribute("LPS_ID", &sw.id));
    attributes.push(attribute("LPS_Nom", &sw.name));
    attributes.push(attribute("LPS_Version", &sw.version));
    if let Some(h) = &sw.homologation {
        attributes.push(attribute("LPS_ID_HOMOLOGATION_DMP", h));
    }

    saml("Assertion")
        .ns("saml2", SAML_NS)
        .attr("ID", id)
        .attr("IssueInstant", &at)
        .attr("Version", "2.0")
        .child(
            saml("Issuer")
                .attr(
                    "Format",
                    "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
                )
                .text(&p.issuer_dn),
        )
        .child(
            saml("Subject").child(
                saml("NameID")
                    .attr(
                        "Format",
                        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                    )
                    .text(&p.national_id),
            ),
        )
        .child(
            saml("AuthnStatement").attr("AuthnInstant", &at).child(
                saml("AuthnContext").child(
                    saml("AuthnContextClassRef")
                        .text("urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient"),
                ),
            ),
        )
        .child(saml("AttributeStatement").children(attributes))
}

/// The SignedInfo for a reference to `#id` with `digest` (SHA-256).
pub fn signed_info(id: &str, digest: &[u8]) -> XmlNode {
    ds("SignedInfo")
        .ns("ds", DS_NS)
        .child(ds("CanonicalizationMethod").attr("Algorithm", EXC_C14N))
        .child(ds("SignatureMethod").attr("Algorithm", RSA_SHA256))
        .child(
            ds("Reference")
                .attr("URI", &format!("#{id}"))
                .child(
                    ds("Transforms")
                        .child(ds("Transform").attr("Algorithm", ENVELOPED))
                        .child(ds("Transform").attr("Algorithm", EXC_C14N)),
                )
                .child(ds("DigestMethod").attr("Algorithm", SHA256))
                .child(ds("DigestValue").text(&B64.encode(digest))),
        )
}

/// Signs `assertion` (enveloped signature placed after the Issuer). Blocking.
pub fn sign(mut assertion: XmlNode, signer: &dyn AssertionSigner) -> Result<XmlNode, Error> {
    let id = assertion
        .attributes
        .iter()
        .find(|(k, _)| k == "ID")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Error::Signature {
            reason: "the assertion has no ID".to_string(),
        })?;
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical(&assertion).as_bytes());
    let info = signed_info(&id, digest.as_ref());
    let info_digest = ring::digest::digest(&ring::digest::SHA256, canonical(&info).as_bytes());
    let value = signer.sign_sha256(info_digest.as_ref())?;
    let signature = ds("Signature")
        .ns("ds", DS_NS)
        .child(info)
        .child(ds("SignatureValue").text(&B64.encode(value)))
        .child(ds("KeyInfo").child(
            ds("X509Data").child(ds("X509Certificate").text(&B64.encode(signer.certificate()))),
        ));
    // After saml2:Issuer, the first child (SAML 2.0 core §2.3.3 order).
    assertion.insert_child(1, signature);
    Ok(assertion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::backend::EmergencyReason;
    use crate::records::ins::{InsOid, InsPolicy};

    fn context() -> VihfContext {
        VihfContext {
            practitioner: Practitioner {
                national_id: "810100000017".into(),
                name: "MARTIN Alice".into(),
                issuer_dn: "C=FR, O=Test & Co, CN=810100000017".into(),
                profession: Some(Code {
                    code: "10".into(),
                    system: PROFESSION_OID.into(),
                    display: Some("Médecin".into()),
                }),
                specialty: None,
            }
            .with_specialty("SM26", Some("Qualifié en médecine générale")),
            structure_id: Some("10B0012345".into()),
            sector: Some("SA07".into()),
            software: Software::default(),
        }
    }

    fn ins() -> Ins {
        Ins::parse(
            "279035121518989",
            InsOid::NIR,
            InsPolicy {
                test_profile: false,
            },
        )
        .unwrap()
    }

    #[test]
    fn the_assertion_carries_the_vihf_attributes() {
        let now = time::macros::datetime!(2026-01-02 03:04:05 UTC);
        let a = assertion(&context(), &ins(), &PurposeOfUse::Normal, "_abc", now);
        assert!(a.check_prefixes().is_empty(), "{:?}", a.check_prefixes());
        let xml = canonical(&a);
        for needle in [
            "IssueInstant=\"2026-01-02T03:04:05Z\"",
            ">C=FR, O=Test &amp; Co, CN=810100000017</saml2:Issuer>",
            ">810100000017</saml2:NameID>",
            "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient",
            ">279035121518989^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH<",
            "code=\"normal\" codeSystem=\"1.2.250.1.213.1.1.4.248\"",
            "code=\"10\" codeSystem=\"1.2.250.1.71.1.2.7\"",
            "code=\"SM26\" codeSystem=\"1.2.250.1.71.4.2.5\"",
            ">SA07^1.2.250.1.71.4.2.4<",
            ">DIRECTE<",
            ">urn:dmp<",
        ] {
            assert!(xml.contains(needle), "{needle} missing in {xml}");
        }
    }

    #[test]
    fn emergency_purposes_have_their_codes() {
        let r =
            EmergencyReason::new(EmergencyKind::MedicalRegulation, "appel au centre 15").unwrap();
        assert_eq!(
            purpose_code(&PurposeOfUse::Emergency { reason: r }).0,
            "acces_centre15"
        );
        let r = EmergencyReason::new(EmergencyKind::VitalRisk, "arrêt cardiaque en salle").unwrap();
        assert_eq!(
            purpose_code(&PurposeOfUse::Emergency { reason: r }).0,
            "acces_urgence"
        );
    }

    #[test]
    fn uuids_are_version_4_shaped() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, random_uuid());
    }
}
