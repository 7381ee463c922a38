//! Draws the command palette: matching commands above an input line.

use crate::app::i18n::T;
use crate::app::palette::matches;
use crate::app::state::PaletteState;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::ui::format::fit;
use crate::ui::{UiContext, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const MAX_ROWS: usize = 8;

pub fn draw(frame: &mut Frame, body: Rect, palette: &PaletteState, ui: &UiContext) {
    let found = matches(&palette.input);
    let rows = found.len().clamp(1, MAX_ROWS);
    let height = (rows as u16 + 1).min(body.height);
    let area = Rect::new(body.x, body.y + body.height - height, body.width, height);
    clear(frame, area, ui);
    let width = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    let first = palette.selected.saturating_sub(MAX_ROWS - 1);
    if found.is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::PaletteNoMatch).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    for (i, spec) in found.iter().enumerate().skip(first).take(MAX_ROWS) {
        let style = if i == palette.selected {
            ui.theme.style(scope::SELECTION)
        } else {
            ui.theme.style(scope::POPUP)
        };
        let name = fit(spec.name, 26);
        let help = fit(ui.texts.get(spec.help), width.saturating_sub(28));
        lines.push(Line::from(vec![
            Span::styled(format!(" {name} "), style),
            Span::styled(help, style),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(
            ui.texts.get(T::PalettePrompt).to_string(),
            ui.theme.style(scope::KEY),
        ),
        Span::styled(terminal_safe(&palette.input), ui.theme.style(scope::POPUP)),
        Span::styled("▏", ui.theme.style(scope::KEY)),
    ]));
    frame.render_widget(Paragraph::new(lines), area);
}
