//! One authenticated IMAP connection and the commands the sync engine and the session
//! need. Commands go through one runner that sends a tagged command and collects the
//! responses until its tagged answer, with a bound on the silence between two responses
//! (so a long FETCH may take as long as data keeps flowing, but a dead server cannot hang
//! us). We read responses ourselves rather than through async-imap's typed helpers so that
//! CONDSTORE/QRESYNC data (MODSEQ, VANISHED, HIGHESTMODSEQ) is never dropped.

use async_imap::imap_proto::{MailboxDatum, RequestId, Response, ResponseCode, Status};

use super::bulk_scan;
use super::config::Timeouts;
use super::connect::ImapSession;
use super::error::{Error, bounded};
use super::parse::{self, quote, uid_set};
use super::preauth::Capabilities;
use super::types::{FetchedEnvelope, FlagUpdate, Flags, Folder, HEADER_FIELDS, Selected};

/// An authenticated connection.
pub struct ImapConn {
    pub(crate) session: ImapSession,
    caps: Capabilities,
    timeouts: Timeouts,
    qresync: bool,
    selected: Option<Selected>,
}

impl std::fmt::Debug for ImapConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapConn")
            .field("qresync", &self.qresync)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

/// Longest known-uids set sent with QRESYNC.
const MAX_KNOWN_UIDS_TEXT: usize = 8 * 1024;

enum Verdict {
    Ok,
    No,
    Bad,
}

/// Shows `each` one response to the command tagged `tag`; `Some` once the
/// command has ended (its tagged answer, or the server's BYE).
pub(crate) fn answer(
    what: &'static str,
    tag: &RequestId,
    resp: &Response<'_>,
    each: &mut impl FnMut(&Response<'_>),
) -> Option<Result<(), Error>> {
    let verdict = match resp {
        Response::Done {
            tag: t,
            status,
            outcome,
        } if t == tag => Some((
            match status {
                Status::Ok => Verdict::Ok,
                Status::No => Verdict::No,
                _ => Verdict::Bad,
            },
            outcome
                .information
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(300)
                .collect::<String>(),
        )),
        Response::Data {
            status: Status::Bye,
            ..
        } => return Some(Err(Error::ConnectionLost)),
        _ => None,
    };
    match verdict {
        None => {
            each(resp);
            None
        }
        Some((Verdict::Ok, _)) => {
            each(resp);
            Some(Ok(()))
        }
        Some((Verdict::No, text)) => Some(Err(Error::No {
            command: what,
            text,
        })),
        Some((_, text)) => Some(Err(Error::Bad {
            command: what,
            text,
        })),
    }
}

/// What SELECT (with QRESYNC) returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOutcome {
    pub selected: Selected,
    /// UIDs the server reported VANISHED (QRESYNC only).
    pub vanished: Vec<u32>,
    /// Flag changes since the known modseq (QRESYNC only).
    pub changed: Vec<FlagUpdate>,
}

/// QRESYNC parameters from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QresyncParams {
    pub uid_validity: u32,
    pub modseq: u64,
    pub known_uids: Vec<u32>,
}

