//! Card flows against the in-process simulator (both generations) and
//! against scripted bad cards: the same code the PC/SC path runs.

use std::sync::OnceLock;
use std::time::Duration;

use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::cps::{self, Mechanism, PinStatus};
use super::error::Error;
use super::events::CardEvent;
use super::kind::CardKind;
use super::padding::HashAlg;
use super::pin::Pin;
use super::service::CardHandle;
use super::sim::{Simulator, pki};
use super::transport::{CardTransport, ScriptedTransport};

/// One PKI per test binary: RSA key generation is the slow part.
fn test_pki() -> &'static pki::TestPki {
    static PKI: OnceLock<pki::TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        pki::ensure(&dir).unwrap()
    })
}

fn pin(s: &str) -> Pin {
    Pin::new(Zeroizing::new(s.to_string())).unwrap()
}

fn sim(kind: CardKind) -> Simulator {
    Simulator::new(test_pki(), kind, "1234")
}

#[test]
fn identifies_the_simulated_holder_before_any_pin() {
    for kind in [CardKind::Cps3Contact, CardKind::Cps4] {
        let s = sim(kind);
        let info = cps::identify(&mut s.transport()).unwrap();
        assert_eq!(info.kind, kind);
        assert_eq!(info.serial.len(), 10);
        assert_eq!(info.key_bits, 2048);
        let h = &info.holder;
        assert_eq!(h.display_name, "MARTIN Alice");
        assert_eq!(h.national_id.as_deref(), Some("810100000017"));
        assert_eq!(h.rpps.as_deref(), Some("10100000017"));
        assert_eq!(h.profession.as_deref(), Some("Médecin"));
        assert_eq!(h.profession_code.as_deref(), Some("10"));
        assert_eq!(h.email.as_deref(), Some("alice@example.test"));
        assert_eq!(info.certificate, test_pki().card_cert_der);
    }
}

#[test]
fn pki_is_reused_once_made() {
    let dir = &test_pki().dir;
    let again = pki::ensure(dir).unwrap();
    assert_eq!(again.card_cert_der, test_pki().card_cert_der);
    assert_eq!(again.ca_cert_der, test_pki().ca_cert_der);
    assert!(dir.join("server.crt").is_file());
}

#[test]
fn pki_remakes_leaves_that_no_longer_fit() {
    let dir = tempfile::tempdir().unwrap();
    let first = pki::ensure(dir.path()).unwrap();
    // A card key that does not match card.crt: the pair is made again.
    std::fs::copy(dir.path().join("server.key"), dir.path().join("card.key")).unwrap();
    let second = pki::ensure(dir.path()).unwrap();
    assert_ne!(second.card_cert_der, first.card_cert_der);
    assert_eq!(second.ca_cert_der, first.ca_cert_der);
    // A new CA (same name, new key): the old card certificate is replaced.
    std::fs::remove_file(dir.path().join("ca.crt")).unwrap();
    let third = pki::ensure(dir.path()).unwrap();
    assert_ne!(third.ca_cert_der, second.ca_cert_der);
    assert_ne!(third.card_cert_der, second.card_cert_der);
    let again = pki::ensure(dir.path()).unwrap();
    assert_eq!(
        again.card_cert_der, third.card_cert_der,
        "a fitting PKI is kept"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("card.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private keys are not readable by others");
    }
}

#[test]
fn concurrent_pki_users_agree_on_one_card() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let made: Vec<pki::TestPki> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| pki::ensure(&path).unwrap()))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for p in &made {
        assert_eq!(p.card_cert_der, made[0].card_cert_der);
        let (key, _) = cps::public_key_of(&p.card_cert_der).unwrap();
        assert!(
            key == p.card_key.to_public_key(),
            "certificate and key belong together"
        );
    }
    assert!(!dir.path().join(".lock").exists());
}

