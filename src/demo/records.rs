//! The demo's shared record: one fictional patient and a handful of CDA R2
//! documents generated in the shapes of the official French examples (a
//! biology report with result tables, a consultation report, a discharge
//! letter), plus one document masked from professionals that must never
//! appear in a list.

use crate::records::Error;
use crate::records::backend::{
    Coding, DocumentEntry, DocumentQuery, DocumentStatus, Masking, PatientSelector,
    visible_to_professional,
};
use crate::records::ins::{InsOid, nir_key};

/// The demo patient: a test INS-NIR (the demo profile is a test profile).
pub const DEMO_PATIENT_NIR_BODY: u64 = 2_800_375_112_345;
pub const DEMO_PATIENT_NAME: &str = "Mme Lucie GARNIER";

/// The INS the demo shows on the records screen (15 characters, key included).
pub fn demo_patient_ins() -> String {
    format!(
        "{DEMO_PATIENT_NIR_BODY}{:02}",
        nir_key(DEMO_PATIENT_NIR_BODY)
    )
}

pub struct DemoRecords {
    documents: Vec<(DocumentEntry, Vec<u8>)>,
}

struct Kind {
    loinc: &'static str,
    label: &'static str,
    author: &'static str,
    facility: &'static str,
    sections: &'static [(&'static str, &'static str)],
}

const BIOLOGY: Kind = Kind {
    loinc: "11502-2",
    label: "CR d'examens biologiques",
    author: "Laboratoire BioSanté",
    facility: "Laboratoire BioSanté Exemple",
    sections: &[
        (
            "Biochimie",
            "<paragraph>Prélèvement du {date} à 07h40.</paragraph><table><thead><tr><th>Examen</th><th>Résultat</th><th>Unité</th><th>Valeurs de référence</th></tr></thead><tbody><tr><td>Glucose à jeun</td><td>6,9</td><td>mmol/L</td><td>3,9 - 6,1</td></tr><tr><td>Hémoglobine glyquée (HbA1c)</td><td>7,4</td><td>%</td><td>&lt; 7</td></tr><tr><td>Créatinine</td><td>98</td><td>µmol/L</td><td>45 - 90</td></tr><tr><td>DFG estimé (CKD-EPI)</td><td>64</td><td>mL/min/1,73 m²</td><td>&gt; 90</td></tr><tr><td>Potassium</td><td>4,1</td><td>mmol/L</td><td>3,5 - 5,0</td></tr></tbody></table>",
        ),
        (
            "Hématologie",
            "<table><thead><tr><th>Examen</th><th>Résultat</th><th>Unité</th><th>Valeurs de référence</th></tr></thead><tbody><tr><td>Hémoglobine</td><td>12,8</td><td>g/dL</td><td>11,5 - 15,0</td></tr><tr><td>Leucocytes</td><td>7,2</td><td>G/L</td><td>4,0 - 10,0</td></tr><tr><td>Plaquettes</td><td>254</td><td>G/L</td><td>150 - 400</td></tr></tbody></table>",
        ),
        (
            "Commentaire",
            "<paragraph>Déséquilibre glycémique modéré. <content styleCode=\"Bold\">À confronter au traitement en cours.</content></paragraph>",
        ),
    ],
};

const CONSULTATION: Kind = Kind {
    loinc: "11488-4",
    label: "Compte rendu de consultation",
    author: "Dr Claire Lefèvre",
    facility: "CHU Exemple, service de cardiologie",
    sections: &[
        (
            "Motif",
            "<paragraph>Avis cardiologique pour hypertension artérielle mal contrôlée.</paragraph>",
        ),
        (
            "Examen clinique",
            "<list><item>Pression artérielle : 152/88 mmHg</item><item>Fréquence cardiaque : 72/min, régulière</item><item>Pas de souffle, pas d'œdème</item></list>",
        ),
        (
            "Conclusion",
            "<paragraph>Majoration du traitement antihypertenseur ; MAPA dans trois mois.</paragraph>",
        ),
    ],
};

const DISCHARGE: Kind = Kind {
    loinc: "34106-5",
    label: "Lettre de liaison à la sortie",
    author: "Dr Hélène Roux",
    facility: "CH Exemple, service de gériatrie",
    sections: &[
        (
            "Motif d'hospitalisation",
            "<paragraph>Décompensation cardiaque globale.</paragraph>",
        ),
        (
            "Traitement de sortie",
            "<table><thead><tr><th>Médicament</th><th>Posologie</th></tr></thead><tbody><tr><td>Furosémide 40 mg</td><td>1 cp le matin</td></tr><tr><td>Bisoprolol 2,5 mg</td><td>1 cp le matin</td></tr><tr><td>Ramipril 5 mg</td><td>1 cp le soir</td></tr></tbody></table>",
        ),
        (
            "Suivi",
            "<paragraph>Poids et kaliémie à J7 ; consultation dans un mois.</paragraph>",
        ),
    ],
};

