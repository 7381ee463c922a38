//! Notifications: the newest ones stacked above the status bar, whole and
//! wrapped, so a long message (a file path and a line number) is never cut.

use crate::app::state::{Level, Notification};
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::ui::{UiContext, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

const SHOWN: usize = 3;

pub fn text(note: &Notification, ui: &UiContext) -> String {
    let args: Vec<(&str, &str)> = note.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    terminal_safe(&ui.texts.fmt(note.text, &args))
}

pub fn draw(frame: &mut Frame, body: Rect, notifications: &[Notification], ui: &UiContext) {
    if notifications.is_empty() || body.width < 4 {
        return;
    }
    let width = usize::from(body.width.saturating_sub(2)).max(1);
    let mut lines = Vec::new();
    let mut height = 0usize;
    for note in notifications.iter().rev().take(SHOWN).rev() {
        let style = ui.theme.style(match note.level {
            Level::Info => scope::NOTIFY_INFO,
            Level::Warn => scope::NOTIFY_WARN,
            Level::Error => scope::NOTIFY_ERROR,
        });
        let text = format!("{} {}", marker(note.level), text(note, ui));
        height += text.chars().count().div_ceil(width).max(1);
        lines.push(Line::styled(text, style));
    }
    let height = u16::try_from(height)
        .unwrap_or(u16::MAX)
        .min(body.height / 2)
        .max(1);
    let area = Rect::new(body.x, body.y + body.height - height, body.width, height);
    clear(frame, area, ui);
    let inner = Rect::new(
        area.x + 1,
        area.y,
        area.width.saturating_sub(2),
        area.height,
    );
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn marker(level: Level) -> &'static str {
    match level {
        Level::Info => "ℹ",
        Level::Warn => "⚠",
        Level::Error => "✖",
    }
}