#[test]
fn wrong_pins_count_down_then_block_and_right_pin_resets() {
    let s = sim(CardKind::Cps3Contact);
    let t = &mut s.transport();
    let k = CardKind::Cps3Contact;
    assert_eq!(
        cps::pin_status(t, k).unwrap(),
        PinStatus::NotVerified { tries_left: 3 }
    );
    assert!(matches!(
        cps::verify(t, k, &pin("0000")),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert_eq!(
        cps::pin_status(t, k).unwrap(),
        PinStatus::NotVerified { tries_left: 2 }
    );
    cps::verify(t, k, &pin("1234")).unwrap();
    assert_eq!(cps::pin_status(t, k).unwrap(), PinStatus::Verified);
    s.with_card(|c| c.reset());
    assert_eq!(
        cps::pin_status(t, k).unwrap(),
        PinStatus::NotVerified { tries_left: 3 },
        "counter reset by the right PIN"
    );
    assert!(matches!(
        cps::verify(t, k, &pin("1111")),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert!(matches!(
        cps::verify(t, k, &pin("2222")),
        Err(Error::WrongPin { tries_left: 1 })
    ));
    assert!(matches!(
        cps::verify(t, k, &pin("3333")),
        Err(Error::Blocked)
    ));
    assert!(
        matches!(cps::verify(t, k, &pin("1234")), Err(Error::Blocked)),
        "the right PIN no longer helps"
    );
    assert_eq!(cps::pin_status(t, k).unwrap(), PinStatus::Blocked);
    assert!(Error::Blocked.to_string().contains("unblock"));
}

#[test]
fn signatures_verify_with_the_certificate_key() {
    let msg = b"TLS transcript to be signed";
    let digest = HashAlg::Sha256.digest(msg);
    for kind in [CardKind::Cps3Contact, CardKind::Cps4] {
        let s = sim(kind);
        let t = &mut s.transport();
        let info = cps::identify(t).unwrap();
        let key = info.public_key().unwrap();
        let m = Mechanism::Pkcs1v15 {
            hash: HashAlg::Sha256,
            digest: digest.clone(),
        };
        assert!(matches!(
            cps::sign(t, kind, info.key_bits, &m),
            Err(Error::PinRequired)
        ));
        cps::verify(t, kind, &pin("1234")).unwrap();
        let sig = cps::sign(t, kind, info.key_bits, &m).unwrap();
        assert_eq!(sig.len(), key.size());
        key.pkcs1v15_verify::<rsa::sha2::Sha256>(msg, &sig).unwrap();
        let pss = Mechanism::Pss {
            hash: HashAlg::Sha256,
            digest: digest.clone(),
        };
        match kind {
            CardKind::Cps4 => {
                let sig = cps::sign(t, kind, info.key_bits, &pss).unwrap();
                key.pss_verify::<rsa::sha2::Sha256>(msg, &sig).unwrap();
            }
            _ => assert!(matches!(
                cps::sign(t, kind, info.key_bits, &pss),
                Err(Error::Unsupported(_))
            )),
        }
    }
}

#[test]
fn decipher_returns_the_wrapped_key() {
    for kind in [CardKind::Cps3Contact, CardKind::Cps4] {
        let s = sim(kind);
        let t = &mut s.transport();
        let info = cps::identify(t).unwrap();
        let secret = [0x5Au8; 32];
        let ct = info
            .public_key()
            .unwrap()
            .pkcs1v15_encrypt(&secret)
            .unwrap();
        assert!(matches!(
            cps::decipher(t, kind, info.key_bits, &ct),
            Err(Error::PinRequired)
        ));
        cps::verify(t, kind, &pin("1234")).unwrap();
        let pt = cps::decipher(t, kind, info.key_bits, &ct).unwrap();
        assert_eq!(&pt[..], &secret);
        assert!(cps::decipher(t, kind, info.key_bits, &ct[1..]).is_err());
    }
}

#[test]
fn simulator_pso_cds_signs_a_bare_hash_or_a_digest_info() {
    use super::apdu::{Command, exchange};
    let s = sim(CardKind::Cps3Contact);
    let t = &mut s.transport();
    let info = cps::identify(t).unwrap();
    let key = info.public_key().unwrap();
    let hash = HashAlg::Sha256.digest(b"document");
    let cds = |t: &mut dyn CardTransport, data: &[u8]| {
        exchange(
            t,
            &Command::new(0, 0x2A, 0x9E, 0x9A).data(data).le(256),
            "PSO CDS",
        )
        .unwrap()
    };
    let r = exchange(
        t,
        &Command::new(0, 0x22, 0x41, 0xB6).data(&[0x84, 0x01, 0x81]),
        "MSE",
    )
    .unwrap();
    assert_eq!(r.sw, 0x9000);
    assert_eq!(cds(t, &hash).sw, 0x6982, "PIN first");
    cps::verify(t, info.kind, &pin("1234")).unwrap();
    let r = exchange(
        t,
        &Command::new(0, 0x22, 0x41, 0xB6).data(&[0x84, 0x01, 0x81]),
        "MSE",
    )
    .unwrap();
    assert_eq!(r.sw, 0x9000);
    for data in [
        hash.clone(),
        super::padding::digest_info(HashAlg::Sha256, &hash),
    ] {
        let r = cds(t, &data);
        assert_eq!(r.sw, 0x9000);
        key.pkcs1v15_verify::<rsa::sha2::Sha256>(b"document", &r.data)
            .unwrap();
    }
    // an unknown key reference is refused
    let r = exchange(
        t,
        &Command::new(0, 0x22, 0x41, 0xB6).data(&[0x84, 0x01, 0x99]),
        "MSE",
    )
    .unwrap();
    assert_eq!(r.sw, 0x6A88);
}

/// A card that does not answer VERIFY without data (some IAS-ECC
/// profiles): the tries left then come from GET DATA.
struct NoEmptyVerify(super::sim::SimTransport);

impl CardTransport for NoEmptyVerify {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        if apdu.len() == 4 && apdu[1] == 0x20 {
            return Ok(vec![0x6D, 0x00]);
        }
        self.0.transmit(apdu)
    }
    fn atr(&self) -> Vec<u8> {
        self.0.atr()
    }
}

#[test]
fn tries_left_from_get_data_when_verify_cannot_tell() {
    let s = sim(CardKind::Cps3Contact);
    let t = &mut NoEmptyVerify(s.transport());
    let k = CardKind::Cps3Contact;
    assert_eq!(
        cps::pin_status(t, k).unwrap(),
        PinStatus::NotVerified { tries_left: 3 }
    );
    let _ = cps::verify(t, k, &pin("5555"));
    assert_eq!(
        cps::pin_status(t, k).unwrap(),
        PinStatus::NotVerified { tries_left: 2 }
    );
    let _ = cps::verify(t, k, &pin("5555"));
    let _ = cps::verify(t, k, &pin("5555"));
    assert_eq!(cps::pin_status(t, k).unwrap(), PinStatus::Blocked);
}

#[test]
fn contactless_cps3_is_recognised_but_the_card_refuses_to_sign() {
    let s = sim(CardKind::Cps3Contactless);
    let t = &mut s.transport();
    let info = cps::identify(t).unwrap();
    assert_eq!(info.kind, CardKind::Cps3Contactless);
    assert_eq!(info.holder.display_name, "MARTIN Alice");
    cps::verify(t, info.kind, &pin("1234")).unwrap();
    // Even when asked directly, bypassing the host-side refusal.
    assert_eq!(
        t.transmit(&[0x00, 0x22, 0x41, 0xA4, 0x03, 0x84, 0x01, 0x82])
            .unwrap(),
        vec![0x90, 0x00]
    );
    let mut ia = vec![0x00, 0x88, 0x00, 0x00, 0x20];
    ia.extend_from_slice(&[1; 32]);
    assert_eq!(t.transmit(&ia).unwrap(), vec![0x69, 0x85]);
}

#[test]
fn contactless_cps3_refuses_to_sign() {
    let m = Mechanism::Pkcs1v15 {
        hash: HashAlg::Sha256,
        digest: vec![0; 32],
    };
    let mut t = ScriptedTransport::new(vec![]);
    assert!(matches!(
        cps::sign(&mut t, CardKind::Cps3Contactless, 2048, &m),
        Err(Error::Unsupported(_))
    ));
    assert!(t.sent().is_empty());
}

#[test]
fn simulator_answers_unknown_commands_with_iso_status_words() {
    let s = sim(CardKind::Cps3Contact);
    let t = &mut s.transport();
    assert_eq!(t.transmit(&[0x00, 0xFE, 0, 0]).unwrap(), vec![0x6D, 0x00]);
    assert_eq!(t.transmit(&[0x80, 0xA4, 0, 0]).unwrap(), vec![0x6E, 0x00]);
    assert_eq!(t.transmit(&[0x00, 0xA4]).unwrap(), vec![0x67, 0x00]);
    assert_eq!(
        t.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x05, 1]).unwrap(),
        vec![0x67, 0x00]
    );
    assert_eq!(
        t.transmit(&[0x00, 0xB0, 0, 0, 0]).unwrap(),
        vec![0x69, 0x86],
        "no EF selected"
    );
    assert_eq!(
        t.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x12, 0x34])
            .unwrap(),
        vec![0x6A, 0x82]
    );
    assert_eq!(
        t.transmit(&[0x00, 0x20, 0x00, 0x05]).unwrap(),
        vec![0x6A, 0x88]
    );
    assert_eq!(
        t.transmit(&[0x00, 0x88, 0, 0, 1, 0, 0]).unwrap(),
        vec![0x69, 0x82]
    );
}

