//! Recognition and identity parsing on real-world CPS material from the
//! shared corpus (ATR lists, IGC-Santé test card certificates). Skipped
//! when the corpus is absent.

mod common;

use cachet::card::{CardKind, Error, identity};

fn corpus() -> Option<std::path::PathBuf> {
    let dir = common::corpus_dir().map(|d| d.join("cps"));
    if dir.is_none() {
        eprintln!("card_recognition: skipped, no ../shared/corpus");
    }
    dir
}

/// ATR lines of the smartcard list: hex bytes, optionally with `[..]`/`..` wildcards (skipped).
fn atrs(text: &str) -> Vec<(Vec<u8>, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with(['3', '2'])
            && !line.contains('[')
            && !line.contains('.')
            && let Ok(atr) = hex::decode(line.replace(' ', ""))
        {
            let label = lines
                .get(i + 1)
                .map(|l| l.trim().to_string())
                .unwrap_or_default();
            out.push((atr, label));
        }
    }
    out
}

#[test]
fn corpus_atrs_are_sorted_into_cps_and_not_cps() {
    let Some(dir) = corpus() else { return };
    let text =
        std::fs::read_to_string(dir.join("cps_vitale_atrs_from_smartcard_list.txt")).unwrap();
    let list = atrs(&text);
    assert!(list.len() >= 10, "parsed {} ATRs", list.len());
    let mut cps = 0;
    for (atr, label) in &list {
        let kind = CardKind::from_atr(atr);
        let says_cps = label.contains("CPS");
        assert_eq!(
            kind.is_ok(),
            says_cps,
            "{} ({label}) -> {kind:?}",
            hex::encode_upper(atr)
        );
        if label.contains("V4") {
            assert_eq!(kind.unwrap(), CardKind::Cps4);
        } else if label.contains("Contactless") {
            assert_eq!(kind.unwrap(), CardKind::Cps3Contactless);
        } else if says_cps {
            assert_eq!(kind.unwrap(), CardKind::Cps3Contact);
        }
        if label.contains("Vitale") && !says_cps {
            let e = CardKind::from_atr(atr).unwrap_err();
            assert!(matches!(e, Error::UnknownCard { .. }));
            assert!(e.to_string().contains("carte Vitale"), "{e}");
        }
        cps += usize::from(says_cps);
    }
    assert_eq!(cps, 4);
}

#[test]
fn the_full_smartcard_list_never_panics_and_finds_the_cps_entries() {
    let Some(dir) = corpus() else { return };
    let raw = std::fs::read(dir.join("smartcard_list_full.txt")).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let list = atrs(&text);
    assert!(list.len() > 1000, "parsed {} ATRs", list.len());
    let recognised: Vec<_> = list
        .iter()
        .filter(|(a, _)| CardKind::from_atr(a).is_ok())
        .collect();
    assert!(recognised.len() >= 3, "{recognised:?}");
    for (atr, label) in recognised {
        let l = label.to_lowercase();
        assert!(
            l.contains("cps") || l.contains("professionnel") || l.contains("cpx"),
            "{}: {label}",
            hex::encode_upper(atr)
        );
    }
}

fn pem_der(text: &str) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(text.as_bytes())
        .unwrap_or_else(|e| panic!("corpus PEM does not parse: {e}"))
        .to_vec()
}

#[test]
fn igc_sante_test_card_certificate_gives_the_holder() {
    let Some(dir) = corpus() else { return };
    let der =
        std::fs::read(dir.join(
            "igc-sante-test/CPx_card_2600301752_Auth_TEST_AC_IGC-SANTE_STANDARD_PERSONNES.der",
        ))
        .unwrap();
    let h = identity::holder_from_der(&der).unwrap();
    // GN + CN + SN share one multi-valued RDN in this certificate.
    assert_eq!(h.family_name.as_deref(), Some("ADMINISTRATIF-CH057880002"));
    assert_eq!(h.given_name.as_deref(), Some("CHARLES"));
    assert_eq!(h.display_name, "ADMINISTRATIF-CH057880002 CHARLES");
    assert_eq!(h.national_id.as_deref(), Some("30B0057881/CPET0002"));
    assert_eq!(h.rpps, None, "a type-3 identifier is not an RPPS number");
    assert_eq!(h.profession.as_deref(), Some("Personnel santé ou social"));
    assert_eq!(h.organisation.as_deref(), Some("HOPITAL DES 3 DAMES"));
    assert_eq!(h.organisation_unit.as_deref(), Some("10B0057881"));
    // The PEM of the same certificate gives the same holder.
    let pem =
        std::fs::read_to_string(dir.join(
            "igc-sante-test/CPx_card_2600301752_Auth_TEST_AC_IGC-SANTE_STANDARD_PERSONNES.pem",
        ))
        .unwrap();
    assert_eq!(identity::holder_from_der(&pem_der(&pem)).unwrap(), h);
}

#[test]
fn organisation_and_server_certificates_have_no_person() {
    let Some(dir) = corpus() else { return };
    for name in [
        "GIP-CPS-TEST_AC-CLASSE-4-TEST_server_cert.pem",
        "TEST_ORG_SIGN_rpps.tra.henix_expired.pem",
    ] {
        let text = std::fs::read_to_string(dir.join("igc-sante-test").join(name)).unwrap();
        let h = identity::holder_from_der(&pem_der(&text)).unwrap();
        assert_eq!(h.national_id, None, "{name}: {h:?}");
        assert_eq!(h.family_name, None);
        assert!(h.organisation.is_some());
    }
}

#[test]
fn truncated_corpus_certificate_is_a_clear_error() {
    let Some(dir) = corpus() else { return };
    let der =
        std::fs::read(dir.join(
            "igc-sante-test/CPx_card_2600301752_Auth_TEST_AC_IGC-SANTE_STANDARD_PERSONNES.der",
        ))
        .unwrap();
    for cut in [1, 10, 100, der.len() / 2, der.len() - 1] {
        let e = identity::holder_from_der(&der[..cut]).unwrap_err();
        assert!(matches!(e, Error::Certificate { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("the card's certificate cannot be read")
        );
    }
}
