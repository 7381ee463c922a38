//! Draws the outbox (or the drafts) as a table, with the selected
//! message's last error and next attempt below, and the confirmation box.

use super::{Confirm, OutboxScreen, Pane};
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::mail::outbox::{OutboxEntry, OutboxState};
use crate::ui::format::{fit, size};
use crate::ui::{UiContext, bordered, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// The status shown: what the receipts said, once the message went out.
pub fn shown_status(entry: &OutboxEntry, outbox: &OutboxScreen) -> T {
    use crate::mail::mdn::TrackedStatus;
    let tracked = outbox
        .tracked
        .iter()
        .find(|(id, _)| *id == entry.message_id)
        .map(|(_, s)| s);
    match (&entry.state, tracked) {
        (OutboxState::Sent | OutboxState::Done, Some(TrackedStatus::Read)) => T::OutboxRead,
        (OutboxState::Sent | OutboxState::Done, Some(TrackedStatus::Delivered)) => {
            T::OutboxDelivered
        }
        (OutboxState::Sent | OutboxState::Done, Some(TrackedStatus::Failed { .. })) => {
            T::OutboxUndelivered
        }
        (OutboxState::Sent | OutboxState::Done, Some(TrackedStatus::Deleted)) => {
            T::OutboxDeletedUnread
        }
        (state, _) => status_label(state),
    }
}

pub fn status_label(state: &OutboxState) -> T {
    match state {
        OutboxState::Queued => T::OutboxQueued,
        OutboxState::Sending { .. } => T::OutboxSending,
        OutboxState::Sent | OutboxState::Done => T::OutboxSent,
        OutboxState::Failed { .. } => T::OutboxFailedState,
        OutboxState::Cancelled => T::OutboxCancelled,
    }
}

fn when(at: i64, ui: &UiContext) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    let t = t.to_offset(ui.utc_offset);
    if (at - ui.now).abs() < 86_400 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!(
            "{:02}/{:02} {:02}:{:02}",
            t.day(),
            u8::from(t.month()),
            t.hour(),
            t.minute()
        )
    }
}

pub fn draw(frame: &mut Frame, area: Rect, outbox: &OutboxScreen, ui: &UiContext) {
    let title = match outbox.pane {
        Pane::Queue => ui.texts.get(T::OutboxTitle),
        Pane::Drafts => ui.texts.get(T::DraftsTitle),
    };
    let block = bordered(ui, title, true);
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let hint = match outbox.pane {
        Pane::Queue => T::OutboxKeysHint,
        Pane::Drafts => T::DraftsKeysHint,
    };
    let mut lines = vec![Line::styled(
        fit(ui.texts.get(hint), width),
        ui.theme.style(scope::MUTED),
    )];
    match outbox.pane {
        Pane::Queue => queue_lines(&mut lines, outbox, ui, width, height),
        Pane::Drafts => draft_lines(&mut lines, outbox, ui, width, height),
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
    if let Some(confirm) = &outbox.confirm {
        let text = match confirm {
            Confirm::Cancel { .. } => ui.texts.get(T::OutboxConfirmCancel),
            Confirm::DeleteDraft { .. } => ui.texts.get(T::DraftsConfirmDelete),
        };
        let w = area.width.min(50);
        let h = 4.min(area.height);
        let popup = Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        );
        clear(frame, popup, ui);
        frame.render_widget(
            Paragraph::new(Line::styled(text.to_string(), ui.theme.style(scope::POPUP)))
                .block(bordered(ui, ui.texts.get(T::OutboxConfirmTitle), true))
                .wrap(Wrap { trim: true }),
            popup,
        );
    }
}

fn queue_lines(
    lines: &mut Vec<Line<'static>>,
    outbox: &OutboxScreen,
    ui: &UiContext,
    width: usize,
    height: usize,
) {
    lines.push(Line::styled(
        fit(
            &format!(
                "{:<10} {:<11} {:<22} {}",
                ui.texts.get(T::OutboxColStatus),
                ui.texts.get(T::OutboxColNext),
                ui.texts.get(T::OutboxColTo),
                ui.texts.get(T::OutboxColSubject)
            ),
            width,
        ),
        ui.theme.style(scope::HEADER_LABEL),
    ));
    if outbox.entries.is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::OutboxEmpty).to_string(),
            ui.theme.style(scope::MUTED),
        ));
        return;
    }
    // Two rows are kept for the selected message's details.
    let room = height.saturating_sub(lines.len() + 2);
    let start = outbox.cursor.offset.min(outbox.entries.len());
    for (i, entry) in outbox.entries.iter().enumerate().skip(start).take(room) {
        let next = match entry.state {
            OutboxState::Queued => when(entry.next_attempt_at, ui),
            _ => String::new(),
        };
        let text = format!(
            "{:<10} {:<11} {:<22} {}",
            fit(ui.texts.get(shown_status(entry, outbox)), 10),
            next,
            fit(&terminal_safe(&entry.recipients.join(", ")), 22),
            terminal_safe(&entry.subject)
        );
        let style = if i == outbox.cursor.selected {
            scope::SELECTION
        } else if matches!(entry.state, OutboxState::Failed { .. }) {
            scope::NOTIFY_WARN
        } else {
            scope::LIST
        };
        lines.push(Line::styled(fit(&text, width), ui.theme.style(style)));
    }
    if let Some(entry) = outbox.entries.get(outbox.cursor.selected) {
        lines.push(Line::default());
        lines.push(detail(entry, ui, width));
    }
}

fn detail(entry: &OutboxEntry, ui: &UiContext, width: usize) -> Line<'static> {
    let error = match &entry.state {
        OutboxState::Failed { reason, .. } => Some(reason.clone()),
        _ => entry.last_error.clone(),
    };
    let text = match error {
        Some(reason) => ui.texts.fmt(
            T::OutboxDetailError,
            &[
                ("attempts", &entry.attempts.to_string()),
                ("size", &size(entry.size as u64)),
                ("reason", &terminal_safe(&reason)),
            ],
        ),
        None => ui.texts.fmt(
            T::OutboxDetail,
            &[
                ("attempts", &entry.attempts.to_string()),
                ("size", &size(entry.size as u64)),
            ],
        ),
    };
    Line::styled(fit(&text, width), ui.theme.style(scope::MUTED))
}

fn draft_lines(
    lines: &mut Vec<Line<'static>>,
    outbox: &OutboxScreen,
    ui: &UiContext,
    width: usize,
    height: usize,
) {
    if outbox.drafts.is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::DraftsEmpty).to_string(),
            ui.theme.style(scope::MUTED),
        ));
        return;
    }
    let room = height.saturating_sub(lines.len());
    let start = outbox.cursor.offset.min(outbox.drafts.len());
    for (i, (_, draft)) in outbox.drafts.iter().enumerate().skip(start).take(room) {
        let subject = if draft.subject.trim().is_empty() {
            ui.texts.get(T::ComposeEmpty).to_string()
        } else {
            draft.subject.clone()
        };
        let text = format!(
            "{:<24} {}",
            fit(&terminal_safe(draft.to.trim()), 24),
            terminal_safe(&subject)
        );
        let style = if i == outbox.cursor.selected {
            scope::SELECTION
        } else {
            scope::LIST
        };
        lines.push(Line::styled(fit(&text, width), ui.theme.style(style)));
    }
}
