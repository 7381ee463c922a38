//! The composer's content as it is stored (encrypted) between sessions, and
//! the reply / reply-all / forward starts built with `mail::compose`.

use super::{ComposeState, Field, area_with, text_of};
use crate::app::state::{Screen, State};
use crate::mail::compose::{self, Attachment, Draft, Mailbox, MssHeaders, Original};
use crate::ui::screens::reader::document::ReaderDoc;

/// A draft in the store. Its `Debug` shows the shape, never the content.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct StoredDraft {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub receipt: bool,
    pub codecda: Vec<String>,
    pub ins: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

impl std::fmt::Debug for StoredDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDraft")
            .field("body_len", &self.body.len())
            .field("attachments", &self.attachments.len())
            .field("receipt", &self.receipt)
            .finish_non_exhaustive()
    }
}

impl StoredDraft {
    pub fn from_state(compose: &ComposeState) -> StoredDraft {
        StoredDraft {
            from: compose
                .account()
                .map(|a| a.address.clone())
                .unwrap_or_default(),
            to: text_of(&compose.to),
            cc: text_of(&compose.cc),
            bcc: text_of(&compose.bcc),
            subject: text_of(&compose.subject),
            body: text_of(&compose.body),
            attachments: compose.attachments.clone(),
            receipt: compose.receipt,
            codecda: compose.mss.codecda.clone(),
            ins: compose.mss.ins.clone(),
            in_reply_to: compose.in_reply_to.clone(),
            references: compose.references.clone(),
        }
    }

    /// The composer holding this draft, keeping the accounts of `base`.
    pub fn to_state(&self, base: &ComposeState) -> ComposeState {
        let mut compose = base.fresh();
        if let Some(i) = compose
            .accounts
            .iter()
            .position(|a| a.address.eq_ignore_ascii_case(&self.from))
        {
            compose.from = i;
        }
        compose.to = area_with(&self.to);
        compose.cc = area_with(&self.cc);
        compose.bcc = area_with(&self.bcc);
        compose.subject = area_with(&self.subject);
        compose.body = area_with(&self.body);
        compose.attachments = self.attachments.clone();
        compose.receipt = self.receipt;
        compose.mss = MssHeaders {
            codecda: self.codecda.clone(),
            ins: self.ins.clone(),
        };
        compose.in_reply_to = self.in_reply_to.clone();
        compose.references = self.references.clone();
        compose.focus = if self.to.trim().is_empty() {
            Field::To
        } else {
            Field::Body
        };
        compose
    }

    /// The draft `mail::compose` builds the message from.
    pub fn to_draft(&self, signature: Option<String>) -> Result<Draft, String> {
        let from = Mailbox::parse(&self.from).map_err(|e| e.to_string())?;
        Ok(Draft {
            from: Some(from),
            to: parse_recipients(&self.to)?,
            cc: parse_recipients(&self.cc)?,
            bcc: parse_recipients(&self.bcc)?,
            subject: self.subject.replace('\n', " "),
            body: self.body.clone(),
            signature,
            attachments: self.attachments.clone(),
            in_reply_to: self.in_reply_to.clone(),
            references: self.references.clone(),
            request_receipt: self.receipt,
            mss: MssHeaders {
                codecda: self.codecda.clone(),
                ins: self.ins.clone(),
            },
        })
    }

    /// Every recipient address (To, Cc, Bcc).
    pub fn recipients(&self) -> Result<Vec<Mailbox>, String> {
        let mut all = parse_recipients(&self.to)?;
        all.extend(parse_recipients(&self.cc)?);
        all.extend(parse_recipients(&self.bcc)?);
        Ok(all)
    }
}

/// Splits `Name <a@b.fr>, c@d.fr; "Nom, Prénom" <e@f.fr>` into mailboxes.
/// The error is the piece that is not an address.
pub fn parse_recipients(text: &str) -> Result<Vec<Mailbox>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut pieces = Vec::new();
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | ';' | '\n' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    for piece in pieces {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let parsed = match (piece.rfind('<'), piece.rfind('>')) {
            (Some(open), Some(close)) if open < close => {
                let name = piece[..open].trim().trim_matches('"').trim();
                Mailbox::new((!name.is_empty()).then_some(name), &piece[open + 1..close])
            }
            _ => Mailbox::parse(piece),
        };
        out.push(parsed.map_err(|_| piece.to_string())?);
    }
    Ok(out)
}

