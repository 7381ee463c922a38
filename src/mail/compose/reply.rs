//! Reply, reply-all and forward drafts from a received message.
//!
//! Threading follows RFC 5322 §3.6.4: `In-Reply-To` is the parent's
//! Message-ID and `References` is the parent's References followed by that
//! id. Quoting prefixes each line with `> ` under a French attribution line.

use super::subject::{forward_subject, reply_subject};
use super::{Attachment, Draft, Mailbox};

/// The fields of a received message the helpers need (filled from the MIME
/// parser's output by the caller).
#[derive(Debug, Clone, Default)]
pub struct Original {
    /// Without brackets.
    pub message_id: Option<String>,
    /// Without brackets, oldest first.
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// As it should be shown in the attribution line.
    pub date: String,
    /// The text to quote.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

pub fn reply(original: &Original, me: &Mailbox) -> Draft {
    let to = if original.reply_to.is_empty() {
        original.from.iter().cloned().collect()
    } else {
        original.reply_to.clone()
    };
    Draft {
        from: Some(me.clone()),
        to,
        subject: reply_subject(&original.subject),
        body: quote(original),
        in_reply_to: original.message_id.clone(),
        references: thread(original),
        ..Draft::default()
    }
}

/// Everyone but me: the author (or Reply-To) in To with the original To,
/// the original Cc in Cc; each address once. "Me" is recognised without
/// regard to case: sending a copy to oneself is worse than the rare server
/// with case-sensitive local parts.
pub fn reply_all(original: &Original, me: &Mailbox) -> Draft {
    let mut draft = reply(original, me);
    let mut seen: Vec<Mailbox> = vec![me.clone()];
    let mut keep = |list: Vec<Mailbox>| -> Vec<Mailbox> {
        let mut out = Vec::new();
        for m in list {
            if !seen.iter().any(|s| s.email.eq_ignore_ascii_case(&m.email)) {
                seen.push(m.clone());
                out.push(m);
            }
        }
        out
    };
    let to: Vec<Mailbox> = draft.to.iter().chain(&original.to).cloned().collect();
    draft.to = keep(to);
    draft.cc = keep(original.cc.clone());
    draft
}

/// Forward: the original text below a header block, its attachments kept.
pub fn forward(original: &Original, me: &Mailbox) -> Draft {
    let from = original.from.as_ref().map(display).unwrap_or_default();
    let to = original
        .to
        .iter()
        .map(display)
        .collect::<Vec<_>>()
        .join(", ");
    let body = format!(
        "\n\n-------- Message transféré --------\nDe : {from}\nDate : {}\nObjet : {}\nÀ : {to}\n\n{}",
        original.date, original.subject, original.text
    );
    Draft {
        from: Some(me.clone()),
        subject: forward_subject(&original.subject),
        body,
        attachments: original.attachments.clone(),
        ..Draft::default()
    }
}

fn thread(original: &Original) -> Vec<String> {
    let mut refs = original.references.clone();
    if let Some(id) = &original.message_id
        && !refs.contains(id)
    {
        refs.push(id.clone());
    }
    refs
}

fn quote(original: &Original) -> String {
    let who = original.from.as_ref().map(display).unwrap_or_default();
    let mut out = format!("\n\nLe {}, {who} a écrit :\n", original.date);
    for line in original.text.lines() {
        if line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn display(m: &Mailbox) -> String {
    match &m.name {
        Some(n) => format!("{n} <{}>", m.email),
        None => m.email.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(e: &str) -> Mailbox {
        Mailbox::parse(e).unwrap()
    }

    fn original() -> Original {
        Original {
            message_id: Some("m3@a.test".into()),
            references: vec!["m1@a.test".into(), "m2@b.test".into()],
            from: Some(Mailbox::new(Some("Dr Alice"), "alice@a.test").unwrap()),
            reply_to: vec![],
            to: vec![mb("me@b.test"), mb("carol@c.test")],
            cc: vec![mb("dan@d.test"), mb("ME@B.test"), mb("carol@c.test")],
            subject: "RE: Bilan".into(),
            date: "12/03/2026 10:00".into(),
            text: "Bonjour,\n> ancien\nCordialement".into(),
            attachments: vec![Attachment {
                name: "cr.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: vec![1, 2],
            }],
        }
    }

    #[test]
    fn reply_threads_and_quotes() {
        let d = reply(&original(), &mb("me@b.test"));
        assert_eq!(
            d.to,
            vec![Mailbox::new(Some("Dr Alice"), "alice@a.test").unwrap()]
        );
        assert_eq!(d.subject, "RE: Bilan");
        assert_eq!(d.in_reply_to.as_deref(), Some("m3@a.test"));
        assert_eq!(d.references, ["m1@a.test", "m2@b.test", "m3@a.test"]);
        assert!(d.body.contains(
            "Dr Alice <alice@a.test> a écrit :\n> Bonjour,\n>> ancien\n> Cordialement\n"
        ));
        assert!(d.attachments.is_empty());
    }

    #[test]
    fn reply_prefers_reply_to() {
        let mut o = original();
        o.reply_to = vec![mb("secretariat@a.test")];
        assert_eq!(
            reply(&o, &mb("me@b.test")).to,
            vec![mb("secretariat@a.test")]
        );
    }

    #[test]
    fn reply_all_drops_me_and_duplicates() {
        let d = reply_all(&original(), &mb("me@b.test"));
        let to: Vec<_> = d.to.iter().map(|m| m.email.as_str()).collect();
        let cc: Vec<_> = d.cc.iter().map(|m| m.email.as_str()).collect();
        assert_eq!(to, ["alice@a.test", "carol@c.test"]);
        assert_eq!(cc, ["dan@d.test"]);
    }

    #[test]
    fn forward_keeps_attachments_and_has_no_recipient() {
        let d = forward(&original(), &mb("me@b.test"));
        assert_eq!(d.subject, "TR: Bilan");
        assert!(d.to.is_empty());
        assert_eq!(d.attachments.len(), 1);
        assert!(d.body.contains("Objet : RE: Bilan"));
        assert!(d.in_reply_to.is_none());
    }
}
