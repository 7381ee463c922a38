//! Draws the login and lock screens. Neither shows any patient data.

use super::LoginState;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, login: &LoginState, locked: bool, ui: &UiContext) {
    let title = if locked {
        T::ScreenLock
    } else {
        T::ScreenLogin
    };
    let block = bordered(ui, ui.texts.get(title), true);
    let mut lines = vec![Line::default()];
    if locked {
        lines.push(Line::styled(
            ui.texts.get(T::LockLocked).to_string(),
            ui.theme.style(scope::LOCK),
        ));
        lines.push(Line::styled(
            ui.texts.get(T::LockHint).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    } else if !login.reader_present && login.demo_pin.is_none() {
        lines.push(Line::styled(
            ui.texts.get(T::LoginNoReader).to_string(),
            ui.theme.style(scope::NOTIFY_WARN),
        ));
    } else if !login.card_present {
        lines.push(Line::styled(
            ui.texts.get(T::LoginInsertCard).to_string(),
            ui.theme.style(scope::UI),
        ));
    }
    if login.cards.len() > 1 {
        lines.push(Line::styled(
            ui.texts.get(T::LoginChooseReader).to_string(),
            ui.theme.style(scope::MUTED),
        ));
        let chosen = login
            .chosen_reader
            .clone()
            .or_else(|| login.cards.first().map(|c| c.0.clone()));
        for (reader, holder, _) in &login.cards {
            let mark = if Some(reader) == chosen.as_ref() {
                "›"
            } else {
                " "
            };
            let style = if Some(reader) == chosen.as_ref() {
                scope::SELECTION
            } else {
                scope::UI
            };
            lines.push(Line::styled(
                format!(
                    "{mark} {} — {}",
                    terminal_safe(reader),
                    terminal_safe(holder)
                ),
                ui.theme.style(style),
            ));
        }
    } else if !login.readers.is_empty() {
        lines.push(Line::styled(
            ui.texts.fmt(
                T::LoginReaders,
                &[("readers", &terminal_safe(&login.readers.join(", ")))],
            ),
            ui.theme.style(scope::MUTED),
        ));
    }
    if let Some(problem) = &login.problem {
        lines.push(Line::styled(
            ui.texts
                .fmt(T::LoginCardProblem, &[("reason", &terminal_safe(problem))]),
            ui.theme.style(scope::NOTIFY_ERROR),
        ));
    }
    lines.push(Line::default());
    if let Some(holder) = &login.holder {
        lines.push(Line::styled(
            ui.texts
                .fmt(T::LoginHolder, &[("name", &terminal_safe(holder))]),
            ui.theme.style(scope::TITLE),
        ));
    }
    if login.blocked {
        lines.push(Line::styled(
            ui.texts.get(T::LoginBlocked).to_string(),
            ui.theme.style(scope::NOTIFY_ERROR),
        ));
    } else if login.card_present || login.holder.is_some() || login.demo_pin.is_some() {
        let masked = "●".repeat(login.pin_len());
        lines.push(Line::from(vec![
            Span::styled(
                ui.texts.get(T::LoginPin).to_string(),
                ui.theme.style(scope::UI),
            ),
            Span::styled(format!("{masked:<8}"), ui.theme.style(scope::LOGIN_PIN)),
        ]));
        if let Some(tries) = login.tries_left {
            lines.push(Line::styled(
                ui.texts
                    .fmt(T::LoginTriesLeft, &[("n", &tries.to_string())]),
                ui.theme.style(scope::NOTIFY_ERROR),
            ));
        }
    }
    if let Some(pin) = &login.demo_pin {
        lines.push(Line::default());
        lines.push(Line::styled(
            ui.texts.fmt(T::LoginDemoPin, &[("pin", pin)]),
            ui.theme.style(scope::MUTED),
        ));
        lines.push(Line::styled(
            ui.texts.get(T::LoginRemoveHint).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    let paragraph = Paragraph::new(lines)
        .block(block)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, area);
}
