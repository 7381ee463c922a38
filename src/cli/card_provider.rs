//! The card as the store's key unwrapper, for commands that open a profile.
//!
//! The store knows cards only through its `KeyUnwrapper` seam; this glue
//! gives it the CPS card in the PC/SC reader: the holder and public key come
//! from the authentication certificate, the data key is unwrapped by PSO
//! DECIPHER on the card after the PIN (asked without echo, or read from
//! `--pin-fd N`). Card renewal asks for the old then the new card.

use crate::card::CardHandle;
use crate::cli::store::{CardProvider, CardRole};
use crate::store::error::Result;
use crate::store::{Error, KeyUnwrapper};
use std::time::Duration;

pub use crate::app::card_store::CardUnwrapper;

/// Asks PC/SC for the card of each role.
pub struct PcscCards {
    pub pin_fd: Option<u32>,
}

impl CardProvider for PcscCards {
    fn card(&self, role: CardRole) -> Result<Box<dyn KeyUnwrapper>> {
        let card_error = |e: crate::card::Error| Error::Card {
            reason: e.to_string(),
        };
        match role {
            CardRole::Current => {}
            CardRole::Old => eprintln!("Insérez l'ancienne carte CPS. / Insert the old CPS card."),
            CardRole::New => eprintln!("Insérez la nouvelle carte CPS. / Insert the new CPS card."),
        }
        let (handle, info) = verified_card(self.pin_fd).map_err(card_error)?;
        Ok(Box::new(CardUnwrapper { handle, info }))
    }
}

/// The card as a TLS client certificate, after the PIN: for accounts that
/// log in with the card (`auth = "card"`).
pub fn client_auth(
    pin_fd: Option<u32>,
) -> std::result::Result<std::sync::Arc<crate::card::signer::CardClientAuth>, crate::card::Error> {
    let (handle, info) = verified_card(pin_fd)?;
    Ok(std::sync::Arc::new(
        crate::card::signer::CardClientAuth::new(handle, &info),
    ))
}

/// The card once, PIN verified once, as both the store's key unwrapper and
/// the TLS client certificate (mailbox commands need both), with the TLS
/// versions its signing allows (CPS3: PKCS#1 v1.5 only, so TLS 1.2).
pub struct CardSession {
    pub unwrapper: Box<dyn KeyUnwrapper>,
    pub client_auth: std::sync::Arc<crate::card::signer::CardClientAuth>,
    pub versions: crate::tls::TlsVersions,
}

pub fn card_session(pin_fd: Option<u32>) -> std::result::Result<CardSession, crate::card::Error> {
    let (handle, info) = verified_card(pin_fd)?;
    let client_auth = std::sync::Arc::new(crate::card::signer::CardClientAuth::new(
        handle.clone(),
        &info,
    ));
    let versions = if info.kind.raw_rsa() {
        crate::tls::TlsVersions::Tls12And13
    } else {
        crate::tls::TlsVersions::Tls12Only
    };
    Ok(CardSession {
        unwrapper: Box::new(CardUnwrapper { handle, info }),
        client_auth,
        versions,
    })
}

/// The card in the reader (waited for up to a minute), its holder shown,
/// its PIN asked (terminal without echo, or `--pin-fd`) and verified.
pub fn verified_card(
    pin_fd: Option<u32>,
) -> std::result::Result<(CardHandle, crate::card::CardInfo), crate::card::Error> {
    let handle = CardHandle::spawn_pcsc(None)?;
    let info = handle.wait_for_card(Duration::from_secs(60))?;
    eprintln!("{}", info.holder.display_name);
    handle.verify(crate::cli::card::read_pin(pin_fd)?)?;
    Ok((handle, info))
}

/// The card verified once (one PIN entry) for a command that needs it twice:
/// to open the store and as the TLS client certificate of a card account.
pub struct VerifiedCard {
    handle: CardHandle,
    info: crate::card::CardInfo,
}

impl VerifiedCard {
    pub fn open(pin_fd: Option<u32>) -> std::result::Result<Self, crate::card::Error> {
        let (handle, info) = verified_card(pin_fd)?;
        Ok(Self { handle, info })
    }

    pub fn client_auth(&self) -> std::sync::Arc<crate::card::signer::CardClientAuth> {
        std::sync::Arc::new(crate::card::signer::CardClientAuth::new(
            self.handle.clone(),
            &self.info,
        ))
    }
}

impl CardProvider for VerifiedCard {
    fn card(&self, _role: CardRole) -> Result<Box<dyn KeyUnwrapper>> {
        Ok(Box::new(CardUnwrapper {
            handle: self.handle.clone(),
            info: self.info.clone(),
        }))
    }
}
