//! The IMAP side of the outbox: the Sent check (`UID SEARCH HEADER
//! Message-ID` in the folder with the `\Sent` role) and the copy appended
//! there after sending. One short connection per use: both are rare (the
//! check only runs for an attempt whose outcome is unknown).

use std::sync::Arc;

use super::{SendFailure, SentChecker};
use crate::error::HasKind;
use crate::mail::imap::{self, Flags, ImapAccount, ImapConn, SpecialUse};

/// Used when the server names no folder `\Sent`.
pub const DEFAULT_SENT: &str = "Sent";

#[derive(Clone)]
pub struct ImapSent {
    pub account: ImapAccount,
    pub tls: Arc<rustls::ClientConfig>,
}

fn failure(e: &imap::Error) -> SendFailure {
    SendFailure {
        permanent: false,
        outcome_unknown: true,
        kind: e.kind(),
        reason: e.to_string(),
    }
}

impl ImapSent {
    async fn open(&self) -> Result<(ImapConn, String), imap::Error> {
        let mut conn = imap::connect(&self.account, self.tls.clone()).await?;
        let folder = match conn.list_folders(false).await {
            Ok(list) => list
                .into_iter()
                .find(|f| f.special_use == Some(SpecialUse::Sent))
                .map(|f| f.name)
                .unwrap_or_else(|| DEFAULT_SENT.to_string()),
            Err(e) => {
                conn.logout().await;
                return Err(e);
            }
        };
        Ok((conn, folder))
    }

    /// UIDs of the messages with this Message-ID (without brackets) in Sent.
    pub async fn find(&self, message_id: &str) -> Result<Vec<u32>, imap::Error> {
        let (mut conn, folder) = self.open().await?;
        let result = async {
            conn.select(&folder, true, None).await?;
            let criteria = format!(
                "HEADER Message-ID {}",
                imap::parse::quote(&format!("<{message_id}>"))?
            );
            conn.uid_search(&criteria).await
        }
        .await;
        conn.logout().await;
        result
    }

    /// Appends the sent copy to Sent, marked read, unless a copy with this
    /// Message-ID is already there (a crash between APPEND and its commit
    /// must not leave two copies). Returns the folder's name.
    pub async fn append(&self, message_id: &str, bytes: &[u8]) -> Result<String, imap::Error> {
        let (mut conn, folder) = self.open().await?;
        let result = async {
            conn.select(&folder, true, None).await?;
            let criteria = format!(
                "HEADER Message-ID {}",
                imap::parse::quote(&format!("<{message_id}>"))?
            );
            if conn.uid_search(&criteria).await?.is_empty() {
                conn.append(&folder, &Flags::of(["\\Seen"]), bytes).await?;
            }
            Ok(())
        }
        .await;
        conn.logout().await;
        result.map(|()| folder)
    }
}

impl SentChecker for ImapSent {
    async fn is_sent(&self, message_id: &str) -> Result<bool, SendFailure> {
        self.find(message_id)
            .await
            .map(|uids| !uids.is_empty())
            .map_err(|e| failure(&e))
    }
}
