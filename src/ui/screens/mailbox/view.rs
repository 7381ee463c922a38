//! Draws the mailbox: only the rows on screen are touched.

use super::{MailboxState, folder_label};
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::mailbox::{ListEntry, MessageRow, SortKey};
use crate::domain::text::terminal_safe;
use crate::ui::format::{fit, short_date};
use crate::ui::layout::{MailboxAreas, inner_height};
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, mailbox: &MailboxState, has_mail: bool, ui: &UiContext) {
    let areas = MailboxAreas::new(area);
    if let Some(folders) = areas.folders {
        draw_folders(frame, folders, mailbox, ui);
    }
    draw_messages(frame, areas.messages, mailbox, has_mail, ui);
}

/// The open prompt on the last line of `area` (above the status bar), with
/// the folder choices above it when moving.
pub fn draw_prompt(
    frame: &mut Frame,
    area: Rect,
    mailbox: &MailboxState,
    prompt: &super::prompt::Prompt,
    ui: &UiContext,
) {
    if area.height < 3 {
        return;
    }
    let width = usize::from(area.width);
    let line_area = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    let label = ui.texts.get(prompt.label());
    let text = if prompt.is_confirmation() {
        format!(" {label} ")
    } else {
        format!(" {label} {}█", terminal_safe(&prompt.input))
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(&text, width),
            ui.theme.style(scope::SELECTION),
        )),
        line_area,
    );
    if let super::prompt::PromptKind::MoveTo { .. } = prompt.kind {
        let choices = choice_names(mailbox, prompt, ui);
        let shown = choices.len().min(usize::from(area.height) - 2);
        let selected = prompt.selected.min(choices.len().saturating_sub(1));
        for (i, name) in choices.iter().take(shown).enumerate() {
            let y = line_area.y - (shown - i) as u16;
            let style = if i == selected {
                ui.theme.style(scope::SELECTION)
            } else {
                ui.theme.style(scope::LIST)
            };
            let marker = if i == selected { '›' } else { ' ' };
            frame.render_widget(
                Paragraph::new(Span::styled(
                    fit(&format!(" {marker} {name}"), width),
                    style,
                )),
                Rect {
                    y,
                    height: 1,
                    ..area
                },
            );
        }
    }
}

/// The folder picker's choices, named as the folder list names them.
fn choice_names(
    mailbox: &MailboxState,
    prompt: &super::prompt::Prompt,
    ui: &UiContext,
) -> Vec<String> {
    super::prompt::move_choices(mailbox, &prompt.input)
        .into_iter()
        .map(|i| folder_name(mailbox, i, ui))
        .collect()
}

fn folder_name(mailbox: &MailboxState, index: usize, ui: &UiContext) -> String {
    mailbox.folders.get(index).map_or_else(String::new, |f| {
        folder_label(f.role).map_or_else(|| f.name.clone(), |t| ui.texts.get(t).to_string())
    })
}

