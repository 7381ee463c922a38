//! The top line: the product name and the main screens, current one highlighted.

use crate::app::i18n::T;
use crate::app::state::{Screen, State};
use crate::app::theme::scope;
use crate::ui::UiContext;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const MAIN: [Screen; 4] = [
    Screen::Mailbox,
    Screen::Directory,
    Screen::Records,
    Screen::Audit,
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &UiContext) {
    let mut spans = vec![Span::styled(
        format!(" {} ", ui.texts.get(T::AppName)),
        ui.theme.style(scope::TITLE),
    )];
    let current = match state.screen {
        Screen::Reader | Screen::Compose => Screen::Mailbox,
        other => other,
    };
    for screen in MAIN {
        let style = if screen == current {
            ui.theme.style(scope::SELECTION)
        } else {
            ui.theme.style(scope::MUTED)
        };
        spans.push(Span::styled(" ", ui.theme.style(scope::UI)));
        spans.push(Span::styled(
            format!(" {} ", ui.texts.get(screen.title())),
            style,
        ));
    }
    if !MAIN.contains(&current) {
        spans.push(Span::styled(" ", ui.theme.style(scope::UI)));
        spans.push(Span::styled(
            format!(" {} ", ui.texts.get(current.title())),
            ui.theme.style(scope::SELECTION),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
