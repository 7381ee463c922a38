//! Draws the help screen.

use super::{HelpRow, HelpState, rows};
use crate::app::command;
use crate::app::i18n::T;
use crate::app::keymap::{Keymap, Scope};
use crate::app::theme::scope;
use crate::ui::format::fit;
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn scope_label(scope: Scope, ui: &UiContext) -> String {
    match scope {
        Scope::Global => ui.texts.get(T::HelpScopeGlobal).to_string(),
        Scope::List => ui.texts.get(T::HelpScopeList).to_string(),
        Scope::Mailbox => ui.texts.get(T::ScreenMailbox).to_string(),
        Scope::Reader => ui.texts.get(T::ScreenReader).to_string(),
        Scope::Compose => ui.texts.get(T::ScreenCompose).to_string(),
        Scope::Directory => ui.texts.get(T::ScreenDirectory).to_string(),
        Scope::Records => ui.texts.get(T::ScreenRecords).to_string(),
        Scope::Audit => ui.texts.get(T::ScreenAudit).to_string(),
        Scope::Help => ui.texts.get(T::ScreenHelp).to_string(),
        Scope::Login => ui.texts.get(T::ScreenLogin).to_string(),
        Scope::Outbox => ui.texts.get(T::ScreenOutbox).to_string(),
    }
}

pub fn draw(frame: &mut Frame, area: Rect, help: &HelpState, keymap: &Keymap, ui: &UiContext) {
    let block = bordered(ui, ui.texts.get(T::HelpTitle), true);
    let all = rows(keymap);
    let height = usize::from(area.height.saturating_sub(2));
    let start = help.cursor.offset.min(all.len());
    let describe = |c: command::Command| command::spec_of(c).map_or("", |s| ui.texts.get(s.help));
    let lines: Vec<Line> = all[start..(start + height).min(all.len())]
        .iter()
        .enumerate()
        .map(|(i, row)| (start + i == help.cursor.selected, row))
        .map(|(selected, row)| match row {
            _ if selected => Line::styled(
                format!("› {}", plain(row, ui)),
                ui.theme.style(scope::SELECTION),
            ),
            HelpRow::Section(s) => Line::styled(scope_label(*s, ui), ui.theme.style(scope::TITLE)),
            HelpRow::Binding { keys, command } => Line::from(vec![
                Span::styled(format!("  {} ", fit(keys, 18)), ui.theme.style(scope::KEY)),
                Span::styled(describe(*command).to_string(), ui.theme.style(scope::UI)),
            ]),
            HelpRow::Unbound { command } => Line::from(vec![
                Span::styled(
                    format!("  {} ", fit(ui.texts.get(T::HelpUnbound), 18)),
                    ui.theme.style(scope::MUTED),
                ),
                Span::styled(describe(*command).to_string(), ui.theme.style(scope::UI)),
            ]),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn plain(row: &HelpRow, ui: &UiContext) -> String {
    let describe = |c: command::Command| command::spec_of(c).map_or("", |s| ui.texts.get(s.help));
    match row {
        HelpRow::Section(s) => scope_label(*s, ui),
        HelpRow::Binding { keys, command } => format!("{} {}", fit(keys, 18), describe(*command)),
        HelpRow::Unbound { command } => format!(
            "{} {}",
            fit(ui.texts.get(T::HelpUnbound), 18),
            describe(*command)
        ),
    }
}
