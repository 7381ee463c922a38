//! Display order: threads sorted by the chosen key (by date, a thread counts
//! as recent as its latest message), messages inside a thread in
//! conversation order (oldest first), and the tree prefix of each row.

use std::collections::HashMap;

use super::jwz::{Forest, build};
use super::subject::normalize_subject;
use super::threadable::Threadable;

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

pub fn build_threads<T: Threadable>(envelopes: &[T], options: &ThreadOptions) -> ThreadView {
    order_forest(
        envelopes,
        forest(envelopes, options.threaded, options.subject_fallback),
        options,
    )
}

/// The threads of `envelopes` (each its own root when not `threaded`), to
/// order once per sort key with [`order_forest`] instead of threading again.
pub fn forest<T: Threadable>(envelopes: &[T], threaded: bool, subject_fallback: bool) -> Forest {
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
pub fn order_forest<T: Threadable>(
    envelopes: &[T],
    forest: Forest,
    options: &ThreadOptions,
) -> ThreadView {
    let threads = Conversations::new(envelopes, forest);
    let roots = threads.sorted_roots(envelopes, options);
    let mut rows = Vec::with_capacity(envelopes.len());
    // For each level, whether a sibling follows (draws `│`).
    let mut open_levels: Vec<bool> = Vec::new();
    threads.walk(&roots, |c, depth, last, thread| {
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
            message: threads.message[c],
            depth,
            prefix,
            thread,
        });
    });
    ThreadView {
        rows,
        thread_count: roots.len(),
    }
}

/// A forest made ready to be ordered by any sort key: the messages of each
/// thread in conversation order (oldest first) and the latest date under
/// each container, which do not depend on the key. Ordering it costs one
/// sort of the thread roots and one walk, and draws no tree prefixes: what
/// a precomputed order needs ([`Conversations::depths`]).
pub struct Conversations {
    message: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    latest: Vec<i64>,
}

impl Conversations {
    pub fn new<T: Threadable>(envelopes: &[T], forest: Forest) -> Conversations {
        let Forest {
            message,
            mut children,
            roots,
        } = forest;
        let date = |c: usize| {
            message[c]
                .and_then(|m| envelopes[m].date())
                .unwrap_or(i64::MIN)
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
            if list.len() > 1 {
                list.sort_by_key(|&k| (date(k), message[k]));
            }
        }
        Conversations {
            message,
            children,
            roots,
            latest,
        }
    }

    /// Messages (indexes into the envelopes) in display order with their
    /// depth; placeholders are left out but still count as a level.
    pub fn depths<T: Threadable>(
        &self,
        envelopes: &[T],
        options: &ThreadOptions,
    ) -> Vec<(usize, u32)> {
        let roots = self.sorted_roots(envelopes, options);
        let mut out = Vec::with_capacity(envelopes.len());
        self.walk(&roots, |c, depth, _, _| {
            if let Some(m) = self.message[c] {
                out.push((m, depth));
            }
        });
        out
    }

    /// The message that represents a container for sorting (a placeholder
    /// is represented by its first child).
    fn representative(&self, c: usize) -> Option<usize> {
        self.message[c].or_else(|| self.children[c].first().and_then(|k| self.message[*k]))
    }

    /// The thread roots, sorted by the chosen key; ties go to the most
    /// recent thread, then to the first message.
    fn sorted_roots<T: Threadable>(&self, envelopes: &[T], options: &ThreadOptions) -> Vec<usize> {
        let envelope = |r: usize| self.representative(r).map(|m| &envelopes[m]);
        // Texts are ranked once (equal senders are many): the sort then
        // compares integers, not strings.
        let text_rank: Vec<u32> = match options.sort {
            SortKey::Sender => ranks(self.roots.iter().map(|&r| {
                envelope(r)
                    .map(|e| e.sender_name().to_lowercase())
                    .unwrap_or_default()
            })),
            SortKey::Subject => ranks(self.roots.iter().map(|&r| {
                envelope(r)
                    .map(|e| normalize_subject(e.subject()))
                    .unwrap_or_default()
            })),
            SortKey::Date | SortKey::Size => vec![0; self.roots.len()],
        };
        let mut keyed: Vec<(u32, u64, i64, Option<usize>, usize)> = self
            .roots
            .iter()
            .zip(&text_rank)
            .map(|(&r, &rank)| {
                let size = match options.sort {
                    SortKey::Size => envelope(r).map_or(0, |e| e.size()),
                    _ => 0,
                };
                (rank, size, self.latest[r], self.representative(r), r)
            })
            .collect();
        keyed.sort_unstable();
        let mut roots: Vec<usize> = keyed.into_iter().map(|k| k.4).collect();
        if options.direction == Direction::Descending {
            roots.reverse();
        }
        roots
    }

    /// Depth-first walk of the threads in `roots` order: `visit(container,
    /// depth, is last sibling, thread position)`.
    fn walk(&self, roots: &[usize], mut visit: impl FnMut(usize, u32, bool, u32)) {
        // Explicit stack: (container, depth, is last sibling).
        let mut stack: Vec<(usize, u32, bool)> = Vec::new();
        for (t, &root) in roots.iter().enumerate() {
            let thread = u32::try_from(t).unwrap_or(u32::MAX);
            stack.push((root, 0, true));
            while let Some((c, depth, last)) = stack.pop() {
                visit(c, depth, last, thread);
                let kids = &self.children[c];
                for (k, &child) in kids.iter().enumerate().rev() {
                    stack.push((child, depth.saturating_add(1), k + 1 == kids.len()));
                }
            }
        }
    }
}

/// The rank of each text among the distinct texts, in sorted order.
fn ranks(texts: impl Iterator<Item = String>) -> Vec<u32> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let per_item: Vec<u32> = texts
        .map(|t| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(t).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(&String, u32)> = ids.iter().map(|(t, id)| (t, *id)).collect();
    distinct.sort_unstable();
    let mut rank_of_id = vec![0u32; distinct.len()];
    for (rank, (_, id)) in distinct.iter().enumerate() {
        if let Some(slot) = rank_of_id.get_mut(*id as usize) {
            *slot = u32::try_from(rank).unwrap_or(u32::MAX);
        }
    }
    per_item
        .into_iter()
        .map(|id| rank_of_id.get(id as usize).copied().unwrap_or(u32::MAX))
        .collect()
}
