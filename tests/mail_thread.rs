//! JWZ threading: missing parents, arrival order, cycles, duplicates, subject
//! fallback, sort orders, prefixes, and a 100k-message correctness check.

use std::collections::HashMap;

use cachet::domain::envelope::{Address, Envelope, MailDate};
use cachet::mail::thread::{Direction, SortKey, ThreadOptions, ThreadView, build_threads};

fn env(id: &str, refs: &[&str], date: i64, subject: &str) -> Envelope {
    Envelope {
        message_id: (!id.is_empty()).then(|| id.to_string()),
        in_reply_to: refs.last().map(|r| r.to_string()),
        references: refs.iter().map(|r| r.to_string()).collect(),
        date: Some(MailDate {
            utc_seconds: date,
            offset_minutes: 0,
        }),
        subject: subject.to_string(),
        ..Envelope::default()
    }
}

/// `(message id or "?", depth)` per row.
fn shape(view: &ThreadView, envs: &[Envelope]) -> Vec<(String, u32)> {
    view.rows
        .iter()
        .map(|r| {
            let id = r
                .message
                .map(|m| {
                    envs[m]
                        .message_id
                        .clone()
                        .unwrap_or_else(|| format!("#{m}"))
                })
                .unwrap_or_else(|| "?".into());
            (id, r.depth)
        })
        .collect()
}

fn owned(rows: &[(&str, u32)]) -> Vec<(String, u32)> {
    rows.iter().map(|(s, d)| (s.to_string(), *d)).collect()
}

fn assert_each_message_once(view: &ThreadView, n: usize) {
    let mut seen = vec![0u32; n];
    for row in &view.rows {
        if let Some(m) = row.message {
            seen[m] += 1;
        }
    }
    assert!(
        seen.iter().all(|c| *c == 1),
        "some message missing or repeated"
    );
}

#[test]
fn replies_nest_under_their_parent_with_prefixes() {
    let envs = vec![
        env("a", &[], 100, "Bilan"),
        env("b", &["a"], 200, "Re: Bilan"),
        env("c", &["a", "b"], 300, "Re: Bilan"),
        env("d", &["a"], 250, "Re: Bilan"),
    ];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_eq!(
        shape(&view, &envs),
        owned(&[("a", 0), ("b", 1), ("c", 2), ("d", 1)])
    );
    let prefixes: Vec<&str> = view.rows.iter().map(|r| r.prefix.as_str()).collect();
    assert_eq!(prefixes, ["", "├─>", "│ └─>", "└─>"]);
    assert_eq!(view.thread_count, 1);
}

#[test]
fn arrival_order_does_not_matter() {
    let mut envs = vec![
        env("c", &["a", "b"], 300, "Re: x"),
        env("b", &["a"], 200, "Re: x"),
        env("a", &[], 100, "x"),
    ];
    let first = shape(&build_threads(&envs, &ThreadOptions::default()), &envs);
    envs.reverse();
    let second = shape(&build_threads(&envs, &ThreadOptions::default()), &envs);
    assert_eq!(first, second);
    assert_eq!(first, owned(&[("a", 0), ("b", 1), ("c", 2)]));
}

#[test]
fn missing_parents_become_placeholders_or_are_skipped() {
    // Two replies to a message we never received: one placeholder holds them.
    let envs = vec![
        env("r1", &["lost"], 100, "Re: perdu"),
        env("r2", &["lost"], 200, "Re: perdu"),
        // A chain through a missing middle message keeps its shape.
        env("top", &[], 50, "chaine"),
        env("leaf", &["top", "gone"], 60, "Re: chaine"),
        // A single reply to a missing parent is promoted to root.
        env("alone", &["nowhere"], 10, "Re: seul"),
    ];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_each_message_once(&view, envs.len());
    assert_eq!(
        shape(&view, &envs),
        owned(&[
            ("?", 0),
            ("r1", 1),
            ("r2", 1),
            ("top", 0),
            ("leaf", 1),
            ("alone", 0)
        ])
    );
    assert_eq!(view.thread_count, 3);
}

#[test]
fn cycles_and_self_references_are_broken() {
    let envs = vec![
        env("a", &["b"], 100, "x"),
        env("b", &["a"], 200, "x"),
        env("s", &["s"], 300, "self"),
        env("p", &["q", "p", "q"], 400, "loop in refs"),
    ];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_each_message_once(&view, envs.len());
    assert!(view.rows.iter().all(|r| r.depth <= 2));
}