fn draw_folders(frame: &mut Frame, area: Rect, mailbox: &MailboxState, ui: &UiContext) {
    let block = bordered(ui, ui.texts.get(T::MailboxFolders), false);
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = mailbox
        .folders
        .iter()
        .enumerate()
        .map(|(index, folder)| {
            let count = if folder.unread > 0 {
                format!(" {}", folder.unread)
            } else {
                String::new()
            };
            let name = fit(
                &folder_name(mailbox, index, ui),
                width.saturating_sub(count.chars().count()),
            );
            let style = if index == mailbox.folder {
                ui.theme.style(scope::SELECTION)
            } else if folder.unread > 0 {
                ui.theme.style(scope::LIST_UNREAD)
            } else {
                ui.theme.style(scope::LIST)
            };
            Line::from(vec![Span::styled(name, style), Span::styled(count, style)])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn title(mailbox: &MailboxState, ui: &UiContext) -> String {
    let mut parts = vec![folder_name(mailbox, mailbox.folder, ui)];
    if let Some(search) = &mailbox.search {
        parts.push(match search.count {
            Some(count) => ui.texts.fmt(
                T::MailboxSearchTitle,
                &[
                    ("query", &terminal_safe(&search.query)),
                    ("count", &count.to_string()),
                ],
            ),
            None => ui.texts.get(T::MailboxSearching).to_string(),
        });
        return parts.join(" · ");
    }
    if let Some(folder) = mailbox.folders.get(mailbox.folder) {
        parts.push(ui.texts.fmt(
            T::MailboxCount,
            &[
                ("unread", &folder.unread.to_string()),
                ("total", &folder.total.to_string()),
            ],
        ));
    }
    parts.push(
        ui.texts
            .get(match mailbox.sort {
                SortKey::Date => T::MailboxSortDate,
                SortKey::Sender => T::MailboxSortSender,
                SortKey::Subject => T::MailboxSortSubject,
                SortKey::Size => T::MailboxSortSize,
            })
            .to_string(),
    );
    if mailbox.threaded {
        parts.push(ui.texts.get(T::MailboxThreaded).to_string());
    }
    parts.extend(filter_labels(mailbox, ui));
    if mailbox.offline {
        parts.push(ui.texts.get(T::MailboxOffline).to_string());
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

/// The active filters, each as a short label.
fn filter_labels(mailbox: &MailboxState, ui: &UiContext) -> Vec<String> {
    let f = &mailbox.filters;
    let mut labels = Vec::new();
    if f.unread {
        labels.push(ui.texts.get(T::MailboxFilterUnread).to_string());
    }
    if f.flagged {
        labels.push(ui.texts.get(T::MailboxFilterFlagged).to_string());
    }
    if f.has_attachment {
        labels.push(ui.texts.get(T::MailboxFilterAttachment).to_string());
    }
    if let Some(from) = &f.from {
        labels.push(
            ui.texts
                .fmt(T::MailboxFilterFrom, &[("value", &terminal_safe(from))]),
        );
    }
    if let Some(to) = &f.to {
        labels.push(
            ui.texts
                .fmt(T::MailboxFilterTo, &[("value", &terminal_safe(to))]),
        );
    }
    if f.date_from.is_some() || f.date_to.is_some() {
        labels.push(ui.texts.get(T::MailboxFilterDate).to_string());
    }
    labels
}

fn draw_messages(
    frame: &mut Frame,
    area: Rect,
    mailbox: &MailboxState,
    has_mail: bool,
    ui: &UiContext,
) {
    let block = bordered(ui, &title(mailbox, ui), true);
    let height = inner_height(area);
    let width = usize::from(area.width.saturating_sub(2));
    if mailbox.entries.is_empty() {
        let text = if !has_mail {
            T::MailboxNoAccount
        } else if mailbox.loading.is_some() {
            T::MailboxLoading
        } else {
            T::MailboxEmpty
        };
        let paragraph = Paragraph::new(Span::styled(
            ui.texts.get(text),
            ui.theme.style(scope::MUTED),
        ))
        .block(block);
        frame.render_widget(paragraph, area);
        return;
    }
    let start = mailbox.cursor.offset.min(mailbox.entries.len());
    let end = (start + height).min(mailbox.entries.len());
    let lines: Vec<Line> = mailbox.entries[start..end]
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let selected = start + i == mailbox.cursor.selected;
            match mailbox.rows.get(entry.id) {
                Some(row) => row_line(row, entry, selected, width, ui),
                None => placeholder_line(mailbox.rows.is_gone(entry.id), selected, ui),
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `›N!r@? 28/11 Dr Claire Lefèvre    └─RE: Compte rendu…`
fn row_line<'a>(
    row: &MessageRow,
    entry: &ListEntry,
    selected: bool,
    width: usize,
    ui: &UiContext,
) -> Line<'a> {
    let marks: String = [
        if selected { '›' } else { ' ' },
        if row.flags.deleted {
            'D'
        } else if row.flags.seen {
            ' '
        } else {
            'N'
        },
        if row.flags.flagged { '!' } else { ' ' },
        if row.flags.answered { 'r' } else { ' ' },
        if row.has_attachment { '@' } else { ' ' },
        if row.receipt_requested { '?' } else { ' ' },
    ]
    .iter()
    .collect();
    let date = fit(&short_date(row.date, ui.now, ui.utc_offset), 8);
    let from_width = (width / 4).clamp(8, 24);
    let from = fit(&crate::domain::text::terminal_safe(&row.from), from_width);
    let prefix = if entry.depth > 0 {
        format!("{}└─", "  ".repeat(usize::from(entry.depth.min(8)) - 1))
    } else {
        String::new()
    };
    let fixed = 6 + 1 + 8 + 1 + from_width + 1;
    let subject_width = width.saturating_sub(fixed + prefix.chars().count());
    let subject = fit(
        &crate::domain::text::terminal_safe(&row.subject),
        subject_width,
    );

    let base = if !row.flags.seen {
        ui.theme.style(scope::LIST_UNREAD)
    } else if row.flags.flagged {
        ui.theme.style(scope::LIST_FLAGGED)
    } else {
        ui.theme.style(scope::LIST)
    };
    let styled = |text: String, scope_name: &str| {
        let style = if selected {
            ui.theme.style(scope::SELECTION)
        } else {
            base.patch(ui.theme.style(scope_name))
        };
        Span::styled(text, style)
    };
    let text_style = if selected {
        ui.theme.style(scope::SELECTION)
    } else {
        base
    };
    Line::from(vec![
        styled(marks, scope::LIST_MARKS),
        Span::styled(" ", text_style),
        styled(date, scope::LIST_DATE),
        Span::styled(" ", text_style),
        Span::styled(from, text_style),
        Span::styled(" ", text_style),
        styled(prefix, scope::LIST_THREAD),
        Span::styled(subject, text_style),
    ])
}

/// A row not loaded yet (or gone from the source meanwhile).
fn placeholder_line<'a>(gone: bool, selected: bool, ui: &UiContext) -> Line<'a> {
    let text = if gone {
        ui.texts.get(T::MailboxRowGone)
    } else {
        "…"
    };
    let style = if selected {
        ui.theme.style(scope::SELECTION)
    } else {
        ui.theme.style(scope::MUTED)
    };
    Line::styled(
        format!("{}      {text}", if selected { '›' } else { ' ' }),
        style,
    )
}
