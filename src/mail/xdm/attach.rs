//! A CDA document made ready for a message: the `IHE_XDM.ZIP` attachment,
//! the `X-MSS-CODECDA` / `X-MSS-INS` header values and the subject the
//! MSSanté convention proposes (`XDM/1.0/DDM+<libellé> <NOM> <PRÉNOM>
//! <JJ/MM/AAAA>`, ANS IG "transmission LPS document CDA courriel MSS").
//! Shared by `cachet send --xdm` and the composer.

use crate::mail::compose::{self, Attachment};
use crate::records::cda::{self, CdaDocument};
use crate::records::ins::InsPolicy;

use super::error::Error;
use super::headers::mss_headers;
use super::metadata::SubmitObjects;
use super::write::{PackageOptions, cda_entry, package};

/// The attachment's file name, as MSSanté receivers look for it.
pub const XDM_NAME: &str = "IHE_XDM.ZIP";
/// `XDSSubmissionSet.sourceId` of Cachet until it has a registered OID.
pub const SOURCE_ID: &str = "1.2.250.1.999.7.1";

#[derive(Debug)]
pub struct XdmAttachment {
    pub attachment: Attachment,
    pub mss: compose::MssHeaders,
    /// The conventional subject, to offer (the user may keep their own).
    pub subject: String,
    pub metadata: SubmitObjects,
}

/// Packages `cda_bytes` for `recipients` (their e-mail addresses become the
/// submission set's intended recipients).
pub fn attach_cda(
    cda_bytes: Vec<u8>,
    recipients: &[String],
    policy: InsPolicy,
) -> Result<XdmAttachment, Error> {
    let doc = cda::parse(&cda_bytes).map_err(Error::Cda)?;
    let entry = cda_entry(&doc, policy)?;
    let options = PackageOptions {
        source_id: SOURCE_ID.to_string(),
        author: entry.authors.first().cloned(),
        content_type: None,
        // `XON|XCN|XTN` (ITI TF-3 4.2.3.3): only the e-mail address, as XTN.
        intended_recipients: recipients
            .iter()
            .map(|r| format!("||^^Internet^{r}"))
            .collect(),
        title: doc.header.title.clone(),
        ins_policy: policy,
    };
    let packaged = package(vec![(entry, cda_bytes)], &options)?;
    let headers = mss_headers(&[&doc], policy);
    Ok(XdmAttachment {
        attachment: Attachment {
            name: XDM_NAME.to_string(),
            content_type: "application/zip".to_string(),
            bytes: packaged.zip,
        },
        mss: compose::MssHeaders {
            codecda: headers
                .codecda
                .map(|c| c.split(", ").map(str::to_string).collect())
                .unwrap_or_default(),
            ins: headers.ins,
        },
        subject: conventional_subject(&doc),
        metadata: packaged.metadata,
    })
}

/// `XDM/1.0/DDM+<libellé> <NOM> <PRÉNOM> <JJ/MM/AAAA>`, leaving out what the
/// header does not give.
pub fn conventional_subject(doc: &CdaDocument) -> String {
    let h = &doc.header;
    let label = h
        .code
        .as_ref()
        .and_then(|c| c.display.clone())
        .or_else(|| h.title.clone())
        .unwrap_or_default();
    let name = &h.patient.name;
    let family = name
        .used_family
        .as_ref()
        .or(name.family.as_ref())
        .map(|f| f.to_uppercase());
    let given = name
        .used_given
        .as_ref()
        .or(name.given.first())
        .map(|g| g.to_uppercase());
    let birth = h.patient.traits.birth_date.as_deref().and_then(french_date);
    let mut parts = vec![label];
    parts.extend(family);
    parts.extend(given);
    parts.extend(birth);
    let text: String = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("XDM/1.0/DDM+{text}")
}

/// `YYYYMMDD…` → `DD/MM/YYYY`.
fn french_date(hl7: &str) -> Option<String> {
    let d = hl7.get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}/{}/{}", &d[6..8], &d[4..6], &d[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="1.2.250.1.999.7" extension="CR-2026-001"/>
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="CR d'examens biologiques"/>
  <title>Compte rendu de biologie</title>
  <effectiveTime value="20260115103000+0100"/>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="279035121518989"/>
    <patient><name><family>Exemple</family><given>Camille</given></name>
    <administrativeGenderCode code="F"/><birthTime value="19790328"/></patient></patientRole></recordTarget>
  <author><time value="20260115"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810100000017"/>
    <assignedPerson><name><family>MARTIN</family><given>Alice</given></name></assignedPerson></assignedAuthor></author>
  <component><structuredBody><component><section><title>R</title><text>Normal.</text></section></component></structuredBody></component>
</ClinicalDocument>"#;

    #[test]
    fn a_cda_becomes_an_xdm_with_headers_and_the_conventional_subject() {
        let a = attach_cda(
            CDA.as_bytes().to_vec(),
            &["bob@example.test".into()],
            InsPolicy::default(),
        )
        .unwrap();
        assert_eq!(a.attachment.name, "IHE_XDM.ZIP");
        assert_eq!(a.mss.codecda, ["11502-2"]);
        assert_eq!(a.mss.ins.as_deref(), Some("O"));
        assert_eq!(
            a.subject,
            "XDM/1.0/DDM+CR d'examens biologiques EXEMPLE CAMILLE 28/03/1979"
        );
        let back = super::super::XdmPackage::read(a.attachment.bytes).unwrap();
        let set = a.metadata.submission_set.unwrap();
        assert_eq!(back.submission_sets, std::slice::from_ref(&set));
        assert_eq!(back.documents[0].entry, a.metadata.documents[0]);
        assert_eq!(set.intended_recipients, ["||^^Internet^bob@example.test"]);
    }
}