#[test]
fn duplicate_message_ids_keep_both_messages() {
    let envs = vec![
        env("dup", &[], 100, "un"),
        env("dup", &[], 200, "deux"),
        env("reply", &["dup"], 300, "Re: un"),
    ];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_each_message_once(&view, envs.len());
    // The reply goes under the first message that claimed the id.
    let pos = |m: usize| view.rows.iter().position(|r| r.message == Some(m)).unwrap();
    assert_eq!(view.rows[pos(2)].depth, 1);
    assert_eq!(pos(2), pos(0) + 1);
}

#[test]
fn messages_without_ids_are_kept() {
    let envs = vec![env("", &[], 1, "a"), env("", &[], 2, "b")];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_each_message_once(&view, 2);
    assert_eq!(view.thread_count, 2);
}

#[test]
fn subject_fallback_joins_replies_without_references() {
    let envs = vec![
        env("o", &[], 100, "Compte rendu IRM"),
        env("r", &[], 200, "RE : Compte rendu IRM"),
        env("x", &[], 150, "Autre"),
    ];
    let off = build_threads(&envs, &ThreadOptions::default());
    assert_eq!(off.thread_count, 3);
    let on = build_threads(
        &envs,
        &ThreadOptions {
            subject_fallback: true,
            ..ThreadOptions::default()
        },
    );
    assert_eq!(on.thread_count, 2);
    assert_eq!(shape(&on, &envs), owned(&[("o", 0), ("r", 1), ("x", 0)]));
}

#[test]
fn threads_are_ordered_by_their_latest_message() {
    let envs = vec![
        env("old", &[], 100, "ancien"),
        env("mid", &[], 500, "milieu"),
        env("new-reply", &["old"], 900, "Re: ancien"),
    ];
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_eq!(
        shape(&view, &envs),
        owned(&[("old", 0), ("new-reply", 1), ("mid", 0)])
    );
    let asc = build_threads(
        &envs,
        &ThreadOptions {
            direction: Direction::Ascending,
            ..ThreadOptions::default()
        },
    );
    assert_eq!(asc.rows[0].message, Some(1));
}

