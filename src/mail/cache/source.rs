//! [`CachedMailSource`]: the mailbox screens' [`MailSource`] over the
//! encrypted cache. Lists come from the precomputed folder orders (one
//! sealed record), rows from the summaries of the ids on screen, messages
//! from the cached bodies (fetched through the account service when online
//! and not cached yet). Changes reach the cache at once; with an account
//! service they are queued durably and sent (now or at the next
//! connection); a local-only source (the demo) keeps them in the cache.
//!
//! Calls block (store thread, network): the runtime calls them from
//! `spawn_blocking`, so `Handle::block_on` on the account's runtime is safe.

use crate::domain::envelope::Envelope;
use crate::domain::mailbox::{
    Bytes, Flag, FlagChange, FolderInfo, FolderRole, ListEntry, ListQuery, MailSource, MessageId,
    MessageList, MessageRow, OpenedMessage, SourceError, SourceErrorKind,
};
use crate::mail::imap::queue::{OpKind, OpQueue, PendingOp};
use crate::mail::imap::session::ConnState;
use crate::mail::imap::sync::SyncCache;
use crate::mail::imap::types::{Flags, SpecialUse};
use crate::store::StoreHandle;

use super::account::AccountSync;
use super::error::Error;
use super::import::{RawMessage, fetched_envelope};
use super::queue::StoreOpQueue;
use super::reader::{self, ViewOptions};
use super::store_cache::{CacheOptions, StoreSyncCache};
use super::summary::bits;

/// Where changes go besides the cache.
enum Backing {
    /// No server: the cache is the mailbox (the demo).
    Local,
    /// A live account: changes are queued and sent by the service.
    Account {
        service: AccountSync,
        runtime: tokio::runtime::Handle,
    },
}

pub struct CachedMailSource {
    account: String,
    store: StoreHandle,
    cache: StoreSyncCache,
    backing: Backing,
    /// Bumped by whoever follows the account's events (see [`MailSource::changes`]).
    changes: Option<tokio::sync::watch::Receiver<u64>>,
}

fn err(e: Error) -> SourceError {
    use crate::error::{ErrorKind, HasKind};
    let kind = match e.kind() {
        ErrorKind::NotFound => SourceErrorKind::NotFound,
        ErrorKind::Network | ErrorKind::Timeout => SourceErrorKind::Offline,
        ErrorKind::Invalid => SourceErrorKind::Invalid,
        ErrorKind::Protocol | ErrorKind::Auth | ErrorKind::Tls => SourceErrorKind::Server,
        _ => SourceErrorKind::Store,
    };
    SourceError::new(kind, e.to_string())
}

fn store_err(e: crate::store::Error) -> SourceError {
    err(Error::Store(e))
}

fn role(special: Option<SpecialUse>, name: &str) -> FolderRole {
    match special {
        Some(SpecialUse::Inbox) => FolderRole::Inbox,
        _ if name.eq_ignore_ascii_case("INBOX") => FolderRole::Inbox,
        Some(SpecialUse::Sent) => FolderRole::Sent,
        Some(SpecialUse::Drafts) => FolderRole::Drafts,
        Some(SpecialUse::Trash) => FolderRole::Trash,
        Some(SpecialUse::Archive) => FolderRole::Archive,
        _ => FolderRole::Other,
    }
}

fn uids(ids: &[MessageId]) -> Vec<u32> {
    ids.iter().filter_map(|i| u32::try_from(i.0).ok()).collect()
}

fn flag_name(flag: Flag) -> &'static str {
    match flag {
        Flag::Seen => Flags::SEEN,
        Flag::Flagged => Flags::FLAGGED,
        Flag::Answered => Flags::ANSWERED,
        Flag::Deleted => Flags::DELETED,
    }
}

fn row(e: Envelope) -> MessageRow {
    MessageRow {
        id: MessageId(u64::from(e.uid)),
        from: e
            .sender()
            .map(|a| a.display_name().to_string())
            .unwrap_or_default(),
        subject: e.subject,
        date: e.date.map_or(0, |d| d.utc_seconds),
        size: e.size,
        flags: crate::domain::mailbox::Flags {
            seen: e.flags.seen,
            flagged: e.flags.flagged,
            answered: e.flags.answered,
            deleted: e.flags.deleted,
        },
        has_attachment: e.has_attachment,
        receipt_requested: e.receipt_requested,
    }
}

