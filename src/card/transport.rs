//! The one seam between CPS logic and a card: [`CardTransport`] sends one APDU
//! and returns `data || SW1 SW2`. PC/SC, the in-process simulator and the
//! scripted test double all implement it, so every card operation runs the
//! same code whatever is underneath. A transport reports a pulled card as
//! [`Error::Removed`], never as garbage bytes.

use std::collections::VecDeque;

use super::error::Error;

/// Sends APDUs to one card.
pub trait CardTransport: Send {
    /// One command APDU out, one response APDU (`data || SW1 SW2`) back.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error>;
    /// The card's answer to reset.
    fn atr(&self) -> Vec<u8>;
}

/// A transport that replays canned answers: for tests of malformed answers,
/// unexpected status words and a card pulled in the middle of an exchange.
/// An answer of `None` means "the card was pulled" for that APDU.
pub struct ScriptedTransport {
    atr: Vec<u8>,
    answers: VecDeque<Option<Vec<u8>>>,
    sent: Vec<Vec<u8>>,
}

impl ScriptedTransport {
    pub fn new(answers: Vec<Vec<u8>>) -> ScriptedTransport {
        ScriptedTransport::with_removal(answers.into_iter().map(Some).collect())
    }

    pub fn with_removal(answers: Vec<Option<Vec<u8>>>) -> ScriptedTransport {
        ScriptedTransport {
            atr: Vec::new(),
            answers: answers.into(),
            sent: Vec::new(),
        }
    }

    pub fn with_atr(mut self, atr: &[u8]) -> ScriptedTransport {
        self.atr = atr.to_vec();
        self
    }

    /// Every APDU sent so far.
    pub fn sent(&self) -> &[Vec<u8>] {
        &self.sent
    }
}

impl CardTransport for ScriptedTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        self.sent.push(apdu.to_vec());
        match self.answers.pop_front() {
            Some(Some(a)) => Ok(a),
            // Script exhausted or explicit pull: both look like a card gone.
            Some(None) | None => Err(Error::Removed),
        }
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
}