#[test]
fn sort_by_sender_subject_and_size() {
    let mut envs = vec![
        env("1", &[], 1, "Zèbre"),
        env("2", &[], 2, "Re: abricot"),
        env("3", &[], 3, "melon"),
    ];
    for (e, (name, size)) in envs
        .iter_mut()
        .zip([("Bruno", 30), ("alice", 10), ("Chloé", 20)])
    {
        e.from = vec![Address {
            name: Some(name.into()),
            email: format!("{}@example.test", name.to_lowercase()),
        }];
        e.size = size;
    }
    let ids = |sort| {
        let view = build_threads(
            &envs,
            &ThreadOptions {
                sort,
                direction: Direction::Ascending,
                ..ThreadOptions::default()
            },
        );
        view.rows
            .iter()
            .map(|r| r.message.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(SortKey::Sender), [1, 0, 2]);
    assert_eq!(ids(SortKey::Subject), [1, 2, 0]);
    assert_eq!(ids(SortKey::Size), [1, 2, 0]);
    assert_eq!(ids(SortKey::Date), [0, 1, 2]);
}

#[test]
fn flat_mode_lists_every_message_at_depth_zero() {
    let envs = vec![env("a", &[], 1, "x"), env("b", &["a"], 2, "Re: x")];
    let view = build_threads(
        &envs,
        &ThreadOptions {
            threaded: false,
            ..ThreadOptions::default()
        },
    );
    assert!(
        view.rows
            .iter()
            .all(|r| r.depth == 0 && r.prefix.is_empty())
    );
    assert_eq!(view.rows[0].message, Some(1));
}

#[test]
fn a_very_long_chain_has_bounded_prefixes() {
    let n = 20_000;
    let envs: Vec<Envelope> = (0..n)
        .map(|i| {
            let refs: Vec<String> = if i == 0 {
                vec![]
            } else {
                vec![format!("m{}", i - 1)]
            };
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            env(&format!("m{i}"), &refs, i as i64, "chaîne")
        })
        .collect();
    let view = build_threads(&envs, &ThreadOptions::default());
    assert_eq!(view.rows.len(), n);
    assert_eq!(view.rows[n - 1].depth as usize, n - 1);
    assert!(view.rows.iter().all(|r| r.prefix.chars().count() <= 40));
}

/// 100k envelopes in random order with random reply structure, some missing
/// parents, duplicates and cycles: every message appears once, each reply
/// whose parent is present sits right under it, and threads come newest first.
#[test]
fn hundred_thousand_envelopes_thread_correctly() {
    let n = 100_000;
    let mut rng = fastrand::Rng::with_seed(42);
    let mut envs: Vec<Envelope> = Vec::with_capacity(n);
    let mut parent_of: Vec<Option<usize>> = Vec::with_capacity(n);
    for i in 0..n {
        let parent = (i > 0 && rng.u8(0..100) < 60).then(|| rng.usize(i.saturating_sub(500)..i));
        let mut refs: Vec<String> = Vec::new();
        if let Some(p) = parent {
            refs.extend(envs[p].references.iter().cloned());
            refs.push(format!("m{p}"));
            if refs.len() > 20 {
                refs.drain(..refs.len() - 20);
            }
        }
        let mut e = env(
            &format!("m{i}"),
            &refs.iter().map(String::as_str).collect::<Vec<_>>(),
            1_700_000_000 + i as i64 * 60,
            &format!("sujet {}", i % 997),
        );
        e.uid = i as u32;
        // Some references point to messages that were never received.
        if rng.u8(0..100) < 3 {
            e.references.insert(0, format!("missing{}", rng.u32(..)));
        }
        envs.push(e);
        parent_of.push(parent);
    }
    // Shuffle arrival order.
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let shuffled: Vec<Envelope> = order.iter().map(|&i| envs[i].clone()).collect();

    let view = build_threads(&shuffled, &ThreadOptions::default());
    assert_each_message_once(&view, n);

    // Map row -> original index; check each row's parent.
    let original = |row: usize| view.rows[row].message.map(|m| order[m]);
    let mut row_of: HashMap<usize, usize> = HashMap::new();
    for (r, _) in view.rows.iter().enumerate() {
        if let Some(o) = original(r) {
            row_of.insert(o, r);
        }
    }
    let mut checked = 0;
    for (child, parent) in parent_of.iter().enumerate() {
        let Some(parent) = parent else { continue };
        let (cr, pr) = (row_of[&child], row_of[parent]);
        let depth = view.rows[cr].depth;
        assert_eq!(depth, view.rows[pr].depth + 1, "m{child} under m{parent}");
        // The parent is the nearest row above at depth - 1.
        let above = (0..cr).rev().find(|&r| view.rows[r].depth < depth).unwrap();
        assert_eq!(above, pr);
        checked += 1;
    }
    assert!(checked > 50_000);

    // Threads newest first: the latest date of each thread never increases.
    let mut latest: Vec<i64> = vec![i64::MIN; view.thread_count];
    for row in &view.rows {
        if let Some(m) = row.message {
            let t = row.thread as usize;
            latest[t] = latest[t].max(shuffled[m].date.unwrap().utc_seconds);
        }
    }
    assert!(latest.windows(2).all(|w| w[0] >= w[1]));
}

/// Tiny id pools make cycles, self-references, duplicates and missing
/// parents frequent; whatever the mix, every message is listed once, depths
/// follow the tree, and the subject fallback changes nothing of that.
#[test]
fn random_reference_graphs_never_lose_or_repeat_a_message() {
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..2_000 {
        let n = rng.usize(1..40);
        let pool = rng.usize(1..12);
        let id = |rng: &mut fastrand::Rng| format!("i{}", rng.usize(0..pool));
        let envs: Vec<Envelope> = (0..n)
            .map(|_| {
                let own = if rng.u8(0..10) == 0 {
                    String::new()
                } else {
                    id(&mut rng)
                };
                let refs: Vec<String> = (0..rng.usize(0..5)).map(|_| id(&mut rng)).collect();
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                let subject = if rng.bool() { "Re: sujet" } else { "sujet" };
                env(&own, &refs, rng.i64(0..1000), subject)
            })
            .collect();
        for subject_fallback in [false, true] {
            let view = build_threads(
                &envs,
                &ThreadOptions {
                    subject_fallback,
                    ..ThreadOptions::default()
                },
            );
            assert_each_message_once(&view, n);
            let mut previous_depth = 0;
            for (i, row) in view.rows.iter().enumerate() {
                assert!(
                    row.depth == 0 || (i > 0 && row.depth <= previous_depth + 1),
                    "round {round}: depth jumps at row {i}"
                );
                assert_eq!(row.depth == 0, row.prefix.is_empty());
                previous_depth = row.depth;
            }
        }
    }
}
