//! Glue between the card and the store: the CPS card as the store's key
//! unwrapper. The store knows cards only through `KeyUnwrapper`; the holder
//! and public key come from the card's authentication certificate, and the
//! profile's data key is unwrapped on the card by PSO DECIPHER (after the PIN).

use crate::card::{CardHandle, CardInfo};
use crate::store::error::Result;
use crate::store::{Error, KeyUnwrapper};
use zeroize::Zeroizing;

pub struct CardUnwrapper {
    pub handle: CardHandle,
    pub info: CardInfo,
}

impl KeyUnwrapper for CardUnwrapper {
    fn holder_id(&self) -> String {
        self.info
            .holder
            .national_id
            .clone()
            .unwrap_or_else(|| self.info.holder.display_name.clone())
    }

    fn public_key_spki_der(&self) -> Result<Vec<u8>> {
        let (_, cert) =
            x509_parser::parse_x509_certificate(&self.info.certificate).map_err(|_| {
                Error::Card {
                    reason: "the card's certificate does not parse".into(),
                }
            })?;
        Ok(cert.tbs_certificate.subject_pki.raw.to_vec())
    }

    fn decipher(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.handle.decipher(wrapped).map_err(|e| Error::Card {
            reason: e.to_string(),
        })
    }
}
