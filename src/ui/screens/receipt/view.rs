//! Draws the read-receipt question over the reader.

use super::ReceiptPrompt;
use crate::app::i18n::T;
use crate::app::theme::scope;
use crate::domain::text::terminal_safe;
use crate::mail::mdn::AskReason;
use crate::ui::{UiContext, bordered, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, prompt: &ReceiptPrompt, ui: &UiContext) {
    let mut lines = vec![Line::styled(
        ui.texts.fmt(
            T::ReceiptQuestion,
            &[("to", &terminal_safe(&prompt.receipt.to))],
        ),
        ui.theme.style(scope::POPUP),
    )];
    if let Some(reason) = &prompt.warning {
        let text = match reason {
            AskReason::DiffersFromReturnPath => T::ReceiptDiffers,
            AskReason::NoReturnPath => T::ReceiptNoReturnPath,
            AskReason::SeveralAddresses => T::ReceiptSeveral,
        };
        lines.push(Line::styled(
            ui.texts.get(text).to_string(),
            ui.theme.style(scope::NOTIFY_WARN),
        ));
    }
    lines.push(Line::styled(
        ui.texts.get(T::ReceiptChoices).to_string(),
        ui.theme.style(scope::KEY),
    ));
    let width = area.width.min(60);
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_width))
        .sum();
    let height = (rows as u16 + 2).min(area.height);
    // Above the reader's bottom border when there is room.
    let lift = u16::from(area.height > height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + area.height - height - lift,
        width,
        height,
    );
    clear(frame, popup, ui);
    frame.render_widget(
        Paragraph::new(lines)
            .block(bordered(ui, ui.texts.get(T::ReceiptTitle), true))
            .wrap(Wrap { trim: true }),
        popup,
    );
}
