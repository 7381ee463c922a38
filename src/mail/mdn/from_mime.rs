//! From a parsed incoming message to the [`ReportFields`] the tracking
//! matches. An MDN names its original by `Original-Message-ID`; a DSN only
//! by its envelope id (which we do not set) or by the returned headers, so
//! for a DSN every Message-ID in the returned part is a candidate and the
//! caller keeps the one it knows.

use super::{DsnRecipient, ReportFields, ReportKind};
use crate::mail::mime::{DispositionKind, DsnAction, ParsedMessage, Report};

/// The reports this message carries (none when it is not a report).
pub fn report_fields(parsed: &ParsedMessage, raw: &[u8]) -> Vec<ReportFields> {
    match parsed.report() {
        Some(Report::Read(r)) => {
            let Some(d) = &r.disposition else {
                return Vec::new();
            };
            let kind = match &d.kind {
                DispositionKind::Displayed => "displayed".to_string(),
                DispositionKind::Processed => "processed".to_string(),
                DispositionKind::Deleted => "deleted".to_string(),
                DispositionKind::Dispatched => "dispatched".to_string(),
                DispositionKind::Denied => "denied".to_string(),
                DispositionKind::Failed => "failed".to_string(),
                DispositionKind::Other(o) => o.clone(),
            };
            let mut ty = kind;
            if !d.modifiers.is_empty() {
                ty = format!("{ty}/{}", d.modifiers.join(","));
            }
            if r.error.is_some() && !ty.contains("error") {
                ty.push_str(if ty.contains('/') { ",error" } else { "/error" });
            }
            vec![ReportFields {
                original_message_id: r.original_message_id.clone(),
                kind: ReportKind::Mdn {
                    disposition: format!("{}/{}; {ty}", d.action_mode, d.sending_mode),
                },
            }]
        }
        Some(Report::Delivery(d)) => {
            let recipients: Vec<DsnRecipient> = d
                .recipients
                .iter()
                .map(|r| DsnRecipient {
                    final_recipient: r.final_recipient.clone().unwrap_or_default(),
                    action: match &r.action {
                        DsnAction::Failed => "failed".into(),
                        DsnAction::Delayed => "delayed".into(),
                        DsnAction::Delivered => "delivered".into(),
                        DsnAction::Relayed => "relayed".into(),
                        DsnAction::Expanded => "expanded".into(),
                        DsnAction::Other(o) => o.clone(),
                    },
                    status: r.status.clone().unwrap_or_default(),
                    diagnostic: r.diagnostic_code.clone(),
                })
                .collect();
            let own = parsed.headers.message_id.clone();
            let mut ids: Vec<String> = d.original_envelope_id.iter().cloned().collect();
            ids.extend(
                returned_message_ids(raw)
                    .into_iter()
                    .filter(|id| Some(id) != own.as_ref()),
            );
            ids.dedup();
            ids.into_iter()
                .map(|id| ReportFields {
                    original_message_id: Some(id),
                    kind: ReportKind::Dsn {
                        recipients: recipients.clone(),
                    },
                })
                .collect()
        }
        None => Vec::new(),
    }
}

/// Every `Message-ID:` line value in the raw text (the returned headers),
/// and the `X-Original-Message-Id` of Direct Project DSNs, brackets removed.
fn returned_message_ids(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name_is = |n: &str| name.trim().eq_ignore_ascii_case(n);
            if !(name_is("message-id") || name_is("x-original-message-id"))
                || name.starts_with([' ', '\t'])
            {
                return None;
            }
            let v = value.trim();
            let v = v
                .strip_prefix('<')
                .and_then(|s| s.strip_suffix('>'))
                .unwrap_or(v);
            (!v.is_empty()).then(|| v.to_string())
        })
        .take(20)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::mdn::{TrackedStatus, match_report};
    use crate::mail::mime::{Limits, parse_message};

    #[test]
    fn an_mdn_and_a_dsn_match_their_original() {
        let mdn = "From: bob@x.test\r\nTo: alice@x.test\r\nMessage-ID: <r1@x.test>\r\nSubject: lu\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nlu\r\n--b\r\nContent-Type: message/disposition-notification\r\n\r\n\
            Reporting-UA: x.test; Cachet\r\nFinal-Recipient: rfc822;bob@x.test\r\nOriginal-Message-ID: <orig@x.test>\r\n\
            Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--b--\r\n";
        let p = parse_message(mdn.as_bytes(), &Limits::default()).unwrap();
        let f = report_fields(&p, mdn.as_bytes());
        assert_eq!(
            match_report(["orig@x.test"], &f[0]),
            Some(("orig@x.test".into(), TrackedStatus::Read))
        );

        let dsn = "From: MAILER-DAEMON@x.test\r\nTo: alice@x.test\r\nMessage-ID: <bounce@x.test>\r\nSubject: Undelivered\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\
            Reporting-MTA: dns; x.test\r\n\r\nFinal-Recipient: rfc822; nobody@x.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
            --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@x.test\r\nMessage-ID: <orig@x.test>\r\nSubject: s\r\n\r\n--b--\r\n";
        let p = parse_message(dsn.as_bytes(), &Limits::default()).unwrap();
        let f = report_fields(&p, dsn.as_bytes());
        let matched: Vec<_> = f
            .iter()
            .filter_map(|r| match_report(["orig@x.test"], r))
            .collect();
        assert!(
            matches!(matched.as_slice(), [(id, TrackedStatus::Failed { reason })] if id == "orig@x.test" && reason.contains("5.1.1")),
            "{matched:?}"
        );
    }
}
