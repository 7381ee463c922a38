//! Draws the composer.

use super::ComposeState;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, compose: &ComposeState, ui: &UiContext) {
    let title = if compose.subject.is_empty() {
        ui.texts.get(T::ComposeEmpty).to_string()
    } else {
        terminal_safe(&compose.subject)
    };
    let block = bordered(ui, &title, true);
    let field = |label: T, value: &str| {
        Line::from(vec![
            Span::styled(
                format!("{:<8} ", ui.texts.get(label)),
                ui.theme.style(scope::HEADER_LABEL),
            ),
            Span::styled(terminal_safe(value), ui.theme.style(scope::HEADER_VALUE)),
        ])
    };
    let mut lines = vec![
        field(T::ComposeTo, &compose.to),
        field(T::ComposeSubject, &compose.subject),
    ];
    lines.push(Line::styled(
        "─".repeat(usize::from(area.width.saturating_sub(2))),
        ui.theme.style(scope::BORDER),
    ));
    if compose.body.trim().is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::ComposeEditorHint).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    } else {
        lines.extend(
            compose
                .body
                .lines()
                .map(|l| Line::styled(terminal_safe(l), ui.theme.style(scope::BODY))),
        );
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
