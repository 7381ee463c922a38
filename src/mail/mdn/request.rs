//! Does an incoming message ask for a read receipt, and may we answer alone?

use crate::mail::compose::Mailbox;

/// The fields of an incoming message that matter (from the MIME parser).
#[derive(Debug, Clone, Default)]
pub struct ReceiptRequest {
    /// Addresses of `Disposition-Notification-To`, in order.
    pub disposition_notification_to: Vec<String>,
    /// `Return-Path` as stamped by the final delivery (angle brackets allowed).
    pub return_path: Option<String>,
    /// The message is itself a report (`multipart/report`): never answered.
    pub is_report: bool,
    /// We already sent a receipt for this message (RFC 8098: at most one).
    pub already_answered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AskReason {
    /// `Disposition-Notification-To` is not the Return-Path.
    DiffersFromReturnPath,
    /// No Return-Path to compare with.
    NoReturnPath,
    /// More than one address asks for the receipt.
    SeveralAddresses,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptDecision {
    NotRequested,
    /// May be sent without asking (if the user's policy says so).
    Automatic {
        to: String,
    },
    /// The user must be asked first.
    AskUser {
        to: String,
        reason: AskReason,
    },
}

pub fn decide(req: &ReceiptRequest) -> ReceiptDecision {
    if req.is_report || req.already_answered {
        return ReceiptDecision::NotRequested;
    }
    let addresses: Vec<&str> = req
        .disposition_notification_to
        .iter()
        .map(|a| strip_brackets(a))
        .filter(|a| Mailbox::parse(a).is_ok())
        .collect();
    let Some(first) = addresses.first() else {
        return ReceiptDecision::NotRequested;
    };
    let to = first.to_string();
    if addresses.len() > 1 {
        return ReceiptDecision::AskUser {
            to,
            reason: AskReason::SeveralAddresses,
        };
    }
    match req
        .return_path
        .as_deref()
        .map(strip_brackets)
        .filter(|r| !r.is_empty())
    {
        None => ReceiptDecision::AskUser {
            to,
            reason: AskReason::NoReturnPath,
        },
        Some(rp) if crate::mail::compose::Mailbox::parse(&to).is_ok_and(|m| m.same_address(rp)) => {
            ReceiptDecision::Automatic { to }
        }
        Some(_) => ReceiptDecision::AskUser {
            to,
            reason: AskReason::DiffersFromReturnPath,
        },
    }
}

fn strip_brackets(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(s)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(dnt: &[&str], rp: Option<&str>) -> ReceiptRequest {
        ReceiptRequest {
            disposition_notification_to: dnt.iter().map(|s| s.to_string()).collect(),
            return_path: rp.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn same_address_may_be_automatic() {
        assert_eq!(
            decide(&req(&["alice@Example.test"], Some("<alice@example.test>"))),
            ReceiptDecision::Automatic {
                to: "alice@Example.test".into()
            }
        );
    }

    #[test]
    fn a_different_return_path_means_asking_the_user() {
        assert_eq!(
            decide(&req(&["alice@example.test"], Some("<bounces@list.test>"))),
            ReceiptDecision::AskUser {
                to: "alice@example.test".into(),
                reason: AskReason::DiffersFromReturnPath
            }
        );
        assert_eq!(
            decide(&req(&["alice@example.test"], None)),
            ReceiptDecision::AskUser {
                to: "alice@example.test".into(),
                reason: AskReason::NoReturnPath
            }
        );
        // Null reverse path: nothing to compare with.
        assert!(matches!(
            decide(&req(&["alice@example.test"], Some("<>"))),
            ReceiptDecision::AskUser { .. }
        ));
        assert!(matches!(
            decide(&req(&["a@x.test", "b@x.test"], Some("a@x.test"))),
            ReceiptDecision::AskUser {
                reason: AskReason::SeveralAddresses,
                ..
            }
        ));
    }

    #[test]
    fn no_request_no_loop_no_second_receipt() {
        assert_eq!(
            decide(&req(&[], Some("a@x.test"))),
            ReceiptDecision::NotRequested
        );
        assert_eq!(
            decide(&req(&["not an address"], Some("a@x.test"))),
            ReceiptDecision::NotRequested
        );
        let mut r = req(&["a@x.test"], Some("a@x.test"));
        r.is_report = true;
        assert_eq!(decide(&r), ReceiptDecision::NotRequested);
        let mut r = req(&["a@x.test"], Some("a@x.test"));
        r.already_answered = true;
        assert_eq!(decide(&r), ReceiptDecision::NotRequested);
    }
}
