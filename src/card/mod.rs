//! CPS card access over PC/SC: the card thread, CPS APDUs, the card simulator
//! and the rustls signer backed by the card.