fn contains_folded(haystack: &str, needle: &str) -> bool {
    deunicode::deunicode(haystack)
        .to_lowercase()
        .contains(&deunicode::deunicode(needle).to_lowercase())
}

impl CachedMailSource {
    /// A source over the cache alone (the demo mailbox).
    pub fn local(store: StoreHandle, account: &str) -> CachedMailSource {
        CachedMailSource {
            account: account.to_string(),
            cache: StoreSyncCache::new(store.clone(), account, CacheOptions::default()),
            store,
            backing: Backing::Local,
            changes: None,
        }
    }

    /// A source over a live account's cache; `runtime` is the runtime the
    /// service runs on.
    pub fn account(service: AccountSync, runtime: tokio::runtime::Handle) -> CachedMailSource {
        let store = service.store_handle();
        let account = service.account().to_string();
        CachedMailSource {
            cache: service.cache(),
            account,
            store,
            backing: Backing::Account { service, runtime },
            changes: None,
        }
    }

    /// The counter the runtime watches to list again; its owner bumps it
    /// when the account's events say the cache changed.
    pub fn with_changes(mut self, changes: tokio::sync::watch::Receiver<u64>) -> CachedMailSource {
        self.changes = Some(changes);
        self
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&crate::store::Store, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, SourceError> {
        let account = self.account.clone();
        self.store
            .call(move |s| f(s, &account))
            .map_err(store_err)?
            .map_err(err)
    }

    fn view(&self, folder: &str, options: ViewOptions) -> Result<reader::FolderView, SourceError> {
        let name = folder.to_string();
        self.call(move |s, a| reader::folder_view(s, a, &name, options))?
            .ok_or_else(|| SourceError::not_found(format!("folder {folder} is not cached")))
    }

    fn summaries(&self, folder: &str, list: Vec<u32>) -> Result<Vec<Envelope>, SourceError> {
        let name = folder.to_string();
        self.call(move |s, a| reader::summaries(s, a, &name, &list))
    }

    fn folder_names(&self) -> Result<Vec<(String, FolderRole)>, SourceError> {
        let listed = self.call(reader::folders)?;
        Ok(listed
            .into_iter()
            .map(|f| {
                let r = role(f.special_use, &f.name);
                (f.name, r)
            })
            .collect())
    }

    fn trash(&self) -> Result<Option<String>, SourceError> {
        Ok(self
            .folder_names()?
            .into_iter()
            .find(|(_, r)| *r == FolderRole::Trash)
            .map(|(n, _)| n))
    }

    /// Queues a change for the server (no-op for a local source).
    fn send(&self, folder: &str, kind: OpKind) -> Result<(), SourceError> {
        match &self.backing {
            Backing::Local => Ok(()),
            Backing::Account { service, runtime } => {
                let uid_validity = self.cache.uid_validity(folder).map_err(err)?.unwrap_or(0);
                let op = PendingOp::new(folder, uid_validity, kind);
                let connected = service.connection() == ConnState::Online;
                if connected {
                    runtime
                        .block_on(service.send_op(op))
                        .map(|_| ())
                        .map_err(err)
                } else {
                    StoreOpQueue::new(self.store.clone(), &self.account)
                        .push(op)
                        .map_err(|source| {
                            err(Error::Imap(crate::mail::imap::Error::Cache { source }))
                        })
                }
            }
        }
    }

    /// A local move (no server): the message leaves `from` and enters `to`
    /// under the next free UID, body and summary included.
    fn move_locally(&self, from: &str, uid: u32, to: &str) -> Result<(), SourceError> {
        let (f, t) = (from.to_string(), to.to_string());
        let (raw, env, next) = self.call(move |s, a| {
            let raw = reader::cached_body(s, a, &f, uid)?;
            let env = reader::summaries(s, a, &f, &[uid])?.into_iter().next();
            let next = reader::folder_meta(s, a, &t)?
                .and_then(|m| m.uid_next)
                .unwrap_or(1);
            Ok((raw, env, next))
        })?;
        let (Some(raw), Some(env)) = (raw, env) else {
            return Ok(());
        };
        let mut cache = self.cache.clone();
        let flags = Flags::of(
            [
                (env.flags.seen, Flags::SEEN),
                (env.flags.flagged, Flags::FLAGGED),
                (env.flags.answered, Flags::ANSWERED),
            ]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n),
        );
        let message = RawMessage {
            uid: next,
            flags,
            raw: raw.to_vec(),
        };
        let boxed = |e: crate::mail::imap::sync::BackendError| {
            err(Error::Imap(crate::mail::imap::Error::Cache { source: e }))
        };
        if cache.folder_state(to).map_err(boxed)?.is_none() {
            cache.reset_folder(to, 1).map_err(boxed)?;
        }
        cache
            .apply_new(to, vec![fetched_envelope(&message)])
            .map_err(boxed)?;
        cache.store_body(to, next, &message.raw).map_err(boxed)?;
        cache
            .set_sync_point(
                to,
                crate::mail::imap::sync::SyncPoint {
                    uid_next: Some(next + 1),
                    highest_modseq: None,
                },
            )
            .map_err(boxed)?;
        self.cache.apply_local_removal(from, &[uid]).map_err(err)
    }
}

