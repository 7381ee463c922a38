//! Draws the composer: header fields, attachments, body, signature, and
//! the popups (completion, path prompt, trust warning, password).

use super::{ComposeState, Dialog, Field, text_of};
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::ui::format::{fit, size};
use crate::ui::{UiContext, bordered, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui_textarea::TextArea;

const LABEL_WIDTH: u16 = 10;
/// Attachment lines shown before "…".
const ATTACHMENT_ROWS: usize = 3;

pub fn draw(frame: &mut Frame, area: Rect, compose: &ComposeState, ui: &UiContext) {
    let subject = text_of(&compose.subject);
    let title = if subject.trim().is_empty() {
        ui.texts.get(T::ComposeEmpty).to_string()
    } else {
        terminal_safe(&subject)
    };
    let block = bordered(ui, &title, true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 4 || inner.width < LABEL_WIDTH + 4 {
        return;
    }
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    let row = |y: u16| Rect::new(inner.x, y, inner.width, 1);

    // From, with the toggles.
    let from = compose.account().map_or_else(
        || ui.texts.get(T::ComposeNoAccount).to_string(),
        |a| match &a.name {
            Some(n) => format!("{n} <{}>", a.address),
            None => a.address.clone(),
        },
    );
    let mut marks = String::new();
    if compose.receipt {
        marks.push_str(&format!(" [{}]", ui.texts.get(T::ComposeReceiptMark)));
    }
    if !compose.mss.codecda.is_empty() {
        marks.push_str(" [XDM]");
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            label(ui, T::ComposeFrom, false),
            Span::styled(
                fit(
                    &terminal_safe(&from),
                    usize::from(inner.width - LABEL_WIDTH).saturating_sub(marks.chars().count()),
                ),
                ui.theme.style(scope::HEADER_VALUE),
            ),
            Span::styled(marks, ui.theme.style(scope::KEY)),
        ])),
        row(y),
    );
    y += 1;

    let mut field_rows = Vec::new();
    for (field, name) in [
        (Field::To, T::ComposeTo),
        (Field::Cc, T::ComposeCc),
        (Field::Bcc, T::ComposeBcc),
        (Field::Subject, T::ComposeSubject),
    ] {
        if y >= bottom {
            break;
        }
        let focused = compose.focus == field;
        frame.render_widget(
            Paragraph::new(Line::from(label(ui, name, focused))),
            Rect::new(inner.x, y, LABEL_WIDTH, 1),
        );
        if let Some(area) = compose.field(field) {
            let value = Rect::new(inner.x + LABEL_WIDTH, y, inner.width - LABEL_WIDTH, 1);
            frame.render_widget(&styled(area, focused, ui), value);
        }
        field_rows.push((field, y));
        y += 1;
    }

    // Attachments.
    if y < bottom {
        let focused = compose.focus == Field::Attachments;
        let mut lines = Vec::new();
        if compose.attachments.is_empty() {
            lines.push(Line::from(vec![
                label(ui, T::ComposeAttachments, focused),
                Span::styled(
                    ui.texts.get(T::ComposeNoAttachment).to_string(),
                    ui.theme.style(scope::MUTED),
                ),
            ]));
        }
        for (i, a) in compose.attachments.iter().enumerate().take(ATTACHMENT_ROWS) {
            let head = if i == 0 {
                label(ui, T::ComposeAttachments, focused)
            } else {
                Span::raw(" ".repeat(usize::from(LABEL_WIDTH)))
            };
            let style = if focused && i == compose.attachment_cursor {
                scope::SELECTION
            } else {
                scope::ATTACHMENT
            };
            let text = format!(
                "{} ({})",
                terminal_safe(&a.name),
                size(a.bytes.len() as u64)
            );
            lines.push(Line::from(vec![
                head,
                Span::styled(
                    fit(&text, usize::from(inner.width - LABEL_WIDTH)),
                    ui.theme.style(style),
                ),
            ]));
        }
        if compose.attachments.len() > ATTACHMENT_ROWS {
            lines.push(Line::styled(
                format!(
                    "{}… +{}",
                    " ".repeat(usize::from(LABEL_WIDTH)),
                    compose.attachments.len() - ATTACHMENT_ROWS
                ),
                ui.theme.style(scope::MUTED),
            ));
        }
        let height = (lines.len() as u16).min(bottom - y);
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(inner.x, y, inner.width, height),
        );
        y += height;
    }

    // Separator, body, signature, hint.
    if y < bottom {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "─".repeat(usize::from(inner.width)),
                ui.theme.style(scope::BORDER),
            )),
            row(y),
        );
        y += 1;
    }
    let signature: Vec<String> = compose
        .account()
        .and_then(|a| a.signature.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            std::iter::once("-- ".to_string())
                .chain(s.lines().map(terminal_safe))
                .collect()
        })
        .unwrap_or_default();
    let hint_rows = 1u16;
    let sig_rows = (signature.len() as u16).min(2);
    let body_rows = bottom
        .saturating_sub(y)
        .saturating_sub(hint_rows + sig_rows)
        .max(1)
        .min(bottom.saturating_sub(y));
    if body_rows > 0 {
        let body_area = Rect::new(inner.x, y, inner.width, body_rows);
        if compose.body.is_empty() && compose.focus != Field::Body {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    ui.texts.get(T::ComposeEditorHint).to_string(),
                    ui.theme.style(scope::MUTED),
                ))
                .wrap(Wrap { trim: false }),
                body_area,
            );
        } else {
            frame.render_widget(
                &styled(&compose.body, compose.focus == Field::Body, ui),
                body_area,
            );
        }
        y += body_rows;
    }
    for line in signature.iter().take(usize::from(sig_rows)) {
        if y >= bottom {
            break;
        }
        frame.render_widget(
            Paragraph::new(Line::styled(
                fit(line, usize::from(inner.width)),
                ui.theme.style(scope::MUTED),
            )),
            row(y),
        );
        y += 1;
    }
    if y < bottom {
        frame.render_widget(
            Paragraph::new(Line::styled(
                fit(ui.texts.get(T::ComposeKeysHint), usize::from(inner.width)),
                ui.theme.style(scope::MUTED),
            )),
            row(bottom - 1),
        );
    }

    if let Some(completion) = &compose.completion
        && let Some((_, fy)) = field_rows.iter().find(|(f, _)| *f == compose.focus)
    {
        draw_completion(frame, inner, *fy + 1, completion, ui);
    }
    if let Some(prompt) = &compose.path_prompt {
        draw_path_prompt(frame, inner, prompt, ui);
    }
    if let Some(dialog) = &compose.dialog {
        draw_dialog(frame, inner, dialog, ui);
    }
}

