//! What the card thread tells its subscribers. Events carry reader names,
//! ATRs, the holder and PIN outcomes, never a PIN or key material.

use super::cps::CardInfo;

/// A change in readers, cards or the PIN state.
#[derive(Debug, Clone)]
pub enum CardEvent {
    ReaderAdded {
        reader: String,
    },
    ReaderRemoved {
        reader: String,
    },
    /// A card went in; recognition follows as `Recognized` or `Unrecognized`.
    Inserted {
        reader: String,
        atr: Vec<u8>,
    },
    /// The card is a CPS card and its holder is known (no PIN needed).
    Recognized {
        reader: String,
        info: Box<CardInfo>,
    },
    /// The card cannot be used; `reason` is one sentence for the user.
    Unrecognized {
        reader: String,
        reason: String,
    },
    Removed {
        reader: String,
    },
    PinVerified {
        reader: String,
    },
    PinRefused {
        reader: String,
        tries_left: u8,
    },
    PinBlocked {
        reader: String,
    },
}
