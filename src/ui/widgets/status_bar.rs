//! The bottom line: profile, account, connectivity, the newest notification,
//! the progress gauge of background work, and a help hint.

use crate::app::i18n::T;
use crate::app::state::{Connectivity, State};
use crate::app::theme::scope;
use crate::ui::UiContext;
use crate::ui::format::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, ui: &UiContext) {
    let base = ui.theme.style(scope::STATUS);
    let session = &state.session;
    let (connectivity, conn_scope) = match session.connectivity {
        // The mail source answers from its cache: offline, whatever the session thought.
        _ if state.mailbox.offline => (T::StatusOffline, scope::STATUS_OFFLINE),
        Connectivity::Online => (T::StatusOnline, scope::STATUS_ONLINE),
        Connectivity::Offline => (T::StatusOffline, scope::STATUS_OFFLINE),
        Connectivity::Demo => (T::StatusDemo, scope::STATUS_OFFLINE),
    };
    let profile = session
        .profile
        .clone()
        .unwrap_or_else(|| ui.texts.get(T::StatusNoProfile).to_string());
    let account = session
        .account
        .clone()
        .unwrap_or_else(|| ui.texts.get(T::StatusNoAccount).to_string());
    // Identity gets at most a third of the line, so connectivity,
    // notifications and the help hint stay visible on narrow terminals.
    let budget = usize::from(area.width) / 3;
    let profile = fit(&profile, profile.width().min(budget))
        .trim_end()
        .to_string();
    let rest = budget.saturating_sub(profile.width()).max(8);
    let account = fit(&account, account.width().min(rest))
        .trim_end()
        .to_string();
    let mut spans = vec![
        Span::styled(format!(" {profile} │ {account} │ "), base),
        Span::styled(
            ui.texts.get(connectivity).to_string(),
            base.patch(ui.theme.style(conn_scope)),
        ),
        Span::styled(" │ ", base),
    ];
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let hint = format!(" {} ", ui.texts.get(T::StatusHelpHint));
    let mut middle_width = usize::from(area.width).saturating_sub(used + hint.width());
    if let Some(progress) = &state.progress {
        let gauge = gauge(progress.done, progress.total, 10);
        let text = format!("{} {gauge} ", ui.texts.get(progress.label));
        middle_width = middle_width.saturating_sub(text.width());
        spans.push(Span::styled(
            text,
            base.patch(ui.theme.style(scope::STATUS_GAUGE)),
        ));
    }
    spans.push(Span::styled(" ".repeat(middle_width), base));
    spans.push(Span::styled(hint, base.patch(ui.theme.style(scope::MUTED))));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// `[████░░░░░░]` for done/total.
pub fn gauge(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        ((done.min(total) as u128 * width as u128) / total as u128) as usize
    };
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

#[cfg(test)]
mod tests {
    #[test]
    fn gauge_fills_proportionally() {
        assert_eq!(super::gauge(0, 10, 4), "[░░░░]");
        assert_eq!(super::gauge(5, 10, 4), "[██░░]");
        assert_eq!(super::gauge(99, 10, 4), "[████]");
        assert_eq!(super::gauge(1, 0, 4), "[░░░░]");
    }
}
