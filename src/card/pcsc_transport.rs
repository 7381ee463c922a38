//! [`CardTransport`] over a PC/SC card connection. The connection is
//! exclusive: while Cachet holds a card whose PIN it verified, no other
//! program may use that security state. Dropping the transport resets the
//! card (pcsc's default disposition), which also forgets the verified PIN.

use std::ffi::CStr;

use super::error::Error;
use super::transport::CardTransport;

pub struct PcscTransport {
    card: pcsc::Card,
    atr: Vec<u8>,
}

/// Maps PC/SC errors to what they mean for the user.
pub fn map_pcsc(context: &'static str, e: pcsc::Error) -> Error {
    use pcsc::Error as P;
    match e {
        P::RemovedCard
        | P::ResetCard
        | P::NotTransacted
        | P::NoSmartcard
        | P::UnpoweredCard
        | P::UnresponsiveCard => Error::Removed,
        P::SharingViolation => Error::Busy,
        P::NoReadersAvailable | P::UnknownReader | P::ReaderUnavailable => Error::NoReader,
        source => Error::Pcsc { context, source },
    }
}

impl PcscTransport {
    pub fn connect(ctx: &pcsc::Context, reader: &CStr) -> Result<PcscTransport, Error> {
        let card = ctx
            .connect(reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
            .map_err(|e| map_pcsc("connecting to the card", e))?;
        let status = card
            .status2_owned()
            .map_err(|e| map_pcsc("reading the card status", e))?;
        let atr = status.atr().to_vec();
        Ok(PcscTransport { card, atr })
    }
}

impl CardTransport for PcscTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        // Zeroizing: a decipher answer is key material.
        let mut buf = zeroize::Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
        let answer = self
            .card
            .transmit(apdu, &mut buf)
            .map_err(|e| map_pcsc("sending a command", e))?;
        Ok(answer.to_vec())
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
}
