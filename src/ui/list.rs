//! A cursor over a list that may be far taller than the screen.
//!
//! Only `selected` and `offset` are kept; views draw rows
//! `offset..offset + height`, so the cost of a frame depends on the screen
//! height, never on the list length (100k-message folders scroll as fast as
//! ten-message ones).

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    pub selected: usize,
    pub offset: usize,
}

impl ListCursor {
    /// Applies a list movement; returns true for `Open` (the caller decides what opening means).
    pub fn apply(
        &mut self,
        command: crate::app::command::ListCmd,
        len: usize,
        height: usize,
    ) -> bool {
        use crate::app::command::ListCmd;
        let page = height.max(1) as isize;
        match command {
            ListCmd::Down => self.move_by(1, len, height),
            ListCmd::Up => self.move_by(-1, len, height),
            ListCmd::PageDown => self.move_by(page, len, height),
            ListCmd::PageUp => self.move_by(-page, len, height),
            ListCmd::Top => self.to_top(),
            ListCmd::Bottom => self.to_bottom(len, height),
            ListCmd::Open => return true,
        }
        false
    }

    /// Moves by `delta` rows within `len` rows, keeping the selection inside a
    /// viewport of `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListCursor::default();
            return;
        }
        let target = self.selected as isize + delta;
        self.selected = target.clamp(0, len as isize - 1) as usize;
        self.scroll_into_view(height);
    }

    pub fn to_top(&mut self) {
        *self = ListCursor::default();
    }

    pub fn to_bottom(&mut self, len: usize, height: usize) {
        self.selected = len.saturating_sub(1);
        self.scroll_into_view(height);
    }

    /// Selects an absolute row (a mouse click), if it exists.
    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        if index < len {
            self.selected = index;
            self.scroll_into_view(height);
        }
    }

    /// Scrolls the viewport (mouse wheel) and drags the selection along when it leaves.
    pub fn scroll(&mut self, delta: isize, len: usize, height: usize) {
        let max_offset = len.saturating_sub(height.max(1));
        self.offset = (self.offset as isize + delta).clamp(0, max_offset as isize) as usize;
        if self.selected < self.offset {
            self.selected = self.offset;
        } else if height > 0 && self.selected >= self.offset + height {
            self.selected = self.offset + height - 1;
        }
    }

    /// Keeps the cursor valid after the list changed length.
    pub fn clamp(&mut self, len: usize, height: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.scroll_into_view(height);
    }

    fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewport_follows_the_selection() {
        let mut cursor = ListCursor::default();
        cursor.move_by(15, 100, 10);
        assert_eq!((cursor.selected, cursor.offset), (15, 6));
        cursor.move_by(-10, 100, 10);
        assert_eq!((cursor.selected, cursor.offset), (5, 5));
        cursor.move_by(1000, 100, 10);
        assert_eq!((cursor.selected, cursor.offset), (99, 90));
        cursor.to_top();
        assert_eq!((cursor.selected, cursor.offset), (0, 0));
    }

    #[test]
    fn wheel_scrolling_drags_the_selection() {
        let mut cursor = ListCursor::default();
        cursor.scroll(30, 100, 10);
        assert_eq!((cursor.selected, cursor.offset), (30, 30));
        cursor.scroll(-25, 100, 10);
        assert_eq!((cursor.selected, cursor.offset), (14, 5));
        cursor.scroll(1000, 100, 10);
        assert_eq!(cursor.offset, 90);
    }

    #[test]
    fn empty_and_shrinking_lists() {
        let mut cursor = ListCursor {
            selected: 50,
            offset: 45,
        };
        cursor.clamp(10, 10);
        assert_eq!((cursor.selected, cursor.offset), (9, 9));
        cursor.move_by(1, 0, 10);
        assert_eq!(cursor, ListCursor::default());
    }
}
