//! Mutated CDA documents and XDM archives never panic: each parse ends in a
//! value or a typed error, and whatever renders is terminal-safe. A seeded
//! generator keeps failures reproducible.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cachet::domain::text::{Block, is_terminal_safe};
use cachet::mail::xdm::{self, PackageOptions, XdmPackage};
use cachet::records::cda;
use cachet::records::ins::InsPolicy;

const CDA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="x"/>
<code code="11502-2" displayName="CR"/><title>Titre &amp; test</title><effectiveTime value="20240101120000+0100"/>
<recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
<patient><name><family>TEST</family><given>Ana</given></name><birthTime value="19790328"/></patient></patientRole></recordTarget>
<component><structuredBody><component><section><title>Résultats</title><text>
<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1<br/>2</td><td colspan="3">x</td></tr></tbody></table>
<list><item><content styleCode="Bold">gras</content></item><item><linkHtml href="http://e.test">lien</linkHtml></item></list>
<paragraph>fin &#233;</paragraph><renderMultiMedia referencedObject="m1"/>
</text><component><section><title>Sous</title><text>t</text></section></component></section></component>
</structuredBody></component></ClinicalDocument>"#;

fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.usize(1..6) {
        if out.is_empty() {
            break;
        }
        let at = rng.usize(..out.len());
        match rng.u8(..5) {
            0 => out[at] = rng.u8(..),
            1 => out.truncate(at),
            2 => out.insert(at, *rng.choice(b"<>&\"'/=\x00\x1b").unwrap()),
            3 => {
                let end = (at + rng.usize(1..40)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + rng.usize(1..40)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.usize(..out.len());
                out.splice(to..to, copy);
            }
        }
    }
    out
}

#[test]
fn mutated_cda_documents_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x00CA_C4E7);
    let mut parsed = 0;
    for _ in 0..3000 {
        let input = mutate(&mut rng, CDA.as_bytes());
        if let Ok(doc) = cda::parse(&input) {
            parsed += 1;
            for block in cda::render(&doc).blocks {
                match block {
                    Block::Line(l) => assert!(l.spans.iter().all(|s| is_terminal_safe(s.text()))),
                    Block::Table(t) => assert!(
                        t.header
                            .iter()
                            .chain(t.rows.iter().flatten())
                            .all(|c| is_terminal_safe(c))
                    ),
                }
            }
        }
    }
    assert!(parsed > 0, "some mutations stay well-formed");
}

#[test]
fn mutated_xdm_archives_never_panic() {
    let options = PackageOptions {
        source_id: "1.2.3".to_string(),
        author: None,
        content_type: None,
        intended_recipients: vec![],
        title: None,
        ins_policy: InsPolicy { test_profile: true },
    };
    let zip = xdm::package_cda(CDA.as_bytes().to_vec(), &options)
        .unwrap()
        .zip;
    let mut rng = fastrand::Rng::with_seed(0x0000_2D1B);
    let mut outcomes = [0usize; 3];
    for _ in 0..1500 {
        let input = mutate(&mut rng, &zip);
        match XdmPackage::read(input) {
            Err(_) => outcomes[0] += 1,
            Ok(package) => {
                for doc in &package.documents {
                    match package.document_bytes(doc) {
                        Ok(_) => outcomes[1] += 1,
                        Err(_) => outcomes[2] += 1,
                    }
                }
            }
        }
    }
    assert!(outcomes[0] > 0, "{outcomes:?}");
}
