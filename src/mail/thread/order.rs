//! Display order: threads sorted by the chosen key (by date, a thread counts
//! as recent as its latest message), messages inside a thread in
//! conversation order (oldest first), and the tree prefix of each row.

use super::jwz::{Forest, build};
use super::subject::normalize_subject;
use crate::domain::envelope::Envelope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Date,
    Sender,
    Subject,
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    Ascending,
    /// Newest (or largest, or last alphabetically) first.
    #[default]
    Descending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadOptions {
    pub sort: SortKey,
    pub direction: Direction,
    /// Group into conversations; when false every message is its own row at depth 0.
    pub threaded: bool,
    /// Also join threads whose references are lost but whose subjects match.
    pub subject_fallback: bool,
}

impl Default for ThreadOptions {
    fn default() -> Self {
        ThreadOptions {
            sort: SortKey::Date,
            direction: Direction::Descending,
            threaded: true,
            subject_fallback: false,
        }
    }
}

/// One line of the message list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    /// Index into the envelope slice; `None` for a placeholder standing for
    /// a missing parent that holds several replies together.
    pub message: Option<usize>,
    pub depth: u32,
    /// Tree drawing to put before the subject (`├─>`, `│ └─>`), empty at depth 0.
    pub prefix: String,
    /// Position of the thread in the list, shared by all its rows.
    pub thread: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadView {
    pub rows: Vec<ThreadRow>,
    pub thread_count: usize,
}

/// Deeper levels are drawn as `…` so a 100k-long reply chain stays linear.
const MAX_DRAWN_LEVELS: usize = 16;

pub fn build_threads(envelopes: &[Envelope], options: &ThreadOptions) -> ThreadView {
    order_forest(
        envelopes,
        forest(envelopes, options.threaded, options.subject_fallback),
        options,
    )
}

/// The threads of `envelopes` (each its own root when not `threaded`), to
/// order once per sort key with [`order_forest`] instead of threading again.
pub fn forest(envelopes: &[Envelope], threaded: bool, subject_fallback: bool) -> Forest {
    if threaded {
        build(envelopes, subject_fallback)
    } else {
        Forest {
            message: (0..envelopes.len()).map(Some).collect(),
            children: vec![Vec::new(); envelopes.len()],
            roots: (0..envelopes.len()).collect(),
        }
    }
}

/// The display order of a forest built by [`forest`] from the same
/// envelopes (`options.threaded` and `subject_fallback` are the forest's).
pub fn order_forest(envelopes: &[Envelope], forest: Forest, options: &ThreadOptions) -> ThreadView {
    let Forest {
        message,
        mut children,
        mut roots,
    } = forest;
    let date = |c: usize| {
        message[c]
            .and_then(|m| envelopes[m].date)
            .map_or(i64::MIN, |d| d.utc_seconds)
    };
    // Latest date per container, children before parents.
    let mut latest: Vec<i64> = (0..message.len()).map(date).collect();
    let mut order = roots.clone();
    let mut i = 0;
    while i < order.len() {
        order.extend(children[order[i]].iter().copied());
        i += 1;
    }
    for &c in order.iter().rev() {
        let best = children[c].iter().map(|k| latest[*k]).max();
        if let Some(best) = best {
            latest[c] = latest[c].max(best);
        }
    }
    // Conversation order inside threads.
    for list in &mut children {
        list.sort_by_key(|&k| (date(k), message[k]));
    }
    // The message that represents a container for sorting (a placeholder
    // is represented by its first child).
    let representative =
        |c: usize| message[c].or_else(|| children[c].first().and_then(|k| message[*k]));
    roots.sort_by_cached_key(|&r| {
        let env = representative(r).map(|m| &envelopes[m]);
        let text = match options.sort {
            SortKey::Sender => env
                .and_then(Envelope::sender)
                .map(|a| a.display_name().to_lowercase())
                .unwrap_or_default(),
            SortKey::Subject => env
                .map(|e| normalize_subject(&e.subject))
                .unwrap_or_default(),
            SortKey::Date | SortKey::Size => String::new(),
        };
        let size = match options.sort {
            SortKey::Size => env.map_or(0, |e| e.size),
            _ => 0,
        };
        (text, size, latest[r], representative(r))
    });
    if options.direction == Direction::Descending {
        roots.reverse();
    }

    let mut rows = Vec::with_capacity(envelopes.len());
    // Depth-first walk with an explicit stack: (container, depth, is last sibling).
    let mut stack: Vec<(usize, u32, bool)> = Vec::new();
    // For each level, whether a sibling follows (draws `│`).
    let mut open_levels: Vec<bool> = Vec::new();
    for (t, &root) in roots.iter().enumerate() {
        stack.push((root, 0, true));
        while let Some((c, depth, last)) = stack.pop() {
            let d = depth as usize;
            open_levels.truncate(d);
            let prefix = if d == 0 {
                String::new()
            } else {
                let mut p = String::new();
                let first_drawn = (d - 1).saturating_sub(MAX_DRAWN_LEVELS);
                if first_drawn > 0 {
                    p.push('…');
                }
                for open in open_levels.iter().take(d).skip(1 + first_drawn) {
                    p.push_str(if *open { "│ " } else { "  " });
                }
                p.push_str(if last { "└─>" } else { "├─>" });
                p
            };
            open_levels.push(!last);
            rows.push(ThreadRow {
                message: message[c],
                depth,
                prefix,
                thread: u32::try_from(t).unwrap_or(u32::MAX),
            });
            let kids = &children[c];
            for (k, &child) in kids.iter().enumerate().rev() {
                stack.push((child, depth.saturating_add(1), k + 1 == kids.len()));
            }
        }
    }
    ThreadView {
        rows,
        thread_count: roots.len(),
    }
}
