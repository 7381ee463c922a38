//! The demo's stand-in for a card session: PIN 1234, three tries.
//!
//! It exists so the demo's lock screen works without a reader; the in-process
//! CPS simulator of the card module takes its place when it lands.

use crate::app::msg::Pin;
use crate::app::runtime::{CardSession, PinOutcome};
use std::sync::Mutex;

pub const DEMO_PIN: &str = "1234";
const MAX_TRIES: u8 = 3;

pub struct DemoCard {
    tries_left: Mutex<u8>,
}

impl Default for DemoCard {
    fn default() -> Self {
        DemoCard {
            tries_left: Mutex::new(MAX_TRIES),
        }
    }
}

impl CardSession for DemoCard {
    fn verify(&self, pin: Pin) -> PinOutcome {
        let Ok(mut tries) = self.tries_left.lock() else {
            return PinOutcome::Rejected { tries_left: 0 };
        };
        if *tries == 0 {
            return PinOutcome::Rejected { tries_left: 0 };
        }
        if pin.0.as_str() == DEMO_PIN {
            *tries = MAX_TRIES;
            PinOutcome::Accepted
        } else {
            *tries -= 1;
            PinOutcome::Rejected { tries_left: *tries }
        }
    }

    fn lock(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn pin(text: &str) -> Pin {
        Pin(Zeroizing::new(text.to_string()))
    }

    #[test]
    fn wrong_pins_count_down_and_block() {
        let card = DemoCard::default();
        assert!(matches!(
            card.verify(pin("0000")),
            PinOutcome::Rejected { tries_left: 2 }
        ));
        assert!(
            matches!(card.verify(pin(DEMO_PIN)), PinOutcome::Accepted),
            "right PIN resets"
        );
        for left in [2, 1, 0] {
            assert!(
                matches!(card.verify(pin("9999")), PinOutcome::Rejected { tries_left } if tries_left == left)
            );
        }
        assert!(
            matches!(
                card.verify(pin(DEMO_PIN)),
                PinOutcome::Rejected { tries_left: 0 }
            ),
            "blocked"
        );
    }
}