// --- bad cards (scripted) -----------------------------------------------------

const ATR3: [u8; 17] = super::sim::card::ATR_CPS3;
const OK: [u8; 2] = [0x90, 0x00];
const NO_FILE: [u8; 2] = [0x6A, 0x82];

fn sn_ok() -> Vec<u8> {
    [
        &[0x00, 0x0A, 0x80, 0x25, 0x00, 0x00, 0x01, 1, 2, 3, 4, 5][..],
        &OK,
    ]
    .concat()
}

#[test]
fn unknown_atr_is_refused_before_any_apdu() {
    let mut t = ScriptedTransport::new(vec![]).with_atr(&[0x3B, 0x02, 0x14, 0x50]);
    let e = cps::identify(&mut t).unwrap_err();
    assert!(matches!(e, Error::UnknownCard { .. }), "{e}");
    assert!(e.to_string().contains("not a CPS card"));
    assert!(t.sent().is_empty());
}

#[test]
fn truncated_and_malformed_answers_are_typed_errors() {
    // status word cut in half
    let mut t = ScriptedTransport::new(vec![vec![0x90]]).with_atr(&ATR3);
    assert!(matches!(
        cps::identify(&mut t),
        Err(Error::Malformed { .. })
    ));
    // serial file of the wrong size
    let mut t = ScriptedTransport::new(vec![OK.to_vec(), OK.to_vec(), vec![1, 2, 3, 0x90, 0x00]])
        .with_atr(&ATR3);
    assert!(matches!(cps::identify(&mut t), Err(Error::NotCps { .. })));
    // certificate file that is not DER
    let answers = vec![
        OK.to_vec(),
        OK.to_vec(),
        sn_ok(),
        OK.to_vec(),
        NO_FILE.to_vec(), // no PKCS#15 directory: fixed file
        OK.to_vec(),
        [&[0x04, 0x03, 1, 2, 3][..], &OK].concat(),
    ];
    let mut t = ScriptedTransport::new(answers).with_atr(&ATR3);
    assert!(matches!(
        cps::identify(&mut t),
        Err(Error::Certificate { .. })
    ));
    // a DER header announcing more than the file holds: the card returns nothing more
    let answers = vec![
        OK.to_vec(),
        OK.to_vec(),
        sn_ok(),
        OK.to_vec(),
        NO_FILE.to_vec(), // no PKCS#15 directory: fixed file
        OK.to_vec(),
        [&[0x30, 0x82, 0x01, 0x00, 1, 2][..], &[0x62, 0x82]].concat(),
        vec![0x62, 0x82],
    ];
    let mut t = ScriptedTransport::new(answers).with_atr(&ATR3);
    assert!(matches!(
        cps::identify(&mut t),
        Err(Error::Malformed { .. })
    ));
    // a certificate that is DER but not X.509
    let junk = [&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02][..], &OK].concat();
    let answers = vec![
        OK.to_vec(),
        OK.to_vec(),
        sn_ok(),
        OK.to_vec(),
        NO_FILE.to_vec(), // no PKCS#15 directory: fixed file
        OK.to_vec(),
        junk,
    ];
    let mut t = ScriptedTransport::new(answers).with_atr(&ATR3);
    assert!(matches!(
        cps::identify(&mut t),
        Err(Error::Certificate { .. })
    ));
}

