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
