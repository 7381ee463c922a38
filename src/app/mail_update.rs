//! Where each [`MailMsg`] goes: the composer, the outbox screen, the
//! receipt prompt. Kept apart from `update.rs` so that file only routes.

use super::i18n::T;
use super::mail_effects::MailMsg;
use super::msg::Effect;
use super::state::{Level, Notification, State};
use crate::ui::screens::{compose, outbox};
use std::time::Instant;

pub fn on_mail(state: &mut State, msg: MailMsg, now: Instant) -> Vec<Effect> {
    match msg {
        MailMsg::Completions { generation, items } => {
            compose::on_completions(state, generation, items)
        }
        MailMsg::PathCompletions { generation, items } => {
            compose::on_path_completions(state, generation, items)
        }
        MailMsg::Attached(result) => compose::on_attached(state, result, now),
        MailMsg::TrustChecked {
            generation,
            outside,
        } => return compose::on_trust_checked(state, generation, outside),
        MailMsg::Queued(result) => return compose::on_queued(state, result),
        MailMsg::DraftSaved { id } => compose::on_draft_saved(state, id),
        MailMsg::DraftFailed(reason) => state
            .notify(Notification::new(Level::Error, T::ComposeDraftFailed).arg("reason", reason)),
        MailMsg::Drafts(Ok(drafts)) => {
            compose::on_drafts(state, &drafts);
            outbox::on_drafts(state, drafts);
        }
        MailMsg::Drafts(Err(reason)) => state
            .notify(Notification::new(Level::Error, T::ComposeDraftFailed).arg("reason", reason)),
        MailMsg::Outbox(result) => outbox::on_entries(state, result),
        MailMsg::Tracked(statuses) => state.outbox.tracked = statuses,
        MailMsg::OutboxFailed(reason) => {
            state.notify(Notification::new(Level::Error, T::OutboxFailed).arg("reason", reason))
        }
        MailMsg::ReceiptQueued(Ok(_)) => {
            state.notify(Notification::new(Level::Info, T::ReceiptQueued))
        }
        MailMsg::ReceiptQueued(Err(reason)) => {
            state.notify(Notification::new(Level::Error, T::ReceiptFailed).arg("reason", reason))
        }
    }
    Vec::new()
}
