//! Draws the shared record: patient context, emergency banner, document
//! table or the open document, and the INS / reason field.

use super::{Field, RecordsState};
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::records::backend::DocumentEntry;
use crate::ui::format::fit;
use crate::ui::screens::reader::view::emphasis_scope;
use crate::ui::{UiContext, bordered, empty_state};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, records: &RecordsState, ui: &UiContext) {
    if !records.available {
        empty_state(
            frame,
            area,
            ui,
            T::ScreenRecords,
            T::RecordsUnavailable,
            T::RecordsHint,
        );
        return;
    }
    let title = records.viewer.as_ref().map_or_else(
        || ui.texts.get(T::ScreenRecords).to_string(),
        |v| terminal_safe(&v.title),
    );
    let block = bordered(ui, &title, true);
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    match &records.patient {
        Some(ins) => lines.push(Line::styled(
            ui.texts
                .fmt(T::RecordsPatient, &[("ins", ins.number().as_str())]),
            ui.theme.style(scope::TITLE),
        )),
        None => {
            lines.push(Line::styled(
                ui.texts.get(T::RecordsEmpty).to_string(),
                ui.theme.style(scope::UI),
            ));
            if let Some(ins) = &records.demo_ins {
                lines.push(Line::styled(
                    ui.texts.fmt(T::RecordsDemoHint, &[("ins", ins)]),
                    ui.theme.style(scope::MUTED),
                ));
            } else {
                lines.push(Line::styled(
                    ui.texts.get(T::RecordsHint).to_string(),
                    ui.theme.style(scope::MUTED),
                ));
            }
        }
    }
    if records.offline {
        lines.push(Line::styled(
            ui.texts.get(T::RecordsOffline).to_string(),
            ui.theme.style(scope::NOTIFY_ERROR),
        ));
    }
    if let Some(reason) = &records.emergency {
        lines.push(Line::styled(
            ui.texts.fmt(
                T::RecordsBreakGlass,
                &[("reason", &terminal_safe(reason.justification()))],
            ),
            ui.theme.style(scope::NOTIFY_ERROR),
        ));
    }
    if let Some(input) = &records.input {
        let prompt = match input.field {
            Field::Ins => T::RecordsInsPrompt,
            Field::EmergencyReason => T::RecordsReasonPrompt,
        };
        lines.push(Line::from(vec![
            Span::styled(ui.texts.get(prompt).to_string(), ui.theme.style(scope::KEY)),
            Span::styled(terminal_safe(&input.text), ui.theme.style(scope::LOGIN_PIN)),
            Span::styled("▏", ui.theme.style(scope::KEY)),
        ]));
    }
    if let Some(viewer) = &records.viewer {
        let body = viewer.text.layout(width);
        let room = height.saturating_sub(lines.len());
        let scroll = viewer.scroll.min(body.len().saturating_sub(room));
        for line in body.into_iter().skip(scroll).take(room) {
            let spans: Vec<Span> = line
                .spans
                .iter()
                .map(|s| {
                    Span::styled(
                        s.text().to_string(),
                        ui.theme.style(emphasis_scope(s.emphasis)),
                    )
                })
                .collect();
            lines.push(Line::from(spans));
        }
    } else if records.patient.is_some() {
        if records.loading.is_some() {
            lines.push(Line::styled(
                ui.texts.get(T::RecordsLoading).to_string(),
                ui.theme.style(scope::MUTED),
            ));
        } else if records.documents.is_empty() {
            lines.push(Line::styled(
                ui.texts.get(T::RecordsNoDocuments).to_string(),
                ui.theme.style(scope::MUTED),
            ));
        } else {
            lines.push(Line::styled(
                columns(
                    width,
                    [
                        ui.texts.get(T::RecordsColDate),
                        ui.texts.get(T::RecordsColType),
                        ui.texts.get(T::RecordsColAuthor),
                        ui.texts.get(T::RecordsColFacility),
                    ],
                ),
                ui.theme.style(scope::HEADER_LABEL),
            ));
            let room = height.saturating_sub(lines.len());
            let start = records.cursor.offset.min(records.documents.len());
            for (i, entry) in records.documents.iter().enumerate().skip(start).take(room) {
                let style = if i == records.cursor.selected {
                    scope::SELECTION
                } else {
                    scope::LIST
                };
                let marker = if i == records.cursor.selected {
                    "›"
                } else {
                    " "
                };
                lines.push(Line::styled(
                    format!("{marker}{}", row(entry, width.saturating_sub(1))),
                    ui.theme.style(style),
                ));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn columns(width: usize, cells: [&str; 4]) -> String {
    let date = 10;
    let rest = width.saturating_sub(date + 4);
    let ty = rest * 2 / 5;
    let author = rest / 4;
    let facility = rest.saturating_sub(ty + author);
    format!(
        " {} {} {} {}",
        fit(cells[0], date),
        fit(cells[1], ty),
        fit(cells[2], author),
        fit(cells[3], facility)
    )
}

fn row(entry: &DocumentEntry, width: usize) -> String {
    let date = entry.date.as_deref().map(display_date).unwrap_or_default();
    let kind = entry
        .title
        .clone()
        .or_else(|| entry.type_code.as_ref().and_then(|c| c.display.clone()))
        .unwrap_or_default();
    let cells = [
        terminal_safe(&date),
        terminal_safe(&kind),
        terminal_safe(&entry.authors.join(", ")),
        terminal_safe(entry.facility.as_deref().unwrap_or("")),
    ];
    columns(width + 1, [&cells[0], &cells[1], &cells[2], &cells[3]])
        .trim_start()
        .to_string()
}

/// `2026-11-21T07:30:00+01:00` (FHIR) or `20261121073000` (HL7 TS) as `21/11/2026`.
pub fn display_date(text: &str) -> String {
    let digits: String = text
        .chars()
        .take_while(|c| *c != 'T')
        .filter(char::is_ascii_digit)
        .collect();
    match (digits.get(0..4), digits.get(4..6), digits.get(6..8)) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => text.chars().take(10).collect(),
    }
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn both_date_forms_display_the_same() {
        assert_eq!(
            super::display_date("2026-11-21T07:30:00+01:00"),
            "21/11/2026"
        );
        assert_eq!(super::display_date("20261121073000"), "21/11/2026");
        assert_eq!(super::display_date("2026"), "2026");
    }
}