/// `Name <address>` or the bare address.
pub fn display(mailbox: &Mailbox) -> String {
    match &mailbox.name {
        Some(name) => format!("{name} <{}>", mailbox.email),
        None => mailbox.email.clone(),
    }
}

fn mailboxes(list: &[crate::domain::envelope::Address]) -> Vec<Mailbox> {
    list.iter()
        .filter_map(|a| Mailbox::new(a.name.as_deref(), &a.email).ok())
        .collect()
}

fn bare(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// What `mail::compose` needs of a message being answered.
pub fn original_of(message: &ReaderDoc, date: String) -> Original {
    let h = &message.headers;
    Original {
        message_id: h.message_id.as_deref().map(bare),
        references: h.references.iter().map(|r| bare(r)).collect(),
        from: mailboxes(&h.from).into_iter().next(),
        reply_to: mailboxes(&h.reply_to),
        to: mailboxes(&h.to),
        cc: mailboxes(&h.cc),
        subject: message.subject.clone(),
        date,
        text: message.body.to_plain_string(72),
        attachments: Vec::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Reply,
    ReplyAll,
    Forward,
}

/// Opens the composer on a reply, reply-all or forward of the message read.
pub fn answer(state: &mut State, kind: ReplyKind) {
    let Some(message) = state.reader.message.as_deref() else {
        return;
    };
    let date = message
        .headers
        .date
        .map(|d| {
            let t = d.to_offset_datetime();
            format!(
                "{:02}/{:02}/{} {:02}:{:02}",
                t.day(),
                u8::from(t.month()),
                t.year(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default();
    let original = original_of(message, date);
    let account = state.compose.account().cloned();
    let me = account
        .as_ref()
        .and_then(|a| Mailbox::new(a.name.as_deref(), &a.address).ok())
        .or_else(|| {
            state
                .session
                .account
                .as_deref()
                .and_then(|a| Mailbox::parse(a).ok())
        });
    let Some(me) = me else {
        return;
    };
    let draft = match kind {
        ReplyKind::Reply => compose::reply(&original, &me),
        ReplyKind::ReplyAll => compose::reply_all(&original, &me),
        ReplyKind::Forward => compose::forward(&original, &me),
    };
    let join = |list: &[Mailbox]| list.iter().map(display).collect::<Vec<_>>().join(", ");
    let stored = StoredDraft {
        from: me.email.clone(),
        to: join(&draft.to),
        cc: join(&draft.cc),
        bcc: String::new(),
        subject: draft.subject,
        body: draft.body,
        attachments: draft.attachments,
        receipt: false,
        codecda: Vec::new(),
        ins: None,
        in_reply_to: draft.in_reply_to,
        references: draft.references,
    };
    let mut compose = stored.to_state(&state.compose);
    compose.focus = if kind == ReplyKind::Forward {
        Field::To
    } else {
        Field::Body
    };
    compose.body.move_cursor(ratatui_textarea::CursorMove::Top);
    state.compose = compose;
    state.go(Screen::Compose);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_parse_with_names_quotes_and_separators() {
        let list = parse_recipients(
            "Dr Bob <bob@x.test>, carol@y.test; \"Martin, Alice\" <alice@z.test>,",
        )
        .unwrap();
        let emails: Vec<_> = list.iter().map(|m| m.email.as_str()).collect();
        assert_eq!(emails, ["bob@x.test", "carol@y.test", "alice@z.test"]);
        assert_eq!(list[2].name.as_deref(), Some("Martin, Alice"));
        assert_eq!(parse_recipients("bob@x.test, oops").unwrap_err(), "oops");
        assert!(parse_recipients("  ").unwrap().is_empty());
    }

    #[test]
    fn a_stored_draft_round_trips_through_the_composer() {
        let base = ComposeState {
            accounts: vec![super::super::Account {
                name: None,
                address: "a@x.test".into(),
                signature: None,
            }],
            ..ComposeState::default()
        };
        let stored = StoredDraft {
            from: "a@x.test".into(),
            to: "b@y.test".into(),
            subject: "Objet".into(),
            body: "ligne 1\nligne 2".into(),
            receipt: true,
            references: vec!["r@x.test".into()],
            ..StoredDraft::default()
        };
        let again = StoredDraft::from_state(&stored.to_state(&base));
        assert_eq!(again, stored);
        assert!(!format!("{again:?}").contains("ligne"));
    }
}
