//! Building the thread forest: containers keyed by Message-ID, parent links
//! from references, cycle breaking, then pruning of empty containers.

use std::collections::HashMap;

use super::subject::{is_reply, normalize_subject};
use super::threadable::Threadable;

/// The forest: `roots` and `children` index into `message` (a container
/// holds an envelope index or is a placeholder for a missing parent).
#[derive(Debug, Clone)]
pub struct Forest {
    pub message: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    pub roots: Vec<usize>,
}

pub(crate) fn build<T: Threadable>(envelopes: &[T], subject_fallback: bool) -> Forest {
    let mut message: Vec<Option<usize>> = Vec::with_capacity(envelopes.len());
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(envelopes.len());
    let mut by_id: HashMap<T::Id<'_>, usize> = HashMap::with_capacity(envelopes.len());
    let mut refs = Vec::new();

    for (i, env) in envelopes.iter().enumerate() {
        // The message's own container; a duplicate or missing id gets a
        // fresh one so no message is lost.
        let own = match env.message_id() {
            Some(id) => {
                let c = container(id, &mut by_id, &mut message, &mut parent);
                if message[c].is_none() {
                    message[c] = Some(i);
                    c
                } else {
                    message.push(Some(i));
                    parent.push(None);
                    message.len() - 1
                }
            }
            None => {
                message.push(Some(i));
                parent.push(None);
                message.len() - 1
            }
        };
        refs.clear();
        refs.extend(env.references());
        if let Some(irt) = env.in_reply_to()
            && refs.last() != Some(&irt)
        {
            refs.push(irt);
        }
        let mut previous: Option<usize> = None;
        for &r in &refs {
            let c = container(r, &mut by_id, &mut message, &mut parent);
            if let Some(p) = previous
                && p != c
                && c != own
                && parent[c].is_none()
            {
                parent[c] = Some(p);
            }
            previous = Some(c);
        }
        // The message's own claim wins over links guessed from others' references.
        parent[own] = previous.filter(|p| *p != own);
    }

    break_cycles(&mut parent);
    let mut forest = prune(&message, &parent);
    if subject_fallback {
        group_by_subject(&mut forest, envelopes);
    }
    forest
}

/// The container of a Message-ID, created as a placeholder on first sight.
fn container<I: Eq + std::hash::Hash>(
    id: I,
    by_id: &mut HashMap<I, usize>,
    message: &mut Vec<Option<usize>>,
    parent: &mut Vec<Option<usize>>,
) -> usize {
    *by_id.entry(id).or_insert_with(|| {
        message.push(None);
        parent.push(None);
        message.len() - 1
    })
}

/// Every container has at most one parent, so the graph is a functional
/// graph: one walk per unvisited node finds each cycle once, O(n) in total.
fn break_cycles(parent: &mut [Option<usize>]) {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        if state[start] != UNSEEN {
            continue;
        }
        let mut node = Some(start);
        while let Some(n) = node {
            match state[n] {
                UNSEEN => {
                    state[n] = ON_PATH;
                    path.push(n);
                    node = parent[n];
                }
                ON_PATH => {
                    // `n` closes a cycle: make it a root.
                    parent[n] = None;
                    break;
                }
                _ => break,
            }
        }
        for n in path.drain(..) {
            state[n] = DONE;
        }
    }
}

/// Remove placeholders without children, replace a placeholder by its
/// children (except a root placeholder with several children, which stays
/// to hold the conversation together).
fn prune(message: &[Option<usize>], parent: &[Option<usize>]) -> Forest {
    let n = message.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (c, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(c),
            None => roots.push(c),
        }
    }
    // Breadth-first order from the roots; processing it backwards visits
    // children before parents.
    let mut order = roots.clone();
    let mut i = 0;
    while i < order.len() {
        order.extend(children[order[i]].iter().copied());
        i += 1;
    }
    // What each container contributes to its parent's child list.
    let mut lifted: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &c in order.iter().rev() {
        let mut kept: Vec<usize> = Vec::new();
        for k in std::mem::take(&mut children[c]) {
            let mut list = std::mem::take(&mut lifted[k]);
            // Smaller into larger keeps the total work O(n log n).
            if list.len() > kept.len() {
                std::mem::swap(&mut list, &mut kept);
            }
            kept.extend(list);
        }
        lifted[c] = if message[c].is_some() {
            children[c] = kept;
            vec![c]
        } else if kept.is_empty() {
            Vec::new()
        } else if parent[c].is_some() || kept.len() == 1 {
            kept
        } else {
            children[c] = kept;
            vec![c]
        };
    }
    let mut final_roots = Vec::new();
    for r in roots {
        final_roots.extend(std::mem::take(&mut lifted[r]));
    }
    Forest {
        message: message.to_vec(),
        children,
        roots: final_roots,
    }
}

/// JWZ step 5, simplified: a root whose subject is a reply joins the root
/// thread with the same normalised subject.
fn group_by_subject<T: Threadable>(forest: &mut Forest, envelopes: &[T]) {
    let subject_of = |forest: &Forest, c: usize| -> Option<usize> {
        forest.message[c].or_else(|| {
            forest
                .children
                .get(c)
                .and_then(|k| k.first())
                .and_then(|k| forest.message[*k])
        })
    };
    let mut table: HashMap<String, usize> = HashMap::new();
    let roots = std::mem::take(&mut forest.roots);
    let mut kept = Vec::with_capacity(roots.len());
    // Non-replies claim their subject first, so replies attach to the original.
    let (originals, replies): (Vec<usize>, Vec<usize>) = roots
        .into_iter()
        .partition(|&r| subject_of(forest, r).is_none_or(|m| !is_reply(envelopes[m].subject())));
    for r in originals {
        kept.push(r);
        if let Some(m) = subject_of(forest, r) {
            let key = normalize_subject(envelopes[m].subject());
            if !key.is_empty() {
                table.entry(key).or_insert(r);
            }
        }
    }
    for r in replies {
        let key = subject_of(forest, r)
            .map(|m| normalize_subject(envelopes[m].subject()))
            .unwrap_or_default();
        match table.get(&key) {
            Some(&host) if !key.is_empty() => forest.children[host].push(r),
            _ => {
                if !key.is_empty() {
                    table.insert(key, r);
                }
                kept.push(r);
            }
        }
    }
    forest.roots = kept;
}
