//! Draws the directory: the search field, the results, the detail pane.

use super::DirectoryState;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::directory::model::{Entry, MailboxKind, Origin};
use crate::domain::text::terminal_safe;
use crate::ui::format::fit;
use crate::ui::{UiContext, bordered, empty_state};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, directory: &DirectoryState, ui: &UiContext) {
    if !directory.available {
        empty_state(
            frame,
            area,
            ui,
            T::ScreenDirectory,
            T::DirectoryEmpty,
            T::DirectoryHint,
        );
        return;
    }
    let selected = directory.results.get(directory.cursor.selected);
    let split = directory.detail && area.width >= 90;
    let (list_area, detail_area) = if split {
        let left = area.width / 2;
        (
            Rect::new(area.x, area.y, left, area.height),
            Some(Rect::new(
                area.x + left,
                area.y,
                area.width - left,
                area.height,
            )),
        )
    } else if directory.detail {
        (Rect::new(area.x, area.y, 0, 0), Some(area))
    } else {
        (area, None)
    };
    if list_area.width > 0 {
        draw_list(frame, list_area, directory, ui);
    }
    if let (Some(detail_area), Some(entry)) = (detail_area, selected) {
        draw_detail(frame, detail_area, entry, ui);
    }
}

fn display_name(entry: &Entry) -> String {
    terminal_safe(
        format!(
            "{} {} {}",
            entry.civility, entry.given_name, entry.family_name
        )
        .trim(),
    )
}

fn draw_list(frame: &mut Frame, area: Rect, directory: &DirectoryState, ui: &UiContext) {
    let block = bordered(ui, ui.texts.get(T::ScreenDirectory), true);
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let field_style = if directory.typing {
        scope::LOGIN_PIN
    } else {
        scope::UI
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                ui.texts.get(T::DirectorySearchPrompt).to_string(),
                ui.theme.style(scope::KEY),
            ),
            Span::styled(terminal_safe(&directory.input), ui.theme.style(field_style)),
            Span::styled(
                if directory.typing { "▏" } else { "" },
                ui.theme.style(scope::KEY),
            ),
        ]),
        Line::styled(
            fit(
                ui.texts.get(if directory.typing {
                    T::DirectoryFiltersHint
                } else {
                    T::DirectoryWriteHint
                }),
                width,
            ),
            ui.theme.style(scope::MUTED),
        ),
    ];
    if directory.results.is_empty() {
        let text = if directory.pending.is_some() {
            T::DirectorySearching
        } else if directory.input.trim().is_empty() {
            T::DirectoryEmptyQuery
        } else {
            T::DirectoryNoResult
        };
        lines.push(Line::styled(
            ui.texts.get(text).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    let room = height.saturating_sub(lines.len());
    let start = directory.cursor.offset.min(directory.results.len());
    let filters = super::parse_query(&directory.input);
    for (i, entry) in directory.results.iter().enumerate().skip(start).take(room) {
        let is_selected = i == directory.cursor.selected && !directory.typing;
        let activity = shown_activity(entry, &filters);
        let what = activity.map_or(String::new(), |a| {
            if a.speciality.is_empty() {
                a.profession.clone()
            } else {
                format!("{} ({})", a.profession, a.speciality)
            }
        });
        let place = activity.map_or(String::new(), |a| format!("{} {}", a.postcode, a.city));
        let mail = if entry.mailboxes.is_empty() { ' ' } else { '@' };
        let online = if entry.origin == Origin::Online {
            "°"
        } else {
            " "
        };
        let name_width = (width / 3).max(12);
        let place_width = (width / 4).max(8);
        let what_width = width.saturating_sub(name_width + place_width + 5);
        let text = format!(
            "{}{mail}{online}{} {} {}",
            if is_selected { '›' } else { ' ' },
            fit(&display_name(entry), name_width),
            fit(&terminal_safe(&what), what_width),
            fit(&terminal_safe(&place), place_width)
        );
        let style = if is_selected {
            scope::SELECTION
        } else {
            scope::LIST
        };
        lines.push(Line::styled(text, ui.theme.style(style)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_detail(frame: &mut Frame, area: Rect, entry: &Entry, ui: &UiContext) {
    let block = bordered(ui, &display_name(entry), true);
    let mut lines = Vec::new();
    if !entry.idnps.is_empty() {
        lines.push(Line::styled(
            format!("IDNPS {}", terminal_safe(&entry.idnps)),
            ui.theme.style(scope::MUTED),
        ));
    }
    if entry.origin != Origin::Local {
        lines.push(Line::styled(
            ui.texts.get(T::DirectoryOnline).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    lines.push(Line::styled(
        ui.texts.get(T::DirectoryMailboxes).to_string(),
        ui.theme.style(scope::TITLE),
    ));
    if entry.mailboxes.is_empty() {
        lines.push(Line::styled(
            ui.texts.get(T::DirectoryNoMailbox).to_string(),
            ui.theme.style(scope::MUTED),
        ));
    }
    for mailbox in &entry.mailboxes {
        let kind = match mailbox.kind {
            MailboxKind::Personal => "PER",
            MailboxKind::Organisational => "ORG",
            MailboxKind::Application => "APP",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {kind} "), ui.theme.style(scope::KEY)),
            Span::styled(
                terminal_safe(&mailbox.address),
                ui.theme.style(scope::BODY_LINK),
            ),
            Span::styled(
                format!("  {}", terminal_safe(&mailbox.service)),
                ui.theme.style(scope::MUTED),
            ),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        ui.texts.get(T::DirectoryActivities).to_string(),
        ui.theme.style(scope::TITLE),
    ));
    for activity in &entry.activities {
        let what = if activity.speciality.is_empty() {
            activity.profession.clone()
        } else {
            format!("{} — {}", activity.profession, activity.speciality)
        };
        lines.push(Line::styled(
            format!("  {}", terminal_safe(&what)),
            ui.theme.style(scope::UI),
        ));
        for part in [&activity.structure, &activity.street] {
            if !part.is_empty() {
                lines.push(Line::styled(
                    format!("    {}", terminal_safe(part)),
                    ui.theme.style(scope::MUTED),
                ));
            }
        }
        lines.push(Line::styled(
            format!(
                "    {} {}",
                terminal_safe(&activity.postcode),
                terminal_safe(&activity.city)
            ),
            ui.theme.style(scope::MUTED),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The practice to show in the list: the first one matching the place filters
/// typed (`dept:`, `cp:`, `ville:`), else the first.
fn shown_activity<'a>(
    entry: &'a Entry,
    filters: &crate::directory::search::Query,
) -> Option<&'a crate::directory::model::Activity> {
    let fits = |a: &crate::directory::model::Activity| {
        filters
            .department
            .as_ref()
            .is_none_or(|d| a.department.eq_ignore_ascii_case(d))
            && filters
                .postcode
                .as_ref()
                .is_none_or(|p| a.postcode.starts_with(p.as_str()))
            && filters
                .city
                .as_ref()
                .is_none_or(|c| a.city.eq_ignore_ascii_case(c))
    };
    entry
        .activities
        .iter()
        .find(|a| fits(a))
        .or_else(|| entry.activities.first())
}
