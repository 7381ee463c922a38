//! The which-key popup: after the first key of a chord, what can follow.

use crate::app::command;
use crate::app::i18n::T;
use crate::app::keymap::Resolution;
use crate::app::keys::chord_to_string;
use crate::app::state::State;
use crate::app::theme::scope;
use crate::ui::{UiContext, bordered, clear, popup_area};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, body: Rect, state: &State, ui: &UiContext) {
    let Resolution::Pending(next) = state
        .keymap
        .resolve(state.screen.scopes(), &state.pending_keys)
    else {
        return;
    };
    let prefix = chord_to_string(&state.pending_keys);
    let lines: Vec<Line> = next
        .iter()
        .map(|(key, command)| {
            let help = command
                .and_then(command::spec_of)
                .map_or("…", |s| ui.texts.get(s.help));
            Line::from(vec![
                Span::styled(format!(" {prefix} {key}  "), ui.theme.style(scope::KEY)),
                Span::styled(help.to_string(), ui.theme.style(scope::POPUP)),
            ])
        })
        .collect();
    let width = lines
        .iter()
        .map(|l| l.width() as u16)
        .max()
        .unwrap_or(10)
        .saturating_add(3)
        .max(20);
    let area = popup_area(body, width, lines.len() as u16 + 2);
    clear(frame, area, ui);
    frame.render_widget(
        Paragraph::new(lines).block(bordered(ui, ui.texts.get(T::WhichKeyTitle), true)),
        area,
    );
}
