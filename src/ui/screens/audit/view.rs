//! Draws the audit screen's empty state.

use crate::app::i18n::T;
use crate::ui::{UiContext, empty_state};
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn draw(frame: &mut Frame, area: Rect, ui: &UiContext) {
    empty_state(frame, area, ui, T::ScreenAudit, T::AuditEmpty, T::AuditHint);
}
