//! Whether and how a read receipt (MDN) was asked for. RFC 8098 §2.1 and the
//! MSSanté rule: a receipt may be sent automatically only when the single
//! `Disposition-Notification-To` address is the `Return-Path`; otherwise
//! the user must be asked (a forged request could be used to confirm that a
//! mailbox is read, or to send receipts to a third party).

use super::ParsedMessage;
use crate::domain::envelope::Address;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest {
    /// Where the receipt would go.
    pub notify: Vec<Address>,
    /// Ask the user before sending anything.
    pub must_ask_user: bool,
}

impl ParsedMessage {
    /// The sender's read-receipt request, if any.
    pub fn receipt_request(&self) -> Option<ReceiptRequest> {
        let notify = self.headers.disposition_notification_to.clone();
        if notify.is_empty() {
            return None;
        }
        let matches_return_path = match (notify.as_slice(), &self.headers.return_path) {
            ([only], Some(return_path)) => only.email.eq_ignore_ascii_case(return_path.trim()),
            _ => false,
        };
        Some(ReceiptRequest {
            notify,
            must_ask_user: !matches_return_path,
        })
    }
}
