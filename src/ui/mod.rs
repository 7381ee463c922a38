//! Screens and widgets: a pure view over the application state.
//!
//! [`view`] reads the state and draws; it never changes anything, never
//! blocks and never does I/O. Colours come from the theme by scope, words
//! from the catalogue by key.

pub mod format;
pub mod layout;
pub mod list;
pub mod screens;
pub mod widgets;

use crate::app::i18n::{T, Texts};
use crate::app::state::{Screen, State};
use crate::app::theme::{Theme, scope};
use layout::Areas;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use time::UtcOffset;

/// What a view needs besides the state: how things look and read, and the clock.
pub struct UiContext {
    pub theme: Theme,
    pub texts: Texts,
    pub utc_offset: UtcOffset,
    /// Wall-clock seconds since the epoch at this frame (for relative dates).
    pub now: i64,
}

/// Draws the whole screen.
pub fn view(frame: &mut Frame, state: &State, ui: &UiContext) {
    let area = frame.area();
    frame.render_widget(Block::default().style(ui.theme.style(scope::UI)), area);
    let areas = Areas::new(area.width, area.height);
    widgets::tabs::draw(frame, areas.tabs, state, ui);
    match state.screen {
        Screen::Login => screens::login::view::draw(frame, areas.body, &state.login, false, ui),
        Screen::Lock => screens::login::view::draw(frame, areas.body, &state.login, true, ui),
        Screen::Mailbox => {
            screens::mailbox::view::draw(frame, areas.body, &state.mailbox, state.has_mail, ui)
        }
        Screen::Reader => screens::reader::view::draw(frame, areas.body, &state.reader, ui),
        Screen::Compose => screens::compose::view::draw(frame, areas.body, &state.compose, ui),
        Screen::Directory => {
            screens::directory::view::draw(frame, areas.body, &state.directory, ui)
        }
        Screen::Records => screens::records::view::draw(frame, areas.body, &state.records, ui),
        Screen::Audit => screens::audit::view::draw(frame, areas.body, &state.audit, ui),
        Screen::Help => {
            screens::help::view::draw(frame, areas.body, &state.help, &state.keymap, ui)
        }
        Screen::Outbox => screens::outbox::view::draw(frame, areas.body, &state.outbox, ui),
    }
    if state.screen == Screen::Reader
        && let Some(prompt) = &state.receipt.prompt
    {
        screens::receipt::view::draw(frame, areas.body, prompt, ui);
    }
    widgets::notifications::draw(frame, areas.body, &state.notifications, ui);
    // The mailbox and reader prompt sits over notifications: it wants an answer.
    if matches!(state.screen, Screen::Mailbox | Screen::Reader)
        && let Some(prompt) = &state.mailbox.prompt
    {
        screens::mailbox::view::draw_prompt(frame, areas.body, &state.mailbox, prompt, ui);
    }
    widgets::status_bar::draw(frame, areas.status, state, ui);
    if let Some(palette) = &state.palette {
        widgets::palette::draw(frame, areas.body, palette, ui);
    } else if !state.pending_keys.is_empty() {
        widgets::which_key::draw(frame, areas.body, state, ui);
    }
}

/// A bordered block with a title; the focused pane's border stands out.
pub fn bordered<'a>(ui: &UiContext, title: &str, focused: bool) -> Block<'a> {
    let border = if focused {
        scope::BORDER_FOCUSED
    } else {
        scope::BORDER
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(ui.theme.style(border))
        .title(Span::styled(
            format!(" {title} "),
            ui.theme.style(scope::TITLE),
        ))
}

/// The honest empty state of a screen whose feature is not set up yet.
pub fn empty_state(frame: &mut Frame, area: Rect, ui: &UiContext, title: T, what: T, hint: T) {
    let lines = vec![
        Line::default(),
        Line::styled(ui.texts.get(what).to_string(), ui.theme.style(scope::UI)),
        Line::default(),
        Line::styled(ui.texts.get(hint).to_string(), ui.theme.style(scope::MUTED)),
    ];
    let paragraph = Paragraph::new(lines)
        .block(bordered(ui, ui.texts.get(title), true))
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, area);
}

/// A popup box anchored at the bottom right of `area`, cleared underneath.
pub fn popup_area(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + area.width - width,
        area.y + area.height - height,
        width,
        height,
    )
}

pub fn clear(frame: &mut Frame, area: Rect, ui: &UiContext) {
    frame.render_widget(Clear, area);
    frame.render_widget(Block::default().style(ui.theme.style(scope::POPUP)), area);
}
