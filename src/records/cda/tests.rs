use base64::Engine;

use super::*;
use crate::domain::text::{Block, Emphasis, is_terminal_safe};
use crate::error::{ErrorKind, HasKind};
use crate::records::ins::{InsOid, InsPolicy};

const BIO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="1.2.250.1.999.1" extension="DOC-1"/>
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="CR d'examens biologiques"/>
  <title>Compte rendu de biologie</title>
  <effectiveTime value="20240116151112+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  <setId root="1.2.250.1.999.2"/>
  <versionNumber value="2"/>
  <recordTarget><patientRole>
    <id extension="279035121518989" root="1.2.250.1.213.1.4.10"/>
    <id extension="42" root="1.2.3"/>
    <patient>
      <name><family qualifier="BR">TEST</family><given>Camille Marie</given><given qualifier="BR">Camille</given></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19790328"/>
      <birthplace><place><addr><county>51215</county></addr></place></birthplace>
    </patient>
  </patientRole></recordTarget>
  <author><time value="20240116"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810100000017"/>
    <assignedPerson><name><prefix>Dr</prefix><given>Alice</given><family>Martin</family></name></assignedPerson>
    <representedOrganization><name>Laboratoire Exemple</name></representedOrganization></assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.3"/><name>Hébergeur Exemple</name></representedCustodianOrganization></assignedCustodian></custodian>
  <component><structuredBody>
    <component><section>
      <title>BIOCHIMIE</title>
      <component><section>
        <title>Bilan thyroïdien</title>
        <text>
          <table border="0">
            <thead><tr><th styleCode="Bold">Analyse</th><th>Résultat</th><th>Référence</th></tr></thead>
            <tbody>
              <tr><td><content ID="r1">TSH</content><br/><content>(ECL)</content></td><td>1.950 mUI/l</td><td>(0.270 - 4.200)</td></tr>
              <tr><td>FT4</td><td colspan="2">7.67 pg/ml</td></tr>
            </tbody>
          </table>
          <paragraph>Résultat <content revised="delete">normal</content><content styleCode="Bold">anormal</content> : voir
            <linkHtml href="https://example.test/x">le guide</linkHtml>.<br/>Deuxième ligne</paragraph>
          <list listType="ordered"><item>Un</item><item><paragraph>Deux</paragraph></item></list>
          <weird>texte inconnu <b>gras</b></weird>
          <renderMultiMedia referencedObject="img1"/>
        </text>
        <entry><observation><value xsi:type="PQ" value="1.95"/></observation></entry>
        <entry><observationMedia ID="img1"><value mediaType="image/png" representation="B64">iVBORw0KGgo=</value></observationMedia></entry>
      </section></component>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>"#;

fn plain(doc: &CdaDocument) -> String {
    render(doc).to_plain_string(120)
}

#[test]
fn header_is_read() {
    let doc = parse(BIO.as_bytes()).unwrap();
    let h = &doc.header;
    assert_eq!(h.title.as_deref(), Some("Compte rendu de biologie"));
    assert_eq!(h.code.as_ref().unwrap().code, "11502-2");
    assert_eq!(h.version.as_deref(), Some("2"));
    assert_eq!(h.id.as_ref().unwrap().to_xds(), "1.2.250.1.999.1^DOC-1");
    assert_eq!(h.patient.name.family.as_deref(), Some("TEST"));
    let mut used = h.patient.name.clone();
    used.used_family = Some("Dupont".to_string());
    used.used_given = Some("Cam".to_string());
    assert_eq!(used.display(), "Cam DUPONT (nom de naissance TEST)");
    assert_eq!(h.patient.traits.first_names, vec!["Camille", "Marie"]);
    assert_eq!(h.patient.traits.birth_place_code.as_deref(), Some("51215"));
    assert_eq!(
        h.authors[0].organization.as_deref(),
        Some("Laboratoire Exemple")
    );
    assert_eq!(h.custodian.as_deref(), Some("Hébergeur Exemple"));
    // The INS carries a test OID: only a test profile accepts it.
    assert!(
        h.patient
            .ins(InsPolicy {
                test_profile: false
            })
            .is_err()
    );
    let ins = h
        .patient
        .ins(InsPolicy { test_profile: true })
        .unwrap()
        .unwrap();
    assert_eq!(ins.oid(), InsOid::TestNir);
}

