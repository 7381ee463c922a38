//! What an incoming report says about a message we sent. The MIME parser
//! extracts [`ReportFields`]; [`match_report`] finds the sent message by
//! Original-Message-ID (MDN) or by the DSN's original envelope id / the
//! referenced Message-ID, and [`advance`] merges the news into the status
//! already known so that a late "delivered" never hides a "read".

/// Delivery knowledge about one sent message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TrackedStatus {
    Sent,
    Delivered,
    Read,
    /// Deleted unread (MDN `deleted`).
    Deleted,
    Failed {
        reason: String,
    },
}

impl TrackedStatus {
    fn rank(&self) -> u8 {
        match self {
            TrackedStatus::Sent => 0,
            TrackedStatus::Delivered => 1,
            TrackedStatus::Deleted => 2,
            TrackedStatus::Failed { .. } => 3,
            TrackedStatus::Read => 4,
        }
    }
}

/// Keeps the most informative status: reports can arrive in any order.
pub fn advance(current: &TrackedStatus, new: TrackedStatus) -> TrackedStatus {
    if new.rank() >= current.rank() {
        new
    } else {
        current.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    pub final_recipient: String,
    /// `failed`, `delayed`, `delivered`, `relayed`, `expanded`.
    pub action: String,
    /// `5.1.1` …
    pub status: String,
    pub diagnostic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportKind {
    /// The `Disposition:` field value, e.g. `manual-action/MDN-sent-manually; displayed`.
    Mdn {
        disposition: String,
    },
    Dsn {
        recipients: Vec<DsnRecipient>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFields {
    /// MDN `Original-Message-ID`, or for a DSN the Message-ID found in the
    /// returned headers (with or without brackets).
    pub original_message_id: Option<String>,
    pub kind: ReportKind,
}

/// The sent message this report is about and its new status; `None` when it
/// is about none of `sent` or says nothing new (a `delayed` DSN).
pub fn match_report<'a>(
    sent: impl IntoIterator<Item = &'a str>,
    report: &ReportFields,
) -> Option<(String, TrackedStatus)> {
    let id = report.original_message_id.as_deref().map(normalise_id)?;
    let known = sent.into_iter().find(|s| normalise_id(s) == id)?;
    let status = match &report.kind {
        ReportKind::Mdn { disposition } => mdn_status(disposition)?,
        ReportKind::Dsn { recipients } => dsn_status(recipients)?,
    };
    Some((known.to_string(), status))
}

fn normalise_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id)
        .trim()
}

fn mdn_status(disposition: &str) -> Option<TrackedStatus> {
    // `action/sending; type[/modifier,…]`; the type follows the semicolon.
    let (_, ty) = disposition.split_once(';')?;
    let ty = ty.trim().to_ascii_lowercase();
    let (ty, modifiers) = ty.split_once('/').unwrap_or((ty.as_str(), ""));
    if modifiers.split(',').any(|m| m.trim().starts_with("error")) {
        return Some(TrackedStatus::Failed {
            reason: disposition.trim().to_string(),
        });
    }
    match ty.trim() {
        "displayed" => Some(TrackedStatus::Read),
        "processed" | "dispatched" => Some(TrackedStatus::Delivered),
        "deleted" => Some(TrackedStatus::Deleted),
        _ => None,
    }
}

fn dsn_status(recipients: &[DsnRecipient]) -> Option<TrackedStatus> {
    if let Some(r) = recipients
        .iter()
        .find(|r| r.action.eq_ignore_ascii_case("failed"))
    {
        let reason = match &r.diagnostic {
            Some(d) => format!("{} {}: {d}", r.final_recipient, r.status),
            None => format!("{} {}", r.final_recipient, r.status),
        };
        return Some(TrackedStatus::Failed { reason });
    }
    let delivered = !recipients.is_empty()
        && recipients.iter().all(|r| {
            ["delivered", "relayed", "expanded"]
                .iter()
                .any(|a| r.action.eq_ignore_ascii_case(a))
        });
    delivered.then_some(TrackedStatus::Delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mdn(id: &str, disposition: &str) -> ReportFields {
        ReportFields {
            original_message_id: Some(id.into()),
            kind: ReportKind::Mdn {
                disposition: disposition.into(),
            },
        }
    }

    fn dsn(id: &str, actions: &[&str]) -> ReportFields {
        ReportFields {
            original_message_id: Some(id.into()),
            kind: ReportKind::Dsn {
                recipients: actions
                    .iter()
                    .map(|a| DsnRecipient {
                        final_recipient: "rfc822;bob@example.test".into(),
                        action: a.to_string(),
                        status: "5.1.1".into(),
                        diagnostic: Some("smtp; 550 unknown user".into()),
                    })
                    .collect(),
            },
        }
    }

    const SENT: [&str; 2] = ["a@x.test", "b@x.test"];

    #[test]
    fn mdn_dispositions() {
        let m = |d| match_report(SENT, &mdn("<b@x.test>", d)).map(|(_, s)| s);
        assert_eq!(
            m("manual-action/MDN-sent-manually; displayed"),
            Some(TrackedStatus::Read)
        );
        assert_eq!(
            m("automatic-action/MDN-sent-automatically; processed"),
            Some(TrackedStatus::Delivered)
        );
        assert_eq!(
            m("manual-action/MDN-sent-manually; deleted"),
            Some(TrackedStatus::Deleted)
        );
        assert!(matches!(
            m("automatic-action/MDN-sent-automatically; processed/error"),
            Some(TrackedStatus::Failed { .. })
        ));
        assert_eq!(m("garbage"), None);
        assert_eq!(match_report(SENT, &mdn("c@x.test", "a/b; displayed")), None);
        assert_eq!(
            match_report(SENT, &mdn(" <a@x.test> ", "a/b; displayed")),
            Some(("a@x.test".to_string(), TrackedStatus::Read))
        );
    }

    #[test]
    fn dsn_actions() {
        let d = |a: &[&str]| match_report(SENT, &dsn("a@x.test", a)).map(|(_, s)| s);
        assert!(
            matches!(d(&["delivered", "failed"]), Some(TrackedStatus::Failed { reason }) if reason.contains("5.1.1"))
        );
        assert_eq!(d(&["delivered", "relayed"]), Some(TrackedStatus::Delivered));
        assert_eq!(d(&["delayed"]), None);
        assert_eq!(d(&[]), None);
    }

    #[test]
    fn read_is_never_downgraded() {
        assert_eq!(
            advance(&TrackedStatus::Read, TrackedStatus::Delivered),
            TrackedStatus::Read
        );
        assert_eq!(
            advance(&TrackedStatus::Sent, TrackedStatus::Delivered),
            TrackedStatus::Delivered
        );
        assert_eq!(
            advance(&TrackedStatus::Delivered, TrackedStatus::Read),
            TrackedStatus::Read
        );
    }
}