impl MailSource for CachedMailSource {
    fn folders(&self) -> Result<Vec<FolderInfo>, SourceError> {
        let mut names = self.folder_names()?;
        if names.is_empty() {
            names.push(("INBOX".to_string(), FolderRole::Inbox));
        }
        // The special folders first (Inbox on top), the others in the server's order.
        names.sort_by_key(|(_, r)| match r {
            FolderRole::Inbox => 0,
            FolderRole::Sent => 1,
            FolderRole::Drafts => 2,
            FolderRole::Archive => 3,
            FolderRole::Trash => 4,
            FolderRole::Other => 5,
        });
        let list: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
        let metas = self.call(move |s, a| {
            list.iter()
                .map(|n| reader::folder_meta(s, a, n))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(names
            .into_iter()
            .zip(metas)
            .map(|((name, role), meta)| FolderInfo {
                name,
                role,
                total: meta.as_ref().map_or(0, |m| m.total),
                unread: meta.as_ref().map_or(0, |m| m.unread),
            })
            .collect())
    }

    fn list(&self, query: &ListQuery) -> Result<MessageList, SourceError> {
        let f = &query.filters;
        let view = self.view(
            &query.folder,
            ViewOptions {
                sort: query.sort,
                threaded: query.threaded,
                unread_only: f.unread,
            },
        )?;
        let mut rows = view.rows;
        if f.flagged || f.has_attachment {
            let name = query.folder.clone();
            let base = self.call(move |s, a| {
                let id = s.folder_id(crate::store::FolderRef {
                    account: a,
                    folder: &name,
                })?;
                Ok(match s.folder_record(id, super::index::RECORD_BASE)? {
                    Some(b) => super::index::Base::decode(&b)?,
                    None => super::index::Base::default(),
                })
            })?;
            let need = (if f.flagged { bits::FLAGGED } else { 0 })
                | (if f.has_attachment {
                    bits::ATTACHMENT
                } else {
                    0
                });
            rows.retain(|(u, _)| base.flags.get(u).is_some_and(|b| b & need == need));
        }
        if f.from.is_some() || f.to.is_some() || f.date_from.is_some() || f.date_to.is_some() {
            // Text and date filters read the summaries (the filter is explicit).
            let envs = self.summaries(&query.folder, rows.iter().map(|(u, _)| *u).collect())?;
            let keep: std::collections::HashSet<u32> =
                envs.iter()
                    .filter(|e| {
                        let from_ok = f.from.as_deref().is_none_or(|n| {
                            e.from.iter().any(|a| contains_folded(&a.to_string(), n))
                        });
                        let to_ok = f.to.as_deref().is_none_or(|n| {
                            e.to.iter()
                                .chain(e.cc.iter())
                                .any(|a| contains_folded(&a.to_string(), n))
                        });
                        let date = e.date.map(|d| d.utc_seconds);
                        let date_ok = f.date_from.is_none_or(|s| date.is_some_and(|d| d >= s))
                            && f.date_to.is_none_or(|t| date.is_some_and(|d| d <= t));
                        from_ok && to_ok && date_ok
                    })
                    .map(|e| e.uid)
                    .collect();
            rows.retain(|(u, _)| keep.contains(u));
        }
        Ok(MessageList {
            entries: rows
                .into_iter()
                .map(|(uid, depth)| ListEntry {
                    id: MessageId(u64::from(uid)),
                    depth: u16::from(depth),
                })
                .collect(),
        })
    }

    fn rows(&self, folder: &str, ids: &[MessageId]) -> Result<Vec<MessageRow>, SourceError> {
        Ok(self
            .summaries(folder, uids(ids))?
            .into_iter()
            .map(row)
            .collect())
    }

    fn open(&self, folder: &str, id: MessageId) -> Result<Option<OpenedMessage>, SourceError> {
        let Ok(uid) = u32::try_from(id.0) else {
            return Ok(None);
        };
        let Some(env) = self.summaries(folder, vec![uid])?.into_iter().next() else {
            return Ok(None);
        };
        let name = folder.to_string();
        let cached = self.call(move |s, a| reader::cached_body(s, a, &name, uid))?;
        let raw = match (cached, &self.backing) {
            (Some(b), _) => b,
            (None, Backing::Account { service, runtime }) => {
                match runtime.block_on(service.body(folder, uid)).map_err(err)? {
                    Some(b) => zeroize::Zeroizing::new(b),
                    None => return Ok(None),
                }
            }
            (None, Backing::Local) => {
                return Err(SourceError::new(
                    SourceErrorKind::Offline,
                    "the message body is not cached",
                ));
            }
        };
        // The runtime records the opening in the audit trail; fetches from
        // the server are recorded by the account service.
        Ok(Some(OpenedMessage {
            id,
            flags: row(env).flags,
            raw: Bytes(raw),
        }))
    }

    fn set_flags(
        &self,
        folder: &str,
        ids: &[MessageId],
        change: FlagChange,
    ) -> Result<(), SourceError> {
        let list = uids(ids);
        let one = Flags::of([flag_name(change.flag)]);
        let (add, remove) = if change.set {
            (one, Flags::default())
        } else {
            (Flags::default(), one)
        };
        self.cache
            .apply_local_flags(folder, &list, &add, &remove)
            .map_err(err)?;
        self.send(
            folder,
            OpKind::SetFlags {
                uids: list,
                add,
                remove,
            },
        )
    }

    fn move_to(&self, folder: &str, ids: &[MessageId], target: &str) -> Result<(), SourceError> {
        if folder == target {
            return Err(SourceError::new(
                SourceErrorKind::Invalid,
                "a message cannot move to its own folder",
            ));
        }
        for uid in uids(ids) {
            match self.backing {
                Backing::Local => self.move_locally(folder, uid, target)?,
                Backing::Account { .. } => {
                    let name = folder.to_string();
                    let message_id = self
                        .summaries(&name, vec![uid])?
                        .into_iter()
                        .next()
                        .and_then(|e| e.message_id)
                        .map(|m| format!("<{m}>"));
                    self.cache
                        .apply_local_removal(folder, &[uid])
                        .map_err(err)?;
                    self.send(
                        folder,
                        OpKind::Move {
                            uid,
                            to: target.to_string(),
                            message_id,
                        },
                    )?;
                }
            }
        }
        Ok(())
    }

    fn delete(&self, folder: &str, ids: &[MessageId]) -> Result<(), SourceError> {
        match self.trash()? {
            Some(trash) if trash != folder => self.move_to(folder, ids, &trash),
            _ => self.set_flags(
                folder,
                ids,
                FlagChange {
                    flag: Flag::Deleted,
                    set: true,
                },
            ),
        }
    }

    fn expunge(&self, folder: &str) -> Result<usize, SourceError> {
        let name = folder.to_string();
        let base = self.call(move |s, a| {
            let id = s.folder_id(crate::store::FolderRef {
                account: a,
                folder: &name,
            })?;
            Ok(match s.folder_record(id, super::index::RECORD_BASE)? {
                Some(b) => super::index::Base::decode(&b)?,
                None => super::index::Base::default(),
            })
        })?;
        let gone: Vec<u32> = base
            .flags
            .iter()
            .filter(|(_, b)| *b & bits::DELETED != 0)
            .map(|(u, _)| *u)
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        self.cache.apply_local_removal(folder, &gone).map_err(err)?;
        self.send(folder, OpKind::Delete { uids: gone.clone() })?;
        Ok(gone.len())
    }

    fn search(&self, folder: &str, query: &str) -> Result<Vec<MessageId>, SourceError> {
        let parsed = crate::mail::search::parse_query(query)
            .map_err(|e| SourceError::new(SourceErrorKind::Invalid, e.to_string()))?;
        let name = folder.to_string();
        let mut found = self.call(move |s, a| reader::search(s, a, &name, &parsed))?;
        found.reverse();
        Ok(found.into_iter().map(|u| MessageId(u64::from(u))).collect())
    }

    fn offline(&self) -> bool {
        match &self.backing {
            Backing::Local => false,
            Backing::Account { service, .. } => service.connection() != ConnState::Online,
        }
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.changes.clone()
    }
}
