//! The card path through a real pcscd: the project's simulator is plugged
//! into vsmartcard-vpcd (slot 0) and everything else goes through the `pcsc`
//! crate exactly as with a physical reader. Needs the loopback stack
//! (`VPCD_PORT`, `PKI_DIR`).

mod common;

use std::time::{Duration, Instant};

use cachet::card::padding::HashAlg;
use cachet::card::service::CardState;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use cachet::card::{CardEvent, CardHandle, CardKind, Error, Mechanism, Pin, PinStatus};
use tokio::sync::mpsc::UnboundedReceiver;
use zeroize::Zeroizing;

/// Slot 0 of vpcd; the IMAP test uses slot 1 so both can run at once.
const READER: &str = "Virtual PCD 00 00";

fn pin(s: &str) -> Pin {
    Pin::new(Zeroizing::new(s.to_string())).unwrap_or_else(|e| panic!("test PIN: {e}"))
}

fn wait_event(
    rx: &mut UnboundedReceiver<CardEvent>,
    what: &str,
    want: impl Fn(&CardEvent) -> bool,
) -> CardEvent {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match rx.try_recv() {
            Ok(e) if want(&e) => return e,
            Ok(_) => {}
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("no {what} event within 15 s ({e:?})"),
        }
    }
}

#[test]
fn card_through_real_pcscd() {
    let Some(stack) = common::stack("card_through_real_pcscd") else {
        return;
    };
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).unwrap();

    let handle = CardHandle::spawn_pcsc(Some(READER.into())).unwrap();
    let mut events = handle.subscribe();
    let readers = handle.readers().unwrap();
    assert!(readers.iter().any(|r| r.reader == READER), "{readers:?}");

    // Detection and identity.
    let sim = Simulator::new(&pki, CardKind::Cps3Contact, "1234");
    let inserted = Instant::now();
    let card = VpcdCard::insert(&vpcd, sim.clone()).unwrap();
    wait_event(
        &mut events,
        "Inserted",
        |e| matches!(e, CardEvent::Inserted { reader, .. } if reader == READER),
    );
    let seen = inserted.elapsed();
    let CardEvent::Recognized { info, .. } = wait_event(&mut events, "Recognized", |e| {
        matches!(e, CardEvent::Recognized { .. })
    }) else {
        unreachable!()
    };
    eprintln!(
        "figures: insertion seen after {} ms, holder read after {} ms",
        seen.as_millis(),
        inserted.elapsed().as_millis()
    );
    assert_eq!(info.kind, CardKind::Cps3Contact);
    assert_eq!(info.holder.display_name, "MARTIN Alice");
    assert_eq!(
        info.holder.national_id.as_deref(),
        Some(stack.get("CARD_USER").as_str())
    );
    assert_eq!(handle.card().unwrap().serial, info.serial);

    // Wrong PIN decrements and says how many tries are left; the right one resets.
    assert_eq!(
        handle.pin_status().unwrap(),
        PinStatus::NotVerified { tries_left: 3 }
    );
    let e = handle.verify(pin("0000")).unwrap_err();
    assert!(matches!(e, Error::WrongPin { tries_left: 2 }), "{e}");
    assert!(e.to_string().contains("2 tries left"));
    assert_eq!(
        handle.pin_status().unwrap(),
        PinStatus::NotVerified { tries_left: 2 }
    );
    handle.verify(pin("1234")).unwrap();
    assert_eq!(handle.pin_status().unwrap(), PinStatus::Verified);
    assert_eq!(sim.with_card(|c| c.tries_left()), 3);

    // The card's signature verifies with the certificate's key.
    let msg = b"challenge from a server";
    let signing = Instant::now();
    let sig = handle
        .sign(Mechanism::Pkcs1v15 {
            hash: HashAlg::Sha256,
            digest: HashAlg::Sha256.digest(msg),
        })
        .unwrap();
    let signed = signing.elapsed();
    eprintln!(
        "figures: one signature through pcscd in {} ms",
        signed.as_millis()
    );
    info.public_key()
        .unwrap()
        .pkcs1v15_verify::<rsa::sha2::Sha256>(msg, &sig)
        .unwrap();

    // Decipher of a key wrapped to the card.
    let ct = info
        .public_key()
        .unwrap()
        .pkcs1v15_encrypt(&[7u8; 32])
        .unwrap();
    assert_eq!(&handle.decipher(&ct).unwrap()[..], &[7u8; 32]);

    // Removal reaches the event channel.
    let pulled = Instant::now();
    card.remove().unwrap();
    wait_event(
        &mut events,
        "Removed",
        |e| matches!(e, CardEvent::Removed { reader } if reader == READER),
    );
    let latency = pulled.elapsed();
    eprintln!(
        "figures: card removal -> CardEvent::Removed in {} ms",
        latency.as_millis()
    );
    assert!(matches!(handle.card(), Err(Error::NoCard)));

    // A fresh card: three wrong PINs block it, and it says what to do.
    let sim = Simulator::new(&pki, CardKind::Cps3Contact, "1234");
    let _card = VpcdCard::insert(&vpcd, sim).unwrap();
    handle.wait_for_card(Duration::from_secs(15)).unwrap();
    assert!(matches!(
        handle.verify(pin("1111")),
        Err(Error::WrongPin { tries_left: 2 })
    ));
    assert!(matches!(
        handle.verify(pin("2222")),
        Err(Error::WrongPin { tries_left: 1 })
    ));
    let e = handle.verify(pin("3333")).unwrap_err();
    assert!(matches!(e, Error::Blocked), "{e}");
    assert!(e.to_string().contains("unblock"));
    wait_event(&mut events, "PinBlocked", |e| {
        matches!(e, CardEvent::PinBlocked { .. })
    });
    assert_eq!(handle.pin_status().unwrap(), PinStatus::Blocked);
    assert!(matches!(handle.verify(pin("1234")), Err(Error::Blocked)));

    // Another program (here a second card thread) cannot use the card while we
    // hold it, and gets it once we let go.
    let other = CardHandle::spawn_pcsc(Some(READER.into())).unwrap();
    let mut other_events = other.subscribe();
    let readers = other.readers().unwrap();
    let busy = readers.iter().find(|r| r.reader == READER).unwrap();
    assert!(
        matches!(&busy.card, CardState::Unrecognized { reason, .. } if reason.contains("another program")),
        "{busy:?}"
    );
    drop(handle);
    wait_event(&mut other_events, "Recognized after release", |e| {
        matches!(e, CardEvent::Recognized { .. })
    });
    assert_eq!(other.pin_status().unwrap(), PinStatus::Blocked);
}