#[test]
fn narrative_renders_tables_lists_and_emphasis() {
    let doc = parse(BIO.as_bytes()).unwrap();
    assert_eq!(doc.section_titles(), vec!["BIOCHIMIE", "Bilan thyroïdien"]);
    let rich = render(&doc);
    let table = rich
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Line(_) => None,
        })
        .expect("the result table is a Table block");
    assert_eq!(table.header, vec!["Analyse", "Résultat", "Référence"]);
    assert_eq!(
        table.rows[0],
        vec!["TSH (ECL)", "1.950 mUI/l", "(0.270 - 4.200)"]
    );
    assert_eq!(
        table.rows[1],
        vec!["FT4", "7.67 pg/ml", ""],
        "colspan keeps the columns aligned"
    );

    let text = plain(&doc);
    assert!(
        text.contains("Résultat anormal : voir le guide (https://example.test/x)."),
        "{text}"
    );
    assert!(
        text.contains("\nDeuxième ligne\n"),
        "br splits the line: {text}"
    );
    assert!(text.contains("1. Un\n2. Deux\n"), "{text}");
    assert!(
        text.contains("texte inconnu gras"),
        "unknown elements degrade to text: {text}"
    );
    assert!(text.contains("[Pièce jointe image/png"), "{text}");
    assert!(!text.contains("1.95\n"), "coded entries are not shown");
    assert!(text.contains("INS-NIR de test : 279035121518989"));
    assert!(!text.contains("INS incohérent"), "number and traits agree");
    let mismatched = parse(BIO.replace("19790328", "19800328").as_bytes()).unwrap();
    assert!(plain(&mismatched).contains("INS incohérent"));
    let bad_key = parse(BIO.replace("279035121518989", "279035121518988").as_bytes()).unwrap();
    assert!(plain(&bad_key).contains("INS invalide : clé 88, le numéro donne 89"));
    assert!(text.contains("Date : 16/01/2024 15:11"));
    assert!(!text.contains('<'), "{text}");

    let strong = rich.blocks.iter().any(|b| match b {
        Block::Line(l) => l
            .spans
            .iter()
            .any(|s| s.emphasis == Emphasis::Strong && s.text() == "anormal"),
        Block::Table(_) => false,
    });
    assert!(strong, "styleCode=Bold becomes Strong");
    let headings: Vec<_> = rich
        .layout(80)
        .into_iter()
        .filter(|l| {
            l.spans
                .iter()
                .any(|s| matches!(s.emphasis, Emphasis::Heading(_)))
        })
        .map(|l| (l.to_plain_string(), l.spans[0].emphasis))
        .collect();
    assert!(headings.contains(&("BIOCHIMIE".to_string(), Emphasis::Heading(2))));
    assert!(headings.contains(&("Bilan thyroïdien".to_string(), Emphasis::Heading(3))));
}

fn level1(media_type: &str, payload: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    format!(
        r#"<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Niveau 1</title>
        <component><nonXMLBody><text mediaType="{media_type}" representation="B64">{b64}</text></nonXMLBody></component>
        </ClinicalDocument>"#
    )
}

#[test]
fn level1_text_and_pdf() {
    let doc =
        parse(level1("text/plain", "Bonjour\nligne 2\u{1b}[31m".as_bytes()).as_bytes()).unwrap();
    let text = plain(&doc);
    assert!(text.contains("Bonjour\nligne 2"), "{text}");
    assert!(
        render(&doc)
            .layout(80)
            .iter()
            .all(|l| l.spans.iter().all(|s| is_terminal_safe(s.text())))
    );

    let pdf = b"%PDF-1.4 fake";
    let doc = parse(level1("application/pdf", pdf).as_bytes()).unwrap();
    match &doc.body {
        Body::NonXml(file) => assert_eq!(file.bytes, pdf, "the PDF bytes are kept for saving"),
        other => panic!("{other:?}"),
    }
    assert!(plain(&doc).contains("PDF (13 octets) : à ouvrir avec une visionneuse externe"));
}

#[test]
fn level1_reference_to_a_separate_file() {
    let xml = r#"<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Externe</title><component><nonXMLBody>
        <text mediaType="application/pdf"><reference value="DOC0002.PDF"/></text></nonXMLBody></component></ClinicalDocument>"#;
    let doc = parse(xml.as_bytes()).unwrap();
    assert_eq!(
        doc.body,
        Body::External {
            media_type: "application/pdf".to_string(),
            reference: "DOC0002.PDF".to_string()
        }
    );
    assert!(plain(&doc).contains("« DOC0002.PDF » transmis à part"));
}

#[test]
fn hostile_or_foreign_documents_are_typed_errors() {
    let not_cda = parse(b"<html><body/></html>").unwrap_err();
    assert!(matches!(not_cda, crate::records::Error::NotCda { .. }));
    assert_eq!(not_cda.kind(), ErrorKind::Invalid);

    let laughs = br#"<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><ClinicalDocument>&b;</ClinicalDocument>"#;
    let err = parse(laughs).unwrap_err();
    assert!(matches!(
        err,
        crate::records::Error::Xml(crate::records::xml::XmlError::Doctype)
    ));
    assert_eq!(err.kind(), ErrorKind::Invalid);

    let deep = format!(
        "<ClinicalDocument>{}{}</ClinicalDocument>",
        "<x>".repeat(100_000),
        "</x>".repeat(100_000)
    );
    assert!(matches!(
        parse(deep.as_bytes()),
        Err(crate::records::Error::Xml(
            crate::records::xml::XmlError::TooDeep { .. }
        ))
    ));
    let attr = format!("<ClinicalDocument a=\"{}\"/>", "x".repeat(10 * 1024 * 1024));
    assert!(matches!(
        parse(attr.as_bytes()),
        Err(crate::records::Error::Xml(
            crate::records::xml::XmlError::AttributeTooLarge { .. }
        ))
    ));
    assert!(
        parse(
            level1("application/pdf", b"x")
                .replace("B64\">", "B64\">!!!")
                .as_bytes()
        )
        .is_err()
    );
}
