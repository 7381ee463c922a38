//! Draws the audit trail as a table.

use super::{ACTION_FILTERS, AuditState, OUTCOME_FILTERS};
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::audit::Outcome;
use crate::domain::text::terminal_safe;
use crate::ui::format::fit;
use crate::ui::{UiContext, bordered, empty_state};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, audit: &AuditState, ui: &UiContext) {
    if !audit.available {
        empty_state(frame, area, ui, T::ScreenAudit, T::AuditEmpty, T::AuditHint);
        return;
    }
    let action = ACTION_FILTERS
        .get(audit.action_filter)
        .copied()
        .flatten()
        .map_or_else(
            || ui.texts.get(T::AuditAllActions).to_string(),
            |a| a.as_str().to_string(),
        );
    let outcome = OUTCOME_FILTERS
        .get(audit.outcome_filter)
        .copied()
        .flatten()
        .map_or_else(
            || ui.texts.get(T::AuditAllOutcomes).to_string(),
            |o| o.as_str().to_string(),
        );
    let title = ui
        .texts
        .fmt(T::AuditTitle, &[("action", &action), ("outcome", &outcome)]);
    let block = bordered(ui, &title, true);
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let mut lines = vec![
        Line::styled(
            fit(ui.texts.get(T::AuditKeysHint), width),
            ui.theme.style(scope::MUTED),
        ),
        Line::styled(
            fit(
                &format!(
                    "{:<16} {:<15} {:<8} {:<22} {}",
                    "date", "action", "outcome", "target", "request"
                ),
                width,
            ),
            ui.theme.style(scope::HEADER_LABEL),
        ),
    ];
    if audit.entries.is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::AuditNoEntry).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    let room = height.saturating_sub(lines.len());
    let start = audit.cursor.offset.min(audit.entries.len());
    for (i, entry) in audit.entries.iter().enumerate().skip(start).take(room) {
        let at = time::OffsetDateTime::from_unix_timestamp(entry.at_ms / 1000)
            .map(|t| t.to_offset(ui.utc_offset))
            .map(|t| {
                format!(
                    "{:02}/{:02}/{} {:02}:{:02}",
                    t.day(),
                    u8::from(t.month()),
                    t.year(),
                    t.hour(),
                    t.minute()
                )
            })
            .unwrap_or_default();
        let target = entry
            .target
            .as_deref()
            .map(|t| fit(t, 22))
            .unwrap_or_else(|| fit("", 22));
        let text = format!(
            "{:<16} {:<15} {:<8} {} {}",
            at,
            entry.action.as_str(),
            entry.outcome.as_str(),
            terminal_safe(&target),
            terminal_safe(&entry.request)
        );
        let style = if i == audit.cursor.selected {
            scope::SELECTION
        } else if entry.outcome == Outcome::Success {
            scope::LIST
        } else {
            scope::NOTIFY_WARN
        };
        lines.push(Line::styled(fit(&text, width), ui.theme.style(style)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