fn cda(kind: &Kind, id: usize, date: &str, confidentiality: &str) -> String {
    let ins = demo_patient_ins();
    let day = format!("{}/{}/{}", &date[6..8], &date[4..6], &date[0..4]);
    let sections: String = kind
        .sections
        .iter()
        .map(|(title, text)| {
            format!(
                "<component><section><title>{title}</title><text>{}</text></section></component>",
                text.replace("{date}", &day)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
<realmCode code="FR"/>
<id root="1.2.250.1.999.1.1" extension="DEMO-{id}"/>
<code code="{loinc}" codeSystem="2.16.840.1.113883.6.1" displayName="{label}"/>
<title>{label}</title>
<effectiveTime value="{date}"/>
<confidentialityCode code="{confidentiality}" codeSystem="2.16.840.1.113883.5.25"/>
<setId root="1.2.250.1.999.1.2" extension="DEMO-{id}"/>
<versionNumber value="1"/>
<recordTarget><patientRole>
<id root="{oid}" extension="{ins}"/>
<patient><name><given>Lucie</given><family qualifier="BR">GARNIER</family></name>
<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
<birthTime value="19800312"/></patient>
</patientRole></recordTarget>
<author><time value="{date}"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810100000099"/>
<assignedPerson><name><family>{author}</family></name></assignedPerson>
<representedOrganization><name>{facility}</name></representedOrganization></assignedAuthor></author>
<custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.213.4.1"/><name>Hébergeur de démonstration</name></representedCustodianOrganization></assignedCustodian></custodian>
<component><structuredBody>{sections}</structuredBody></component>
</ClinicalDocument>
"#,
        loinc = kind.loinc,
        label = kind.label,
        author = kind.author,
        facility = kind.facility,
        oid = InsOid::TestNir.as_str(),
    )
}

fn entry(kind: &Kind, id: usize, date: &str, bytes: &[u8], masked: bool) -> DocumentEntry {
    let confidentiality = if masked {
        vec![Coding {
            system: None,
            code: crate::records::backend::MASQUE_PS.into(),
            display: None,
        }]
    } else {
        Vec::new()
    };
    DocumentEntry {
        id: format!("DEMO-{id}"),
        unique_id: Some(format!("1.2.250.1.999.1.1^DEMO-{id}")),
        title: Some(kind.label.to_string()),
        date: Some(date.to_string()),
        type_code: Some(Coding {
            system: None,
            code: kind.loinc.into(),
            display: Some(kind.label.into()),
        }),
        class_code: None,
        authors: vec![kind.author.to_string()],
        facility: Some(kind.facility.to_string()),
        status: Some(DocumentStatus::Current),
        masking: Masking::from_codes(confidentiality.iter()),
        confidentiality,
        mime_type: Some("text/xml".into()),
        size: Some(bytes.len() as u64),
        sha1: Some(
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
                .as_ref()
                .to_vec(),
        ),
        content_url: None,
        repository_id: None,
    }
}

impl DemoRecords {
    pub fn new() -> DemoRecords {
        let plan: [(&Kind, &str, bool); 5] = [
            (&BIOLOGY, "20261121073000", false),
            (&CONSULTATION, "20261105100000", false),
            (&DISCHARGE, "20261012150000", false),
            (&BIOLOGY, "20260915074000", false),
            (&CONSULTATION, "20260801090000", true),
        ];
        let documents = plan
            .iter()
            .enumerate()
            .map(|(id, (kind, date, masked))| {
                let bytes = cda(kind, id + 1, date, if *masked { "R" } else { "N" }).into_bytes();
                (entry(kind, id + 1, date, &bytes, *masked), bytes)
            })
            .collect();
        DemoRecords { documents }
    }

    /// Documents of the demo patient that a professional may see.
    pub fn find(&self, query: &DocumentQuery) -> Vec<DocumentEntry> {
        let matches_patient = match &query.patient {
            PatientSelector::Ins(ins) => ins.number().as_str() == demo_patient_ins(),
            PatientSelector::Reference { .. } => false,
        };
        if !matches_patient {
            return Vec::new();
        }
        let all = self.documents.iter().map(|(e, _)| e.clone()).collect();
        visible_to_professional(all, &query.purpose)
    }

    pub fn fetch(&self, id: &str) -> Result<Vec<u8>, Error> {
        self.documents
            .iter()
            .find(|(e, _)| e.id == id)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| Error::Invalid {
                reason: format!("no document {id}"),
            })
    }
}

impl Default for DemoRecords {
    fn default() -> Self {
        DemoRecords::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ins::{Ins, InsPolicy};

    fn query() -> DocumentQuery {
        let ins = Ins::parse(
            &demo_patient_ins(),
            InsOid::TestNir.as_str(),
            InsPolicy { test_profile: true },
        )
        .expect("the demo INS is valid");
        DocumentQuery::for_patient(PatientSelector::Ins(ins))
    }

    #[test]
    fn every_demo_document_renders_with_its_sections() {
        let records = DemoRecords::new();
        let list = records.find(&query());
        assert_eq!(list.len(), 4, "the masked document is not listed");
        assert!(
            list.windows(2).all(|w| w[0].date >= w[1].date),
            "newest first"
        );
        for entry in &list {
            let bytes = records.fetch(&entry.id).expect("fetches");
            let doc = crate::records::cda::parse(&bytes).expect("parses");
            let text = crate::records::cda::render(&doc).to_plain_string(80);
            assert!(text.contains("GARNIER"), "{text}");
        }
        let bio = records.fetch(&list[0].id).expect("bio");
        let text = crate::records::cda::render(&crate::records::cda::parse(&bio).expect("parses"))
            .to_plain_string(80);
        assert!(
            text.contains("Hémoglobine glyquée") && text.contains('│'),
            "a table:\n{text}"
        );
    }
}
