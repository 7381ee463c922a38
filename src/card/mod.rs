//! CPS card access: recognition, holder identity, PIN, signatures and
//! decipher with the card's authentication key, over PC/SC or the built-in
//! simulator. One thread owns the PC/SC context and the card connections
//! ([`service::CardHandle`] is its cloneable handle, requests carry a reply
//! channel); it reports readers and cards coming and going as
//! [`events::CardEvent`]s. [`signer`] plugs the card into rustls as a TLS
//! client certificate. Invariants: the PIN only exists in a zeroizing
//! [`pin::Pin`] that is moved once to the card thread; a PIN is never retried
//! automatically; every PC/SC wait and every reply wait is bounded; nothing
//! read from a card can make this module panic.

pub mod apdu;
pub mod backend;
pub mod cps;
pub mod error;
pub mod events;
pub mod identity;
pub mod kind;
pub mod padding;
pub mod pcsc_transport;
pub mod pin;
pub mod pkcs15;
pub mod service;
pub mod signer;
pub mod sim;
pub mod tlv;
pub mod transport;

#[cfg(test)]
mod tests;

pub use cps::{CardInfo, Mechanism, PinStatus};
pub use error::Error;
pub use events::CardEvent;
pub use identity::Holder;
pub use kind::CardKind;
pub use pin::Pin;
pub use service::CardHandle;
pub use transport::CardTransport;
