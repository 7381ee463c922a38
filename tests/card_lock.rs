//! The shared-workstation bar: with a real pcscd and a virtual reader driven
//! by the project's CPS simulator, pulling the card out reaches the interface
//! as a lock (screen and state emptied of patient data). The delay from the
//! removal to the locked state is measured and printed (never asserted: speed
//! is not a test property).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the test failing

mod common;

use cachet::app::i18n::Lang;
use cachet::app::msg::Msg;
use cachet::app::state::Screen;
use cachet::app::testing::Harness;
use cachet::card::sim::vpcd::VpcdCard;
use cachet::card::sim::{Simulator, pki};
use cachet::card::{CardEvent, CardHandle, CardKind, Pin};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use zeroize::Zeroizing;

const READER: &str = "Virtual PCD 00 00";

/// Feeds card events to the interface until `done` holds (bounded).
fn pump(
    h: &mut Harness,
    rx: &mut UnboundedReceiver<CardEvent>,
    what: &str,
    done: impl Fn(&Harness) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(h) {
        match rx.try_recv() {
            Ok(event) => h.send(Msg::Card(event)),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => panic!("{what}: nothing within 20 s ({e:?})"),
        }
    }
}

#[test]
fn pulling_the_card_locks_the_interface() {
    let Some(stack) = common::stack("pulling_the_card_locks_the_interface") else {
        return;
    };
    let vpcd = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let pki = pki::ensure(&stack.path("PKI_DIR")).expect("test PKI");
    let handle = CardHandle::spawn_pcsc(Some(READER.into())).expect("PC/SC");
    let mut events = handle.subscribe();

    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.state.screen = Screen::Login;
    let simulator = Simulator::new(&pki, CardKind::Cps3Contact, "1234");
    let card = VpcdCard::insert(&vpcd, simulator).expect("card inserted");
    pump(&mut h, &mut events, "the holder", |h| {
        h.state.login.holder.is_some()
    });
    assert_eq!(
        h.state.login.holder.as_deref(),
        Some("MARTIN Alice"),
        "the holder shows before the PIN"
    );
    assert!(h.render().contains("MARTIN Alice"));

    // The PIN goes to the real card through pcscd (the harness's own card is not used).
    handle
        .verify(Pin::new(Zeroizing::new("1234".into())).expect("pin"))
        .expect("right PIN");
    h.send(Msg::Unlocked);
    h.keys("j enter");
    assert_eq!(h.state.screen, Screen::Reader);
    let subject = h
        .state
        .reader
        .message
        .as_ref()
        .map(|m| m.subject.clone())
        .expect("a message is open");

    let pulled = Instant::now();
    drop(card);
    pump(&mut h, &mut events, "the lock", |h| {
        h.state.screen == Screen::Lock
    });
    let delay = pulled.elapsed();
    eprintln!(
        "figures: card removal → locked interface in {} ms",
        delay.as_millis()
    );

    assert!(
        h.state.reader.message.is_none() && h.state.mailbox.rows.is_empty(),
        "patient data left the state"
    );
    let screen = h.render();
    assert!(
        !screen.contains(&subject),
        "patient data left the screen:\n{screen}"
    );
    assert!(screen.contains("Session verrouillée"), "{screen}");
}

/// Two readers, two cards: the chosen reader's card is the one the session uses.
#[test]
fn the_chosen_reader_is_the_one_used() {
    let Some(stack) = common::stack("the_chosen_reader_is_the_one_used") else {
        return;
    };
    let pki_a = pki::ensure(&stack.path("PKI_DIR")).expect("test PKI");
    let other = tempfile::tempdir().expect("tempdir");
    let pki_b = pki::ensure(other.path()).expect("another PKI");
    let handle = CardHandle::spawn_pcsc(None).expect("PC/SC");
    let mut events = handle.subscribe();
    let slot0 = format!("127.0.0.1:{}", stack.port("VPCD_PORT"));
    let slot1 = format!("127.0.0.1:{}", stack.port("VPCD_PORT_2"));
    let card_a = VpcdCard::insert(
        &slot0,
        Simulator::new(&pki_a, CardKind::Cps3Contact, "1234"),
    )
    .expect("a");
    let card_b =
        VpcdCard::insert(&slot1, Simulator::new(&pki_b, CardKind::Cps4, "5678")).expect("b");
    let mut h = Harness::demo(Lang::Fr, 100, 30);
    h.state.screen = Screen::Login;
    pump(&mut h, &mut events, "two cards", |h| {
        h.state.login.cards.len() == 2
    });
    let second = h.state.login.cards[1].0.clone();
    h.key("tab");
    assert_eq!(
        h.state.login.chosen_reader.as_deref(),
        Some(second.as_str())
    );
    assert!(h.outside.iter().any(|e| e.contains("PreferReader")));
    handle.prefer_reader(Some(second.clone()));
    let used = handle.card().expect("a card");
    let expected_kind = if second == READER {
        CardKind::Cps3Contact
    } else {
        CardKind::Cps4
    };
    assert_eq!(
        used.kind, expected_kind,
        "operations go to the chosen reader's card"
    );
    // Each card keeps its own PIN: the chosen one's is what verifies.
    let pin = if expected_kind == CardKind::Cps4 {
        "5678"
    } else {
        "1234"
    };
    handle
        .verify(Pin::new(Zeroizing::new(pin.into())).expect("pin"))
        .expect("the chosen card's PIN");
    // Leave both readers empty, as pcscd sees them, before the next test.
    drop(card_a);
    drop(card_b);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut removed = 0;
    while removed < 2 {
        match events.try_recv() {
            Ok(CardEvent::Removed { .. }) => removed += 1,
            Ok(_) => {}
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("both removals within 20 s ({e:?})"),
        }
    }
    drop(handle);
}