#[test]
fn pkcs15_directory_without_certificates_is_not_a_cps() {
    let odf = [super::pkcs15::encode_odf(&[0x50, 0x32]), OK.to_vec()].concat();
    let empty_cdf = [vec![0x00; 10], OK.to_vec()].concat();
    let answers = vec![
        OK.to_vec(),
        OK.to_vec(),
        sn_ok(),
        OK.to_vec(),
        OK.to_vec(),
        odf.clone(),
        OK.to_vec(),
        empty_cdf,
    ];
    let mut t = ScriptedTransport::new(answers).with_atr(&ATR3);
    assert!(matches!(cps::identify(&mut t), Err(Error::NotCps { .. })));
    // the CDF the ODF names does not exist
    let answers = vec![
        OK.to_vec(),
        OK.to_vec(),
        sn_ok(),
        OK.to_vec(),
        OK.to_vec(),
        odf,
        NO_FILE.to_vec(),
    ];
    let mut t = ScriptedTransport::new(answers).with_atr(&ATR3);
    assert!(matches!(
        cps::identify(&mut t),
        Err(Error::Status { sw: 0x6A82, .. })
    ));
}

#[test]
fn unexpected_status_words_are_named() {
    let mut t = ScriptedTransport::new(vec![vec![0x6F, 0x00]]).with_atr(&ATR3);
    let e = cps::identify(&mut t).unwrap_err();
    assert!(matches!(e, Error::Status { sw: 0x6F00, .. }), "{e}");
    let mut t = ScriptedTransport::new(vec![OK.to_vec(), vec![0x6A, 0x82]]).with_atr(&ATR3);
    assert!(matches!(cps::identify(&mut t), Err(Error::NotCps { .. })));
    // VERIFY answering something absurd
    let mut t = ScriptedTransport::new(vec![OK.to_vec(), vec![0x6A, 0x81]]);
    assert!(matches!(
        cps::verify(&mut t, CardKind::Cps3Contact, &pin("1234")),
        Err(Error::Status { sw: 0x6A81, .. })
    ));
    // GET DATA fallback without a tries-left field
    let mut t = ScriptedTransport::new(vec![
        OK.to_vec(),
        vec![0x6D, 0x00],
        OK.to_vec(),
        vec![0x70, 0x00, 0x90, 0x00],
    ]);
    assert!(matches!(
        cps::pin_status(&mut t, CardKind::Cps3Contact),
        Err(Error::Malformed { .. })
    ));
    // a signature of the wrong size
    let m = Mechanism::Pkcs1v15 {
        hash: HashAlg::Sha256,
        digest: vec![0; 32],
    };
    let mut t = ScriptedTransport::new(vec![OK.to_vec(), OK.to_vec(), vec![1, 2, 3, 0x90, 0x00]]);
    assert!(matches!(
        cps::sign(&mut t, CardKind::Cps3Contact, 2048, &m),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn card_pulled_mid_exchange_is_removed() {
    let mut t = ScriptedTransport::with_removal(vec![Some(OK.to_vec()), Some(OK.to_vec()), None])
        .with_atr(&ATR3);
    assert!(matches!(cps::identify(&mut t), Err(Error::Removed)));
    let mut t = ScriptedTransport::with_removal(vec![Some(OK.to_vec()), None]);
    assert!(matches!(
        cps::verify(&mut t, CardKind::Cps3Contact, &pin("1234")),
        Err(Error::Removed)
    ));
}

#[test]
fn garbage_never_panics() {
    // Random answers of every length to every operation: typed errors only.
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..300 {
        let answers: Vec<Vec<u8>> = (0..12)
            .map(|_| {
                let n = rng.usize(0..40);
                let mut v: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                if rng.bool() {
                    v.extend_from_slice(&OK);
                }
                v
            })
            .collect();
        let _ = cps::identify(&mut ScriptedTransport::new(answers.clone()).with_atr(&ATR3));
        let _ = cps::pin_status(&mut ScriptedTransport::new(answers.clone()), CardKind::Cps4);
        let m = Mechanism::Pss {
            hash: HashAlg::Sha256,
            digest: vec![1; 32],
        };
        let _ = cps::sign(
            &mut ScriptedTransport::new(answers.clone()),
            CardKind::Cps4,
            2048,
            &m,
        );
        let _ = cps::decipher(
            &mut ScriptedTransport::new(answers),
            CardKind::Cps3Contact,
            2048,
            &[1; 256],
        );
    }
    // and random APDUs to the simulator
    let s = sim(CardKind::Cps4);
    let t = &mut s.transport();
    for _ in 0..2000 {
        let n = rng.usize(0..300);
        let apdu: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
        let r = t.transmit(&apdu).unwrap();
        assert!(r.len() >= 2);
    }
}

// --- the card thread ------------------------------------------------------------

fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<CardEvent>,
    want: impl Fn(&CardEvent) -> bool,
) -> CardEvent {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match rx.try_recv() {
            Ok(e) if want(&e) => return e,
            Ok(_) => {}
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("no matching event: {e:?}"),
        }
    }
}

#[test]
fn thread_reports_insertion_pin_outcomes_and_removal() {
    let s = sim(CardKind::Cps3Contact);
    s.remove();
    let handle = CardHandle::spawn_simulated("Sim Reader 0", s.clone()).unwrap();
    let mut events = handle.subscribe();
    s.insert();
    next_event(&mut events, |e| matches!(e, CardEvent::Inserted { .. }));
    let CardEvent::Recognized { info, .. } =
        next_event(&mut events, |e| matches!(e, CardEvent::Recognized { .. }))
    else {
        unreachable!()
    };
    assert_eq!(info.holder.display_name, "MARTIN Alice");
    assert_eq!(
        handle.pin_status().unwrap(),
        PinStatus::NotVerified { tries_left: 3 }
    );
    assert!(matches!(
        handle.verify(pin("9999")),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert!(matches!(
        next_event(&mut events, |_| true),
        CardEvent::PinRefused { tries_left: 2, .. }
    ));
    handle.verify(pin("1234")).unwrap();
    assert!(matches!(
        next_event(&mut events, |_| true),
        CardEvent::PinVerified { .. }
    ));
    let before = handle.private_key_operations();
    let sig = handle
        .sign(Mechanism::Pkcs1v15 {
            hash: HashAlg::Sha256,
            digest: HashAlg::Sha256.digest(b"x"),
        })
        .unwrap();
    assert_eq!(handle.private_key_operations(), before + 1);
    info.public_key()
        .unwrap()
        .pkcs1v15_verify::<rsa::sha2::Sha256>(b"x", &sig)
        .unwrap();
    s.remove();
    next_event(&mut events, |e| matches!(e, CardEvent::Removed { .. }));
    assert!(matches!(handle.card(), Err(Error::NoCard)));
    assert!(matches!(handle.pin_status(), Err(Error::NoCard)));
}

#[test]
fn events_never_carry_the_pin() {
    let s = sim(CardKind::Cps4);
    let handle = CardHandle::spawn_simulated("Sim Reader 0", s).unwrap();
    let mut events = handle.subscribe();
    handle.wait_for_card(Duration::from_secs(10)).unwrap();
    let _ = handle.verify(pin("97531864"));
    handle.verify(pin("1234")).unwrap();
    let mut seen = String::new();
    let mut pin_events = String::new();
    while let Ok(e) = events.try_recv() {
        let text = format!("{e:?}");
        if text.starts_with("Pin") {
            pin_events.push_str(&text);
        }
        seen.push_str(&text);
    }
    assert!(
        pin_events.contains("PinRefused") && pin_events.contains("PinVerified"),
        "{pin_events}"
    );
    assert!(!seen.contains("97531864"), "{seen}");
    assert!(!pin_events.contains("1234"), "{pin_events}");
}

#[test]
fn a_lost_connection_with_the_card_still_there_is_recognised_again() {
    let s = sim(CardKind::Cps3Contact);
    let handle = CardHandle::spawn_simulated("Sim Reader 0", s.clone()).unwrap();
    let mut events = handle.subscribe();
    handle.wait_for_card(Duration::from_secs(10)).unwrap();
    handle.verify(pin("1234")).unwrap();
    s.interrupt_next_apdu();
    assert!(matches!(handle.pin_status(), Err(Error::Removed)));
    next_event(&mut events, |e| matches!(e, CardEvent::Removed { .. }));
    next_event(&mut events, |e| matches!(e, CardEvent::Recognized { .. }));
    // the card was reset: the PIN has to be presented again
    assert_eq!(
        handle.pin_status().unwrap(),
        PinStatus::NotVerified { tries_left: 3 }
    );
}
