//! Conversation threads for the message list: JWZ threading
//! (<https://www.jwz.org/doc/threading.html>) over `References` and
//! `In-Reply-To`, with placeholder containers for missing parents and an
//! optional subject fallback, then a precomputed display order (depth and
//! tree-drawing prefix per row). Invariants: every envelope appears in
//! exactly one row; the work is O(n log n) in the number of envelopes and
//! references (cycles are broken in one linear pass, placeholder pruning
//! merges child lists smaller-into-larger, prefixes are capped in width);
//! cycles, self-references and duplicate Message-IDs never loop or drop a
//! message.

mod jwz;
mod order;
mod subject;
mod threadable;

pub use jwz::Forest;
pub use order::{
    Conversations, Direction, SortKey, ThreadOptions, ThreadRow, ThreadView, build_threads, forest,
    order_forest,
};
pub use subject::{is_reply, normalize_subject};
pub use threadable::Threadable;