fn label<'a>(ui: &UiContext, text: T, focused: bool) -> Span<'a> {
    let style = if focused {
        scope::KEY
    } else {
        scope::HEADER_LABEL
    };
    let word = fit(ui.texts.get(text), usize::from(LABEL_WIDTH - 2));
    Span::styled(
        format!("{word:<width$}  ", width = usize::from(LABEL_WIDTH - 2)),
        ui.theme.style(style),
    )
}

/// A field as drawn: the cursor only where the focus is.
fn styled(area: &TextArea<'static>, focused: bool, ui: &UiContext) -> TextArea<'static> {
    let mut area = area.clone();
    area.set_cursor_line_style(Style::default());
    area.set_style(ui.theme.style(scope::HEADER_VALUE));
    if focused {
        area.set_cursor_style(ui.theme.style(scope::SELECTION));
    } else {
        area.set_cursor_style(ui.theme.style(scope::HEADER_VALUE));
    }
    area
}

fn draw_completion(
    frame: &mut Frame,
    inner: Rect,
    y: u16,
    completion: &super::Completion,
    ui: &UiContext,
) {
    let rows = completion.items.len().min(6) as u16;
    let width = inner.width.saturating_sub(LABEL_WIDTH).min(56);
    let height = (rows + 2).min(inner.y + inner.height - y.min(inner.y + inner.height));
    if height < 3 {
        return;
    }
    let area = Rect::new(inner.x + LABEL_WIDTH, y, width, height);
    clear(frame, area, ui);
    let text_width = usize::from(width.saturating_sub(2));
    let start = completion.selected.saturating_sub(usize::from(rows) - 1);
    let lines: Vec<Line> = completion
        .items
        .iter()
        .enumerate()
        .skip(start)
        .take(usize::from(rows))
        .map(|(i, s)| {
            let name = s.name.as_deref().unwrap_or("");
            let text = if s.detail.is_empty() {
                format!("{name} <{}>", s.address)
            } else {
                format!("{name} <{}> — {}", s.address, s.detail)
            };
            let style = if i == completion.selected {
                scope::SELECTION
            } else {
                scope::POPUP
            };
            Line::styled(
                fit(terminal_safe(&text).trim(), text_width),
                ui.theme.style(style),
            )
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(bordered(ui, ui.texts.get(T::ComposeSuggestions), true)),
        area,
    );
}

fn draw_path_prompt(frame: &mut Frame, inner: Rect, prompt: &super::PathPrompt, ui: &UiContext) {
    let rows = prompt.suggestions.len().min(5) as u16;
    let height = (rows + 4).min(inner.height);
    let area = Rect::new(
        inner.x,
        inner.y + inner.height - height,
        inner.width,
        height,
    );
    clear(frame, area, ui);
    let title = if prompt.xdm {
        T::ComposeAttachXdmPrompt
    } else {
        T::ComposeAttachPrompt
    };
    let block = bordered(ui, ui.texts.get(title), true);
    let body = block.inner(area);
    frame.render_widget(block, area);
    if body.height == 0 {
        return;
    }
    frame.render_widget(
        &styled(&prompt.input, true, ui),
        Rect::new(body.x, body.y, body.width, 1),
    );
    let mut lines: Vec<Line> = prompt
        .suggestions
        .iter()
        .take(usize::from(rows))
        .map(|s| {
            Line::styled(
                fit(&terminal_safe(s), usize::from(body.width)),
                ui.theme.style(scope::POPUP),
            )
        })
        .collect();
    lines.push(Line::styled(
        fit(ui.texts.get(T::ComposeAttachHint), usize::from(body.width)),
        ui.theme.style(scope::MUTED),
    ));
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(
            body.x,
            body.y + 1,
            body.width,
            body.height.saturating_sub(1),
        ),
    );
}

fn draw_dialog(frame: &mut Frame, inner: Rect, dialog: &Dialog, ui: &UiContext) {
    let t = |k| ui.texts.get(k).to_string();
    let (title, lines, warn): (T, Vec<String>, bool) = match dialog {
        Dialog::Checking { .. } => (T::ComposeSending, vec![t(T::ComposeCheckingTrust)], false),
        Dialog::Queueing => (T::ComposeSending, vec![t(T::ComposeQueueing)], false),
        Dialog::TrustWarning { outside } => {
            let mut lines = vec![t(T::ComposeTrustIntro)];
            lines.extend(outside.iter().take(4).map(|a| format!("  • {a}")));
            if outside.len() > 4 {
                lines.push(format!("  … +{}", outside.len() - 4));
            }
            lines.push(String::new());
            lines.push(t(T::ComposeTrustChoices));
            (T::ComposeTrustTitle, lines, true)
        }
        Dialog::Password { password } => (
            T::ComposePasswordTitle,
            vec![
                t(T::ComposePasswordIntro),
                String::new(),
                format!("    {}", password.0.as_str()),
                String::new(),
                t(T::ComposePasswordAdvice),
                t(T::ComposePasswordClose),
            ],
            true,
        ),
    };
    let width = inner.width.min(64);
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let wrapped: usize = lines
        .iter()
        .map(|l| l.chars().count().max(1).div_ceil(text_width))
        .sum();
    let height = (wrapped as u16 + 2).min(inner.height);
    let area = Rect::new(
        inner.x + (inner.width - width) / 2,
        inner.y + (inner.height - height) / 2,
        width,
        height,
    );
    clear(frame, area, ui);
    let style = if warn {
        scope::NOTIFY_WARN
    } else {
        scope::POPUP
    };
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::styled(terminal_safe(&l), ui.theme.style(scope::POPUP)))
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(bordered(ui, ui.texts.get(title), true).border_style(ui.theme.style(style)))
            .wrap(Wrap { trim: false }),
        area,
    );
}