impl ImapConn {
    pub(crate) async fn start(
        session: ImapSession,
        timeouts: Timeouts,
        use_qresync: bool,
    ) -> Result<ImapConn, Error> {
        let mut conn = ImapConn {
            session,
            caps: Capabilities::default(),
            timeouts,
            qresync: false,
            selected: None,
        };
        // Capabilities change after login; ask again.
        let mut caps = None;
        conn.run_each("CAPABILITY", "CAPABILITY", |r| {
            if let Response::Capabilities(list) = r {
                caps = Some(Capabilities(
                    list.iter()
                        .map(|c| match c {
                            async_imap::imap_proto::Capability::Imap4rev1 => "IMAP4REV1".into(),
                            async_imap::imap_proto::Capability::Auth(a) => {
                                format!("AUTH={}", a.to_ascii_uppercase())
                            }
                            async_imap::imap_proto::Capability::Atom(a) => a.to_ascii_uppercase(),
                        })
                        .collect(),
                ));
            }
        })
        .await?;
        conn.caps = caps.ok_or_else(|| Error::Protocol {
            detail: "CAPABILITY answered without capabilities".into(),
        })?;
        if use_qresync && conn.caps.has("QRESYNC") && conn.caps.has("ENABLE") {
            conn.run("ENABLE", "ENABLE QRESYNC").await?;
            conn.qresync = true;
        }
        Ok(conn)
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    pub fn has_condstore(&self) -> bool {
        self.qresync || self.caps.has("CONDSTORE")
    }

    pub fn has_qresync(&self) -> bool {
        self.qresync
    }

    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Sends one command; NO and BAD become errors.
    pub(crate) async fn run(&mut self, what: &'static str, command: &str) -> Result<(), Error> {
        self.run_each(what, command, |_| {}).await
    }

    /// Sends one command and shows `each` every response to it, untagged ones then the
    /// tagged OK (a callback because async-imap does not export its response type).
    pub(crate) async fn run_each(
        &mut self,
        what: &'static str,
        command: &str,
        mut each: impl FnMut(&Response<'_>) + Send,
    ) -> Result<(), Error> {
        let limit = self.timeouts.command;
        let tag = bounded(what, limit, async {
            self.session
                .run_command(command)
                .await
                .map_err(|e| Error::from_client(what, e))
        })
        .await?;
        loop {
            let next = bounded(what, limit, async {
                self.session.read_response().await.map_err(Error::Io)
            })
            .await?;
            let Some(raw) = next else {
                return Err(Error::ConnectionLost);
            };
            if let Some(ended) = answer(what, &tag, raw.parsed(), &mut each) {
                return ended;
            }
        }
    }

    /// LIST (with RFC 6154 roles) and, when `with_status`, STATUS of each selectable folder.
    pub async fn list_folders(&mut self, with_status: bool) -> Result<Vec<Folder>, Error> {
        let command = if self.caps.has("SPECIAL-USE") && self.caps.has("LIST-EXTENDED") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
        let mut folders: Vec<Folder> = Vec::new();
        self.run_each("LIST", command, |r| folders.extend(parse::folder(r)))
            .await?;
        if with_status {
            let items = if self.has_condstore() {
                "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
            } else {
                "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)"
            };
            for f in folders.iter_mut().filter(|f| f.selectable) {
                let command = format!("STATUS {} {items}", quote(&f.name)?);
                let mut status = None;
                self.run_each("STATUS", &command, |r| {
                    if let Some((_, s)) = parse::status(r) {
                        status = Some(s);
                    }
                })
                .await?;
                f.status = status;
            }
        }
        Ok(folders)
    }

    /// SELECT (or EXAMINE when `read_only`), with QRESYNC parameters when given and the
    /// server has QRESYNC enabled, else with CONDSTORE when offered.
    pub async fn select(
        &mut self,
        name: &str,
        read_only: bool,
        qresync: Option<&QresyncParams>,
    ) -> Result<SelectOutcome, Error> {
        self.selected = None;
        let verb = if read_only { "EXAMINE" } else { "SELECT" };
        let mut command = format!("{verb} {}", quote(name)?);
        match qresync {
            Some(q) if self.qresync => {
                command.push_str(&format!(" (QRESYNC ({} {}", q.uid_validity, q.modseq));
                // known-uids only help the server narrow VANISHED; the sync engine takes
                // expunges from the UID list anyway, so a huge set is not worth a
                // command line some servers would refuse.
                let known = uid_set(&q.known_uids);
                if !known.is_empty() && known.len() <= MAX_KNOWN_UIDS_TEXT {
                    command.push(' ');
                    command.push_str(&known);
                }
                command.push_str("))");
            }
            _ if self.has_condstore() => command.push_str(" (CONDSTORE)"),
            _ => {}
        }
        let mut out = SelectOutcome {
            selected: Selected {
                name: name.to_string(),
                uid_validity: 0,
                uid_next: None,
                highest_modseq: None,
                exists: 0,
                read_only,
            },
            vanished: Vec::new(),
            changed: Vec::new(),
        };
        let known: std::collections::HashSet<u32> = qresync
            .map(|q| q.known_uids.iter().copied().collect())
            .unwrap_or_default();
        self.run_each("SELECT", &command, |r| match r {
            Response::Data { outcome, .. } | Response::Done { outcome, .. } => {
                match &outcome.code {
                    Some(ResponseCode::UidValidity(v)) => out.selected.uid_validity = *v,
                    Some(ResponseCode::UidNext(v)) => out.selected.uid_next = Some(*v),
                    Some(ResponseCode::HighestModSeq(v)) => out.selected.highest_modseq = Some(*v),
                    Some(ResponseCode::ReadOnly) => out.selected.read_only = true,
                    _ => {}
                }
            }
            Response::MailboxData(MailboxDatum::Exists(n)) => out.selected.exists = *n,
            Response::Vanished { uids, .. } => {
                out.vanished
                    .extend(parse::expand_ranges(uids, &|u| known.contains(&u)));
            }
            Response::Fetch(_, attrs) => {
                if let (Some(uid), Some(flags), modseq) = parse::fetch_flags(attrs) {
                    out.changed.push(FlagUpdate { uid, flags, modseq });
                }
            }
            _ => {}
        })
        .await?;
        if out.selected.uid_validity == 0 {
            return Err(Error::Protocol {
                detail: format!("{verb} {name} gave no UIDVALIDITY"),
            });
        }
        self.selected = Some(out.selected.clone());
        Ok(out)
    }

    /// `UID FETCH set (UID FLAGS [MODSEQ]) [(CHANGEDSINCE m)]`.
    pub async fn fetch_flags(
        &mut self,
        set: &str,
        changed_since: Option<u64>,
    ) -> Result<Vec<FlagUpdate>, Error> {
        let mut command = format!("UID FETCH {set} (UID FLAGS)");
        if let Some(m) = changed_since {
            command.push_str(&format!(" (CHANGEDSINCE {m})"));
        }
        let mut out = Vec::new();
        self.run_each("UID FETCH flags", &command, |r| {
            if let Response::Fetch(_, attrs) = r
                && let (Some(uid), Some(flags), modseq) = parse::fetch_flags(attrs)
            {
                out.push(FlagUpdate { uid, flags, modseq });
            }
        })
        .await?;
        Ok(out)
    }

    /// `UID SEARCH criteria`; the criteria are IMAP syntax built by the caller (quote
    /// user text with [`quote`]).
    pub async fn uid_search(&mut self, criteria: &str) -> Result<Vec<u32>, Error> {
        let mut uids: Vec<u32> = Vec::new();
        self.run_bulk(
            "UID SEARCH",
            &format!("UID SEARCH {criteria}"),
            bulk_scan::scan_search,
            |r| match r {
                Response::MailboxData(MailboxDatum::Search(v)) => Some(v.clone()),
                _ => None,
            },
            |found| uids.extend_from_slice(&found),
        )
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// Server-side text search (for text not in the cache): TEXT matches headers and body.
    pub async fn search_text(&mut self, text: &str) -> Result<Vec<u32>, Error> {
        let criteria = format!("CHARSET UTF-8 TEXT {}", quote(text)?);
        self.uid_search(&criteria).await
    }

    /// Envelopes of `uids` (any order; the answer follows the server's order).
    pub async fn fetch_envelopes(&mut self, uids: &[u32]) -> Result<Vec<FetchedEnvelope>, Error> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let mut items = format!(
            "UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({})]",
            HEADER_FIELDS.join(" ")
        );
        if self.has_condstore() {
            items.push_str(" MODSEQ");
        }
        let command = format!("UID FETCH {} ({items})", uid_set(uids));
        let mut out = Vec::with_capacity(uids.len());
        self.run_bulk(
            "UID FETCH envelopes",
            &command,
            bulk_scan::scan_fetch,
            |r| match r {
                Response::Fetch(_, attrs) => parse::envelope(attrs),
                _ => None,
            },
            |e| out.push(e),
        )
        .await?;
        Ok(out)
    }

    /// The whole message, without setting \Seen; None when the UID no longer exists.
    pub async fn fetch_body(&mut self, uid: u32) -> Result<Option<Vec<u8>>, Error> {
        let mut body = None;
        let command = format!("UID FETCH {uid} (UID BODY.PEEK[])");
        self.run_each("UID FETCH body", &command, |r| {
            if let Response::Fetch(_, attrs) = r
                && parse::fetch_flags(attrs).0 == Some(uid)
            {
                body = parse::body_section(attrs);
            }
        })
        .await?;
        Ok(body)
    }

    /// Adds and removes flags (`+FLAGS.SILENT`, `-FLAGS.SILENT`): both idempotent.
    pub async fn store_flags(
        &mut self,
        uids: &[u32],
        add: &Flags,
        remove: &Flags,
    ) -> Result<(), Error> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if !add.0.is_empty() {
            self.run(
                "UID STORE",
                &format!("UID STORE {set} +FLAGS.SILENT {}", add.to_imap_list()),
            )
            .await?;
        }
        if !remove.0.is_empty() {
            self.run(
                "UID STORE",
                &format!("UID STORE {set} -FLAGS.SILENT {}", remove.to_imap_list()),
            )
            .await?;
        }
        Ok(())
    }

    /// Moves messages: UID MOVE when offered, else COPY + \Deleted + UID EXPUNGE (only of
    /// these UIDs, with UIDPLUS; plain EXPUNGE would remove others' \Deleted messages, so
    /// without UIDPLUS the originals are left flagged).
    pub async fn move_messages(&mut self, uids: &[u32], to: &str) -> Result<(), Error> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.caps.has("MOVE") {
            self.run("UID MOVE", &format!("UID MOVE {set} {}", quote(to)?))
                .await?;
            return Ok(());
        }
        self.run("UID COPY", &format!("UID COPY {set} {}", quote(to)?))
            .await?;
        self.store_flags(uids, &Flags::of([Flags::DELETED]), &Flags::default())
            .await?;
        self.expunge_uids(uids).await
    }

