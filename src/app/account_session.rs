//! The session's mail services on a real profile: what opens after the PIN
//! (the accounts' IMAP services, their cached mail source, the outbox) and
//! how their events reach `update`.
//!
//! The runtime knows only the [`SessionOpener`] seam, given by `main`, so it
//! stays free of settings; the opener is called on every unlock with the
//! holder's open profile, and the [`OpenSession`] it returns is stopped on
//! lock (the store's key goes, the accounts' tasks with it).

use super::i18n::T;
use super::msg::{Msg, Progress};
use super::state::Connectivity;
use crate::domain::mailbox::MailSource;
use crate::mail::cache::AccountEvent;
use crate::mail::imap::session::ConnState;
use crate::store::StoreHandle;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, watch};

/// What an unlock opens; stopped and dropped on lock.
pub struct OpenSession {
    /// The account shown (the first configured one).
    pub mail: Option<Arc<dyn MailSource>>,
    pub outbox: Option<crate::mail::outbox::OutboxHandle>,
    /// Where sent messages are filed (the account's Sent folder).
    pub sent: Option<crate::mail::outbox::ImapSent>,
    /// Stops the accounts' tasks (logout, IDLE closed).
    pub stop: Box<dyn FnOnce() + Send>,
}

impl OpenSession {
    /// A session without mail services.
    pub fn empty() -> OpenSession {
        OpenSession {
            mail: None,
            outbox: None,
            sent: None,
            stop: Box::new(|| {}),
        }
    }
}

/// Builds the session's services on the holder's open profile. Called on
/// the blocking pool inside the runtime; `events` is where account events
/// go, as messages.
pub trait SessionOpener: Send + Sync {
    fn open(
        &self,
        store: StoreHandle,
        events: mpsc::UnboundedSender<Msg>,
    ) -> Result<OpenSession, String>;
}

/// What one account event means to the interface: a message for `update`,
/// and whether the mail source's content changed (list again).
pub fn event_to_msg(event: &AccountEvent) -> (Option<Msg>, bool) {
    match event {
        AccountEvent::Connection(state) => {
            let connectivity = match state {
                ConnState::Online => Connectivity::Online,
                ConnState::Offline { .. } => Connectivity::Offline,
                ConnState::Connecting => Connectivity::Connecting,
            };
            // Going on or off line changes the offline marker of the lists.
            (Some(Msg::Connectivity(connectivity)), true)
        }
        AccountEvent::Progress(p) => {
            let total = p.total as u64;
            let done = p.fetched as u64;
            let gauge = (done < total).then_some(Progress {
                label: T::ProgressMailSync,
                done,
                total,
            });
            (Some(Msg::Progress(gauge)), false)
        }
        AccountEvent::FoldersListed { .. }
        | AccountEvent::FolderChanged { .. }
        | AccountEvent::NewMail { .. }
        | AccountEvent::Replayed(_) => (None, true),
        AccountEvent::SyncFailed { folder, reason } => {
            tracing::warn!(folder, reason, "folder sync failed");
            (None, false)
        }
        AccountEvent::Audit(_) => (None, false),
    }
}

/// Follows one account's events until the service stops, or `active` is
/// cleared (the session was locked: a late event of the stopped service
/// must not reach the next session's screens): messages to the interface,
/// the change counter bumped for the runtime to list again.
pub fn follow(
    mut events: mpsc::UnboundedReceiver<AccountEvent>,
    changes: watch::Sender<u64>,
    tx: mpsc::UnboundedSender<Msg>,
    active: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if !active.load(Ordering::Acquire) {
                return;
            }
            let (msg, changed) = event_to_msg(&event);
            if let Some(msg) = msg
                && tx.send(msg).is_err()
            {
                return;
            }
            if changed {
                changes.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::sync::SyncProgress;

    #[test]
    fn connection_states_become_the_status_bar_connectivity() {
        let cases = [
            (ConnState::Online, Connectivity::Online),
            (ConnState::Connecting, Connectivity::Connecting),
            (
                ConnState::Offline {
                    reason: "refused".into(),
                },
                Connectivity::Offline,
            ),
        ];
        for (state, expected) in cases {
            let (msg, changed) = event_to_msg(&AccountEvent::Connection(state));
            assert!(matches!(msg, Some(Msg::Connectivity(c)) if c == expected));
            assert!(changed);
        }
    }

    #[test]
    fn progress_fills_the_gauge_then_clears_it() {
        let progress = |fetched, total| {
            AccountEvent::Progress(SyncProgress {
                folder: "INBOX".into(),
                fetched,
                total,
                batch_newest: 10,
                batch_oldest: 1,
            })
        };
        let (msg, changed) = event_to_msg(&progress(5, 10));
        assert!(!changed);
        match msg {
            Some(Msg::Progress(Some(p))) => {
                assert_eq!((p.done, p.total), (5, 10));
                assert_eq!(p.label, T::ProgressMailSync);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            event_to_msg(&progress(10, 10)).0,
            Some(Msg::Progress(None))
        ));
    }

    #[test]
    fn cache_changes_ask_for_a_new_listing() {
        for event in [
            AccountEvent::FolderChanged {
                folder: "INBOX".into(),
            },
            AccountEvent::NewMail {
                folder: "INBOX".into(),
                count: 1,
            },
            AccountEvent::FoldersListed { count: 3 },
        ] {
            let (msg, changed) = event_to_msg(&event);
            assert!(msg.is_none());
            assert!(changed);
        }
    }
}
