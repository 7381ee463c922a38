//! The read-receipt prompt. When an opened message asks for a receipt
//! (`Disposition-Notification-To`), the user is asked whether to send it —
//! never automatically — with a warning when the address differs from the
//! Return-Path (RFC 8098 §2.1). Yes queues an MDN built by `mail::mdn`; the
//! answer (yes or no) is remembered for the session so the question is not
//! asked twice for one message.

pub mod view;

use crate::app::keys::{Key, KeyPress};
use crate::app::mail_effects::{ComposeEffect, ReceiptToSend};
use crate::app::msg::Effect;
use crate::app::state::{Screen, State};
use crate::mail::mdn::{AskReason, ReceiptDecision, ReceiptRequest, decide};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPrompt {
    pub receipt: ReceiptToSend,
    /// Why this request deserves care, if it does.
    pub warning: Option<AskReason>,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiptState {
    pub prompt: Option<ReceiptPrompt>,
    /// Message-IDs already answered (yes or no) in this session.
    pub answered: Vec<String>,
}

/// Called when a message was opened: asks about its receipt request.
pub fn offer(state: &mut State) {
    state.receipt.prompt = None;
    let Some(message) = state.reader.message.as_deref() else {
        return;
    };
    let headers = &message.headers;
    let Some(message_id) = headers
        .message_id
        .as_deref()
        .map(|v| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    let request = ReceiptRequest {
        disposition_notification_to: headers
            .disposition_notification_to
            .iter()
            .map(|a| a.email.clone())
            .collect(),
        return_path: headers.return_path.clone(),
        is_report: message.is_report,
        already_answered: state.receipt.answered.contains(&message_id),
    };
    let (to, warning) = match decide(&request) {
        ReceiptDecision::NotRequested => return,
        // Cachet never answers on its own: "automatic" only means no warning.
        ReceiptDecision::Automatic { to } => (to, None),
        ReceiptDecision::AskUser { to, reason } => (to, Some(reason)),
    };
    let reporter = state
        .compose
        .account()
        .map(|a| a.address.clone())
        .or_else(|| state.session.account.clone())
        .unwrap_or_default();
    if reporter.is_empty() {
        return;
    }
    state.receipt.prompt = Some(ReceiptPrompt {
        receipt: ReceiptToSend {
            reporter,
            to,
            original_message_id: message_id,
            original_subject: message.subject.clone(),
        },
        warning,
    });
}

/// Yes (`y`, `o`) sends the receipt; no (`n`, Esc) does not. Other keys
/// wait: the question stays until answered or the message is left.
pub fn on_key(state: &mut State, key: &KeyPress) -> Option<Vec<Effect>> {
    if state.screen != Screen::Reader {
        return None;
    }
    let prompt = state.receipt.prompt.as_ref()?;
    let yes = matches!(key.key, Key::Char('y' | 'Y' | 'o' | 'O'));
    let no = matches!(key.key, Key::Char('n' | 'N') | Key::Esc);
    if !yes && !no {
        return None;
    }
    let receipt = prompt.receipt.clone();
    state.receipt.prompt = None;
    state
        .receipt
        .answered
        .push(receipt.original_message_id.clone());
    if yes {
        Some(vec![Effect::Compose(ComposeEffect::SendReceipt {
            receipt: Box::new(receipt),
        })])
    } else {
        Some(Vec::new())
    }
}

#[cfg(test)]
mod tests;
