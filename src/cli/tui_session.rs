//! The interface's mail services on a real profile, from the settings: on
//! each unlock, the first configured account's IMAP service (the card as
//! TLS client certificate for `auth = "card"`, else its password command)
//! over the holder's encrypted cache, its mail source, and the store-backed
//! outbox with the account's SMTP server and Sent check.
//!
//! Only the first account is shown for now (switching accounts is a later
//! step).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::client::ResolvesClientCert;
use tokio::sync::{mpsc, watch};

use crate::app::account_session::{OpenSession, SessionOpener, follow};
use crate::app::msg::Msg;
use crate::card::CardHandle;
use crate::config::{Account, AuthMethod, Settings};
use crate::mail::cache::{AccountSync, CachedMailSource, SyncPassOptions};
use crate::mail::imap::ImapAccount;
use crate::mail::outbox::{
    ImapSent, Outbox, OutboxHandle, RetryPolicy, SmtpTransport, StoreOutboxStore, spawn_outbox,
};
use crate::store::StoreHandle;
use crate::tls::TlsVersions;

/// Opens the configured accounts; `card` is the session's card (its PIN
/// verified by the time `open` is called).
pub struct AccountsOpener {
    pub settings: Settings,
    pub card: Option<CardHandle>,
}

impl AccountsOpener {
    /// The card as TLS client certificate, with the versions it can sign for.
    fn card_auth(
        &self,
        account: &Account,
    ) -> Result<(Option<Arc<dyn ResolvesClientCert>>, TlsVersions), String> {
        let uses_card = account.imap.auth == AuthMethod::Card
            || account
                .smtp
                .as_ref()
                .is_some_and(|s| s.auth == AuthMethod::Card);
        if !uses_card {
            return Ok((None, TlsVersions::default()));
        }
        let Some(handle) = &self.card else {
            return Err("this account logs in with the card, and there is no card".into());
        };
        let info = handle.card().map_err(|e| e.to_string())?;
        let versions = if info.kind.raw_rsa() {
            TlsVersions::Tls12And13
        } else {
            TlsVersions::Tls12Only
        };
        let auth = Arc::new(crate::card::signer::CardClientAuth::new(
            handle.clone(),
            &info,
        ));
        Ok((Some(auth), versions))
    }

    /// The store-backed outbox: SMTP of the account, Sent check over IMAP.
    fn outbox(
        &self,
        account: &Account,
        store: &StoreHandle,
        client_auth: Option<Arc<dyn ResolvesClientCert>>,
        versions: TlsVersions,
    ) -> Result<(OutboxHandle, ImapSent), String> {
        let mut options = crate::cli::imap::tls_options(&self.settings, account, client_auth);
        if account.imap.auth == AuthMethod::Card {
            options.versions = versions;
        }
        let tls = crate::tls::client_config(&options).map_err(|e| e.to_string())?;
        let sent = ImapSent {
            account: ImapAccount::from_settings(account).map_err(|e| e.to_string())?,
            tls: tls.clone(),
        };
        let smtp = crate::cli::mail_wire::smtp_settings(account)
            .map_err(|e| e.to_string())?
            .map(|settings| SmtpTransport { settings, tls });
        let handle = spawn_outbox(
            Outbox::new(
                StoreOutboxStore::new(store.clone()),
                RetryPolicy::default(),
                false,
            ),
            crate::cli::mail_wire::AccountTransport(smtp),
            sent.clone(),
        );
        Ok((handle, sent))
    }
}

impl SessionOpener for AccountsOpener {
    fn open(
        &self,
        store: StoreHandle,
        events: mpsc::UnboundedSender<Msg>,
    ) -> Result<OpenSession, String> {
        let Some(account) = self.settings.accounts.first() else {
            return Ok(OpenSession::empty());
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        let _inside = runtime.enter();
        let (client_auth, versions) = self.card_auth(account)?;
        let config = crate::cli::mailbox::account_session_config(
            &self.settings,
            account,
            client_auth.clone(),
            versions,
        )
        .map_err(|e| e.to_string())?;
        let (outbox, sent) = self.outbox(account, &store, client_auth, versions)?;
        let (service, account_events) =
            AccountSync::spawn(config, &account.name, store, SyncPassOptions::default());
        // INBOX is what opens first: watched with IDLE.
        service.watch(Some("INBOX"));
        let (changes_tx, changes) = watch::channel(0u64);
        let active = Arc::new(AtomicBool::new(true));
        follow(account_events, changes_tx, events, active.clone());
        let source =
            CachedMailSource::account(service.clone(), runtime.clone()).with_changes(changes);
        Ok(OpenSession {
            mail: Some(Arc::new(source)),
            outbox: Some(outbox),
            sent: Some(sent),
            stop: Box::new(move || {
                active.store(false, Ordering::Release);
                runtime.spawn(async move { service.shutdown().await });
            }),
        })
    }
}
