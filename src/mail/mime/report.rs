//! The machine-readable half of `multipart/report`: RFC 8098 message
//! disposition notifications (read receipts, MSSanté "accusés de lecture")
//! and RFC 3464 delivery status notifications (bounces). Both are blocks of
//! header-like fields; a DSN has one per-message block then one block per
//! recipient. Unknown fields are ignored, malformed ones leave `None`.

/// A parsed report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Read(ReadReport),
    Delivery(DeliveryReport),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReport {
    /// `Original-Message-ID` without angle brackets: the message this receipt is about.
    pub original_message_id: Option<String>,
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub reporting_ua: Option<String>,
    pub disposition: Option<MdnDisposition>,
    /// `Error:` field, or an `error` modifier text (MSSanté puts `code^label` there).
    pub error: Option<String>,
}

/// `Disposition: action-mode/sending-mode; type[/modifiers]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnDisposition {
    pub action_mode: String,
    pub sending_mode: String,
    pub kind: DispositionKind,
    pub modifiers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispositionKind {
    Displayed,
    Processed,
    Deleted,
    Dispatched,
    Denied,
    Failed,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub reporting_mta: Option<String>,
    pub original_envelope_id: Option<String>,
    pub arrival_date: Option<String>,
    pub recipients: Vec<DsnRecipient>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: DsnAction,
    /// RFC 3463 status code, e.g. `5.1.1`.
    pub status: Option<String>,
    pub diagnostic_code: Option<String>,
    pub remote_mta: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsnAction {
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
    Other(String),
}

impl DsnAction {
    fn parse(text: &str) -> DsnAction {
        match text.trim().to_ascii_lowercase().as_str() {
            "failed" => DsnAction::Failed,
            "delayed" => DsnAction::Delayed,
            "delivered" => DsnAction::Delivered,
            "relayed" => DsnAction::Relayed,
            "expanded" => DsnAction::Expanded,
            other => DsnAction::Other(other.to_string()),
        }
    }
}

/// Fields are capped so a hostile report cannot make us keep megabytes.
const MAX_FIELDS: usize = 1_000;
const MAX_VALUE: usize = 4_096;

/// Split a report body into blocks of `(name, value)` fields.
fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut count = 0;
    for line in text.lines() {
        if count >= MAX_FIELDS {
            break;
        }
        if line.trim().is_empty() {
            if blocks.last().is_some_and(|b| !b.is_empty()) {
                blocks.push(Vec::new());
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = blocks.last_mut().and_then(|b| b.last_mut())
                && value.len() < MAX_VALUE
            {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            count += 1;
            let mut value = value.trim().to_string();
            value.truncate(floor_char_boundary(&value, MAX_VALUE));
            if let Some(block) = blocks.last_mut() {
                block.push((name.trim().to_ascii_lowercase(), value));
            }
        }
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn field(block: &[(String, String)], name: &str) -> Option<String> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// `rfc822; bob@example.test` → `bob@example.test`.
fn strip_address_type(value: String) -> String {
    match value.split_once(';') {
        Some((_, addr)) => addr.trim().to_string(),
        None => value,
    }
}

fn strip_brackets(value: String) -> String {
    value.trim().trim_matches(['<', '>']).trim().to_string()
}

pub(crate) fn parse_mdn(text: &str) -> ReadReport {
    let blocks = field_blocks(text);
    let block: Vec<(String, String)> = blocks.into_iter().flatten().collect();
    let disposition = field(&block, "disposition").map(|d| parse_disposition(&d));
    let error = field(&block, "error").or_else(|| {
        disposition.as_ref().and_then(|d| {
            d.modifiers
                .iter()
                .find_map(|m| {
                    let lower = m.to_ascii_lowercase();
                    lower.starts_with("error").then(|| {
                        m.get(5..)
                            .unwrap_or("")
                            .trim_start_matches([':', ' '])
                            .to_string()
                    })
                })
                .filter(|e| !e.is_empty())
        })
    });
    ReadReport {
        original_message_id: field(&block, "original-message-id").map(strip_brackets),
        final_recipient: field(&block, "final-recipient").map(strip_address_type),
        original_recipient: field(&block, "original-recipient").map(strip_address_type),
        reporting_ua: field(&block, "reporting-ua"),
        disposition,
        error,
    }
}

fn parse_disposition(value: &str) -> MdnDisposition {
    let (modes, kind) = value.split_once(';').unwrap_or(("", value));
    let (action_mode, sending_mode) = modes.split_once('/').unwrap_or((modes, ""));
    let mut pieces = kind.split('/');
    let kind_name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let modifiers = pieces
        .flat_map(|m| m.split(','))
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let kind = match kind_name.as_str() {
        "displayed" => DispositionKind::Displayed,
        "processed" => DispositionKind::Processed,
        "deleted" => DispositionKind::Deleted,
        "dispatched" => DispositionKind::Dispatched,
        "denied" => DispositionKind::Denied,
        "failed" => DispositionKind::Failed,
        other => DispositionKind::Other(other.to_string()),
    };
    MdnDisposition {
        action_mode: action_mode.trim().to_string(),
        sending_mode: sending_mode.trim().to_string(),
        kind,
        modifiers,
    }
}

pub(crate) fn parse_dsn(text: &str) -> DeliveryReport {
    let mut blocks = field_blocks(text).into_iter();
    let first = blocks.next().unwrap_or_default();
    let mut report = DeliveryReport {
        reporting_mta: field(&first, "reporting-mta").map(strip_address_type),
        original_envelope_id: field(&first, "original-envelope-id"),
        arrival_date: field(&first, "arrival-date"),
        recipients: Vec::new(),
    };
    // Some MTAs put everything in one block: then the first block is also the
    // recipient block.
    let recipient_blocks: Vec<_> = if field(&first, "action").is_some() {
        std::iter::once(first).chain(blocks).collect()
    } else {
        blocks.collect()
    };
    for block in recipient_blocks {
        if field(&block, "final-recipient").is_none() && field(&block, "action").is_none() {
            continue;
        }
        report.recipients.push(DsnRecipient {
            final_recipient: field(&block, "final-recipient").map(strip_address_type),
            original_recipient: field(&block, "original-recipient").map(strip_address_type),
            action: DsnAction::parse(&field(&block, "action").unwrap_or_default()),
            status: field(&block, "status"),
            diagnostic_code: field(&block, "diagnostic-code").map(strip_address_type),
            remote_mta: field(&block, "remote-mta").map(strip_address_type),
        });
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdn_fields_and_mssante_error_modifier() {
        let r = parse_mdn(
            "Reporting-UA: lps.example.test; Cachet\r\nFinal-Recipient: rfc822; dr.b@example.test\r\n\
             Original-Message-ID: <abc@example.test>\r\n\
             Disposition: automatic-action/MDN-sent-automatically;\r\n processed/Error: 12^Patient inconnu\r\n",
        );
        assert_eq!(r.original_message_id.as_deref(), Some("abc@example.test"));
        assert_eq!(r.final_recipient.as_deref(), Some("dr.b@example.test"));
        let d = r.disposition.unwrap();
        assert_eq!(d.kind, DispositionKind::Processed);
        assert_eq!(d.action_mode, "automatic-action");
        assert_eq!(r.error.as_deref(), Some("12^Patient inconnu"));
    }

    #[test]
    fn dsn_per_recipient_blocks() {
        let r = parse_dsn(
            "Reporting-MTA: dns; mx.example.test\n\nFinal-Recipient: rfc822; a@x.test\nAction: failed\n\
             Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown user\n\n\
             Final-Recipient: rfc822; b@x.test\nAction: delivered\nStatus: 2.0.0\n",
        );
        assert_eq!(r.reporting_mta.as_deref(), Some("mx.example.test"));
        assert_eq!(r.recipients.len(), 2);
        assert_eq!(r.recipients[0].action, DsnAction::Failed);
        assert_eq!(r.recipients[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(
            r.recipients[0].diagnostic_code.as_deref(),
            Some("550 5.1.1 unknown user")
        );
        assert_eq!(r.recipients[1].action, DsnAction::Delivered);
    }

    #[test]
    fn garbage_gives_empty_reports() {
        let r = parse_dsn("\u{1b}[2J:::\n\n\n: :\n");
        assert!(r.recipients.is_empty());
        let m = parse_mdn("no fields at all");
        assert_eq!(m.original_message_id, None);
    }
}
