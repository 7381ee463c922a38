//! Where each composing/outbox [`ComposeMsg`] goes: the composer, the outbox screen, the
//! receipt prompt. Kept apart from `update.rs` so that file only routes.

use super::i18n::T;
use super::mail_effects::ComposeMsg;
use super::msg::Effect;
use super::state::{Level, Notification, State};
use crate::ui::screens::{compose, outbox};
use std::time::Instant;

pub fn on_mail(state: &mut State, msg: ComposeMsg, now: Instant) -> Vec<Effect> {
    match msg {
        ComposeMsg::Completions { generation, items } => {
            compose::on_completions(state, generation, items)
        }
        ComposeMsg::PathCompletions { generation, items } => {
            compose::on_path_completions(state, generation, items)
        }
        ComposeMsg::Attached(result) => compose::on_attached(state, result, now),
        ComposeMsg::TrustChecked {
            generation,
            outside,
        } => return compose::on_trust_checked(state, generation, outside),
        ComposeMsg::Queued(result) => return compose::on_queued(state, result),
        ComposeMsg::DraftSaved { id } => compose::on_draft_saved(state, id),
        ComposeMsg::DraftFailed(reason) => state
            .notify(Notification::new(Level::Error, T::ComposeDraftFailed).arg("reason", reason)),
        ComposeMsg::Drafts(Ok(drafts)) => {
            compose::on_drafts(state, &drafts);
            outbox::on_drafts(state, drafts);
        }
        ComposeMsg::Drafts(Err(reason)) => state
            .notify(Notification::new(Level::Error, T::ComposeDraftFailed).arg("reason", reason)),
        ComposeMsg::Outbox(result) => outbox::on_entries(state, result),
        ComposeMsg::Tracked(statuses) => state.outbox.tracked = statuses,
        ComposeMsg::OutboxFailed(reason) => {
            state.notify(Notification::new(Level::Error, T::OutboxFailed).arg("reason", reason))
        }
        ComposeMsg::ReceiptQueued(Ok(_)) => {
            state.notify(Notification::new(Level::Info, T::ReceiptQueued))
        }
        ComposeMsg::ReceiptQueued(Err(reason)) => {
            state.notify(Notification::new(Level::Error, T::ReceiptFailed).arg("reason", reason))
        }
    }
    Vec::new()
}
