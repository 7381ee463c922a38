//! Where things go on screen, as a pure function of the terminal size.
//!
//! `update` uses the same function as `view` to turn a mouse position into a
//! list row and to know how many rows a page holds, so both always agree.

use ratatui::layout::Rect;

/// The mailbox's folder pane is shown from this width on.
pub const FOLDER_PANE_MIN_WIDTH: u16 = 72;
const FOLDER_PANE_WIDTH: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
}

impl Areas {
    pub fn new(width: u16, height: u16) -> Areas {
        let tabs = Rect::new(0, 0, width, 1.min(height));
        let status = Rect::new(0, height.saturating_sub(1), width, 1.min(height));
        let body = Rect::new(0, 1.min(height), width, height.saturating_sub(2));
        Areas { tabs, body, status }
    }
}

/// The mailbox split into folders and messages; each pane has a border.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxAreas {
    pub folders: Option<Rect>,
    pub messages: Rect,
}

impl MailboxAreas {
    pub fn new(body: Rect) -> MailboxAreas {
        if body.width >= FOLDER_PANE_MIN_WIDTH {
            let folders = Rect::new(body.x, body.y, FOLDER_PANE_WIDTH, body.height);
            let messages = Rect::new(
                body.x + FOLDER_PANE_WIDTH,
                body.y,
                body.width - FOLDER_PANE_WIDTH,
                body.height,
            );
            MailboxAreas {
                folders: Some(folders),
                messages,
            }
        } else {
            MailboxAreas {
                folders: None,
                messages: body,
            }
        }
    }
}

/// Rows inside a bordered block.
pub fn inner_height(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(2))
}

/// The list row under a terminal cell, for a bordered list drawn in `area`.
pub fn row_at(area: Rect, column: u16, row: u16) -> Option<usize> {
    let inside = column > area.x
        && column < area.x + area.width.saturating_sub(1)
        && row > area.y
        && row < area.y + area.height.saturating_sub(1);
    inside.then(|| usize::from(row - area.y - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_pane_appears_only_when_wide_enough() {
        assert!(
            MailboxAreas::new(Areas::new(100, 30).body)
                .folders
                .is_some()
        );
        assert!(MailboxAreas::new(Areas::new(60, 20).body).folders.is_none());
    }

    #[test]
    fn clicks_map_to_rows_inside_borders_only() {
        let area = Rect::new(10, 2, 40, 12);
        assert_eq!(row_at(area, 11, 3), Some(0));
        assert_eq!(row_at(area, 20, 12), Some(9));
        assert_eq!(row_at(area, 10, 3), None, "left border");
        assert_eq!(row_at(area, 20, 2), None, "top border");
        assert_eq!(inner_height(area), 10);
    }
}
