//! [`Transport`] over [`crate::mail::smtp::submit`].

use std::sync::Arc;

use super::{SendFailure, Transport};
use crate::error::HasKind;
use crate::mail::compose::Envelope;
use crate::mail::smtp::{self, SmtpSettings};

#[derive(Clone)]
pub struct SmtpTransport {
    pub settings: SmtpSettings,
    pub tls: Arc<rustls::ClientConfig>,
}

impl Transport for SmtpTransport {
    async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<String, SendFailure> {
        smtp::submit(&self.settings, self.tls.clone(), envelope, bytes)
            .await
            .map(|accepted| accepted.reply)
            .map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                outcome_unknown: e.may_have_been_delivered(),
                kind: e.kind(),
                reason: e.to_string(),
            })
    }
}
