//! Draws the open message: header block, body, attachment list.

use super::ReaderState;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::mailbox::OpenedMessage;
use crate::domain::text::{Emphasis, terminal_safe};
use crate::ui::format::{long_date, size};
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, reader: &ReaderState, ui: &UiContext) {
    let Some(message) = &reader.message else {
        let text = if reader.requested.is_some() {
            T::ReaderLoading
        } else {
            T::ReaderNoMessage
        };
        let block = bordered(ui, ui.texts.get(T::ScreenReader), true);
        let paragraph = Paragraph::new(Span::styled(
            ui.texts.get(text),
            ui.theme.style(scope::MUTED),
        ))
        .block(block);
        frame.render_widget(paragraph, area);
        return;
    };
    let block = bordered(ui, &terminal_safe(&message.subject), true);
    let width = usize::from(area.width.saturating_sub(2));
    let lines = message_lines(message, reader.full_headers, width, ui);
    let height = usize::from(area.height.saturating_sub(2));
    let scroll = reader.scroll.min(lines.len().saturating_sub(height));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0));
    frame.render_widget(paragraph, area);
}

fn header<'a>(label: &str, value: &str, ui: &UiContext) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<8} "), ui.theme.style(scope::HEADER_LABEL)),
        Span::styled(terminal_safe(value), ui.theme.style(scope::HEADER_VALUE)),
    ])
}

/// The message as lines (also used by tests and `--raw` style output).
pub fn message_lines<'a>(
    message: &OpenedMessage,
    full_headers: bool,
    width: usize,
    ui: &UiContext,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if full_headers {
        for (name, value) in &message.all_headers {
            lines.push(header(name, value, ui));
        }
    } else {
        lines.push(header(ui.texts.get(T::ReaderFrom), &message.from, ui));
        lines.push(header(ui.texts.get(T::ReaderTo), &message.to, ui));
        if !message.cc.is_empty() {
            lines.push(header(ui.texts.get(T::ReaderCc), &message.cc, ui));
        }
        lines.push(header(
            ui.texts.get(T::ReaderDate),
            &long_date(message.date, ui.utc_offset),
            ui,
        ));
        lines.push(header(ui.texts.get(T::ReaderSubject), &message.subject, ui));
    }
    if message.receipt_requested {
        lines.push(Line::styled(
            ui.texts.get(T::ReaderReceiptRequested).to_string(),
            ui.theme.style(scope::NOTIFY_WARN),
        ));
    }
    lines.push(Line::styled(
        "─".repeat(width),
        ui.theme.style(scope::BORDER),
    ));
    for line in message.body.layout(width) {
        let spans: Vec<Span> = line
            .spans
            .iter()
            .map(|span| {
                Span::styled(
                    span.text().to_string(),
                    ui.theme.style(emphasis_scope(span.emphasis)),
                )
            })
            .collect();
        lines.push(Line::from(spans));
    }
    if !message.attachments.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(
            ui.texts.get(T::ReaderAttachments).to_string(),
            ui.theme.style(scope::TITLE),
        ));
        for attachment in &message.attachments {
            lines.push(Line::styled(
                format!(
                    "  {}  ({}, {})",
                    terminal_safe(&attachment.name),
                    terminal_safe(&attachment.mime_type),
                    size(attachment.size)
                ),
                ui.theme.style(scope::ATTACHMENT),
            ));
        }
    }
    lines
}

pub fn emphasis_scope(emphasis: Emphasis) -> &'static str {
    match emphasis {
        Emphasis::Plain => scope::BODY,
        Emphasis::Strong => scope::BODY_STRONG,
        Emphasis::Italic | Emphasis::Underline => scope::BODY_STRONG,
        Emphasis::Heading(_) => scope::BODY_HEADING,
        Emphasis::Quote(_) => scope::BODY_QUOTE,
        Emphasis::Link => scope::BODY_LINK,
        Emphasis::Code => scope::BODY_CODE,
        Emphasis::Muted => scope::MUTED,
        Emphasis::Warning => scope::BODY_WARNING,
    }
}
