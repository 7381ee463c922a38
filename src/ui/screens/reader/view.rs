//! Draws the open message: the rendered text (headers, body, receipts,
//! attachments, links), with a notice when a read receipt is asked for.

use super::ReaderState;
use super::document::ReaderDoc;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::{Emphasis, terminal_safe};
use crate::ui::format::{fit, size};
use crate::ui::{UiContext, bordered};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, reader: &ReaderState, ui: &UiContext) {
    let Some(message) = &reader.message else {
        let text = if reader.error.is_some() {
            T::ReaderFailed
        } else if reader.requested.is_some() {
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
    if let Some(xdm) = &reader.xdm {
        draw_xdm(frame, area, xdm, ui);
        return;
    }
    let block = bordered(ui, &terminal_safe(&message.subject), true);
    let width = usize::from(area.width.saturating_sub(2));
    let height = usize::from(area.height.saturating_sub(2));
    let mut lines = message_lines(message, width, ui);
    lines.extend(attachment_lines(message, reader.attachment, width, ui));
    let scroll = reader.scroll.min(lines.len().saturating_sub(height));
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible).block(block), area);
}

/// The message as terminal lines of at most `width` columns.
pub fn message_lines<'a>(message: &ReaderDoc, width: usize, ui: &UiContext) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if message.receipt_requested {
        lines.push(Line::styled(
            ui.texts.get(T::ReaderReceiptRequested).to_string(),
            ui.theme.style(scope::NOTIFY_WARN),
        ));
    }
    for line in message.body.layout(width) {
        for pieces in super::wrap::wrap(&line, width) {
            let spans: Vec<Span> = pieces
                .into_iter()
                .map(|(text, emphasis)| {
                    Span::styled(text, ui.theme.style(emphasis_scope(emphasis)))
                })
                .collect();
            lines.push(Line::from(spans));
        }
    }
    lines
}

/// The attachment chooser under the text: the highlighted one marked, and
/// what the keys do with it.
fn attachment_lines<'a>(
    message: &ReaderDoc,
    selected: usize,
    width: usize,
    ui: &UiContext,
) -> Vec<Line<'a>> {
    if message.attachments.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        Line::default(),
        Line::styled(
            fit(ui.texts.get(T::ReaderAttachmentHint), width),
            ui.theme.style(scope::MUTED),
        ),
    ];
    for (i, a) in message.attachments.iter().enumerate() {
        let marker = if i == selected { '›' } else { ' ' };
        let xdm = if a.is_xdm { " [IHE XDM]" } else { "" };
        let text = format!(
            "{marker} {}  {}{xdm}  {}",
            terminal_safe(&a.name),
            terminal_safe(&a.mime_type),
            size(a.size as u64)
        );
        let style = if i == selected {
            ui.theme.style(scope::SELECTION)
        } else {
            ui.theme.style(scope::ATTACHMENT)
        };
        lines.push(Line::styled(fit(&text, width), style));
    }
    lines
}

/// The documents of an XDM package: title, patient, author, type, date.
fn draw_xdm(frame: &mut Frame, area: Rect, xdm: &super::XdmView, ui: &UiContext) {
    let block = bordered(ui, ui.texts.get(T::ReaderXdmTitle), true);
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = Vec::new();
    match &xdm.listing {
        None => lines.push(Line::styled(
            ui.texts.get(T::ReaderXdmLoading).to_string(),
            ui.theme.style(scope::MUTED),
        )),
        Some(listing) if listing.documents.is_empty() => lines.push(Line::styled(
            ui.texts.get(T::ReaderXdmEmpty).to_string(),
            ui.theme.style(scope::MUTED),
        )),
        Some(listing) => {
            lines.push(Line::styled(
                fit(ui.texts.get(T::ReaderXdmHint), width),
                ui.theme.style(scope::MUTED),
            ));
            for (i, doc) in listing.documents.iter().enumerate() {
                let selected = i == xdm.selected;
                let style = if selected {
                    ui.theme.style(scope::SELECTION)
                } else {
                    ui.theme.style(scope::TITLE)
                };
                let marker = if selected { '›' } else { ' ' };
                lines.push(Line::default());
                lines.push(Line::styled(
                    fit(&format!("{marker} {}", terminal_safe(&doc.title)), width),
                    style,
                ));
                for (label, value) in [
                    (T::ReaderXdmPatient, &doc.patient),
                    (T::ReaderXdmAuthor, &doc.author),
                    (T::ReaderXdmType, &doc.kind),
                    (T::ReaderXdmDate, &doc.date),
                ] {
                    let label = format!("    {:<8} ", ui.texts.get(label));
                    let value = fit(
                        &terminal_safe(value),
                        width.saturating_sub(label.chars().count()),
                    );
                    lines.push(Line::from(vec![
                        Span::styled(label, ui.theme.style(scope::HEADER_LABEL)),
                        Span::styled(value, ui.theme.style(scope::HEADER_VALUE)),
                    ]));
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
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