    /// `UID EXPUNGE` of exactly these UIDs (UIDPLUS); refused without UIDPLUS.
    pub async fn expunge_uids(&mut self, uids: &[u32]) -> Result<(), Error> {
        if uids.is_empty() {
            return Ok(());
        }
        if !self.caps.has("UIDPLUS") {
            return Err(Error::NoMechanism {
                method: "UIDPLUS (UID EXPUNGE)",
            });
        }
        self.run("UID EXPUNGE", &format!("UID EXPUNGE {}", uid_set(uids)))
            .await?;
        Ok(())
    }

    /// APPEND a message (Sent, Drafts) with flags.
    pub async fn append(
        &mut self,
        folder: &str,
        flags: &Flags,
        message: &[u8],
    ) -> Result<(), Error> {
        let list = flags.to_imap_list();
        let limit = self.timeouts.command;
        bounded("APPEND", limit, async {
            self.session
                .append(folder, Some(list.as_str()), None, message)
                .await
                .map_err(|e| Error::from_client("APPEND", e))
        })
        .await
    }

    /// Appends several messages: one MULTIAPPEND command with non-synchronising literals
    /// when the server offers MULTIAPPEND and LITERAL+ (one round trip instead of one per
    /// message, for imports), else one APPEND each.
    pub async fn append_many(
        &mut self,
        folder: &str,
        messages: &[(Flags, Vec<u8>)],
    ) -> Result<(), Error> {
        let text: Option<Vec<&str>> = messages
            .iter()
            .map(|(_, m)| std::str::from_utf8(m).ok())
            .collect();
        match text {
            Some(text)
                if self.caps.has("MULTIAPPEND")
                    && self.caps.has("LITERAL+")
                    && !messages.is_empty() =>
            {
                let mut command = format!("APPEND {}", quote(folder)?);
                for ((flags, _), body) in messages.iter().zip(text) {
                    command.push_str(&format!(
                        " {} {{{}+}}\r\n{body}",
                        flags.to_imap_list(),
                        body.len()
                    ));
                }
                self.run("APPEND", &command).await
            }
            _ => {
                for (flags, message) in messages {
                    self.append(folder, flags, message).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn create_folder(&mut self, name: &str) -> Result<(), Error> {
        self.run("CREATE", &format!("CREATE {}", quote(name)?))
            .await
            .map(|_| ())
    }

    pub async fn delete_folder(&mut self, name: &str) -> Result<(), Error> {
        self.run("DELETE", &format!("DELETE {}", quote(name)?))
            .await
            .map(|_| ())
    }

    pub async fn noop(&mut self) -> Result<(), Error> {
        self.run("NOOP", "NOOP").await
    }

    /// LOGOUT, bounded; errors are irrelevant at this point.
    pub async fn logout(mut self) {
        let _ = self.run("LOGOUT", "LOGOUT").await;
    }
}
