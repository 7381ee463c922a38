//! A `multipart/report` as a receipt the reader understands at a glance:
//! "Lu le 31/01/2026 15:05 par dr.b@…", "Remis : a@…", "Échec : b@… (5.1.1 …)".

use super::Labels;
use crate::domain::envelope::MailDate;
use crate::domain::text::{Emphasis, Line, Span};
use crate::mail::mime::{DispositionKind, DsnAction, Report};

/// Lines describing `report`; `date` is the report message's own date (when
/// the receipt was issued).
pub fn receipt_lines(report: &Report, date: Option<MailDate>, labels: &Labels) -> Vec<Line> {
    let when = date.map(|d| labels.format_date(d)).unwrap_or_default();
    let mut lines = Vec::new();
    match report {
        Report::Read(mdn) => {
            let kind = mdn.disposition.as_ref().map(|d| &d.kind);
            let (headline, emphasis, dated) = match kind {
                Some(DispositionKind::Displayed) => (labels.read_on, Emphasis::Strong, true),
                Some(DispositionKind::Processed) => (labels.processed_on, Emphasis::Strong, true),
                Some(DispositionKind::Deleted) => {
                    (labels.deleted_unread_on, Emphasis::Warning, true)
                }
                Some(DispositionKind::Dispatched) => (labels.dispatched_on, Emphasis::Strong, true),
                Some(DispositionKind::Denied) => (labels.receipt_denied, Emphasis::Warning, false),
                Some(DispositionKind::Failed) => (labels.receipt_failed, Emphasis::Warning, false),
                Some(DispositionKind::Other(_)) | None => (labels.receipt, Emphasis::Strong, false),
            };
            let emphasis = if mdn.error.is_some() {
                Emphasis::Warning
            } else {
                emphasis
            };
            let mut text = headline.to_string();
            if dated && !when.is_empty() {
                text.push(' ');
                text.push_str(&when);
            }
            if let Some(who) = &mdn.final_recipient {
                text.push_str(&format!(" {} {who}", labels.by));
            }
            lines.push(Line::styled(&text, emphasis));
            if let Some(error) = &mdn.error {
                lines.push(Line::styled(
                    &format!("{}{}{error}", labels.error, labels.colon),
                    Emphasis::Warning,
                ));
            }
            if let Some(id) = &mdn.original_message_id {
                lines.push(Line::new(vec![
                    Span::new(
                        &format!("{}{}", labels.about_message, labels.colon),
                        Emphasis::Muted,
                    ),
                    Span::plain(&format!("<{id}>")),
                ]));
            }
        }
        Report::Delivery(dsn) => {
            lines.push(Line::styled(
                format!("{} {when}", labels.delivery_report).trim_end(),
                Emphasis::Strong,
            ));
            for r in &dsn.recipients {
                let (word, emphasis) = match &r.action {
                    DsnAction::Delivered => (labels.delivered, Emphasis::Plain),
                    DsnAction::Relayed => (labels.relayed, Emphasis::Plain),
                    DsnAction::Expanded => (labels.expanded, Emphasis::Plain),
                    DsnAction::Delayed => (labels.delayed, Emphasis::Warning),
                    DsnAction::Failed => (labels.failed, Emphasis::Warning),
                    DsnAction::Other(_) => (labels.status, Emphasis::Plain),
                };
                let who = r
                    .final_recipient
                    .as_deref()
                    .or(r.original_recipient.as_deref())
                    .unwrap_or(labels.unknown_recipient);
                let mut text = format!("{word}{}{who}", labels.colon);
                let detail: Vec<&str> = [r.status.as_deref(), r.diagnostic_code.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect();
                if !detail.is_empty() {
                    text.push_str(&format!(" ({})", detail.join(" — ")));
                }
                lines.push(Line::styled(&text, emphasis));
            }
        }
    }
    lines
}
