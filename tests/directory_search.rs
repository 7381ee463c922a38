//! Search semantics on generated data, checked against a brute-force reading
//! of the same generated files: accents and case, typos, ranking, filters,
//! identifiers, mailboxes, completions and the handle's generations.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::collections::BTreeSet;
use std::sync::OnceLock;

use cachet::directory::generate::generate;
use cachet::directory::normalize::normalize;
use cachet::directory::search::Rank;
use cachet::directory::{DirectoryHandle, ImportOptions, Index, Query, import_files};

/// One generated activity line, as the brute-force oracle sees it.
struct Row {
    idnps: String,
    family: String,
    given: String,
    profession: String,
    department: String,
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    rows: Vec<Row>,
    /// address -> idnps (PER boxes only)
    mailboxes: Vec<(String, String)>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let g = generate(20_000, 2024, &dir.path().join("gen")).unwrap();
        let root = dir.path().join("idx");
        import_files(
            &root,
            &[g.activity_file.clone(), g.mailbox_file.clone()],
            &ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let text = std::fs::read_to_string(&g.activity_file).unwrap();
        let rows = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                Row {
                    idnps: f[2].into(),
                    family: f[7].into(),
                    given: f[8].into(),
                    profession: f[9].into(),
                    department: f[44].into(),
                }
            })
            .collect();
        let text = std::fs::read_to_string(&g.mailbox_file).unwrap();
        let mailboxes = text
            .lines()
            .skip(1)
            .map(|l| l.split('|').collect::<Vec<_>>())
            .filter(|f| f[0] == "PER")
            .map(|f| (f[1].to_string(), f[4].to_string()))
            .collect();
        Fixture {
            _dir: dir,
            root,
            rows,
            mailboxes,
        }
    })
}

fn index() -> Index {
    Index::open(&fixture().root).unwrap()
}

fn query(text: &str, limit: usize) -> Query {
    Query {
        text: text.into(),
        limit,
        ..Query::default()
    }
}

fn idnps_set(ix: &Index, q: &Query) -> BTreeSet<String> {
    ix.search(q).unwrap().into_iter().map(|e| e.idnps).collect()
}

#[test]
fn accents_and_case_do_not_matter() {
    let ix = index();
    let f = fixture();
    let accented = f
        .rows
        .iter()
        .find(|r| r.family.chars().any(|c| "ÉÈÊÎÂ".contains(c)))
        .expect("the generator writes accented names");
    let family = &accented.family;
    let plain = normalize(family);
    let variants = [
        family.clone(),
        family.to_lowercase(),
        plain.clone(),
        plain.to_uppercase(),
    ];
    let sets: Vec<_> = variants
        .iter()
        .map(|v| idnps_set(&ix, &query(v, 500)))
        .collect();
    assert!(sets[0].contains(&accented.idnps));
    assert!(sets.windows(2).all(|w| w[0] == w[1]), "{variants:?}");
}

#[test]
fn exact_family_names_rank_before_longer_names() {
    let ix = index();
    let hits = ix.search_ids(&query("martin", 1000));
    let families: Vec<String> = hits
        .iter()
        .map(|h| normalize(&ix.entry(h.id).unwrap().family_name))
        .collect();
    let exact = families.iter().take_while(|f| *f == "martin").count();
    assert!(exact > 0);
    assert!(
        families[exact..].iter().all(|f| f != "martin"),
        "exact matches come first"
    );
    assert!(
        families
            .iter()
            .any(|f| f.starts_with("martin") && f != "martin"),
        "prefix matches follow"
    );
    let oracle = fixture()
        .rows
        .iter()
        .filter(|r| r.family == "MARTIN")
        .map(|r| &r.idnps)
        .collect::<BTreeSet<_>>();
    assert_eq!(exact, oracle.len(), "every MARTIN is found");
    assert!(hits.windows(2).all(|w| w[0].rank <= w[1].rank));
}

#[test]
fn prefixes_find_every_family_that_starts_with_them() {
    let ix = index();
    for prefix in ["b", "du", "ler", "cha", "le g"] {
        let found = idnps_set(&ix, &query(prefix, 100_000));
        let n = normalize(prefix);
        let words: Vec<&str> = n.split(' ').collect();
        for r in &fixture().rows {
            let fam = normalize(&r.family);
            if fam.starts_with(&n) {
                assert!(
                    found.contains(&r.idnps),
                    "{prefix}: {} {} missing",
                    r.family,
                    r.given
                );
            }
        }
        // And nothing unrelated: every hit has a name word for each query word.
        for e in ix.search(&query(prefix, 100_000)).unwrap() {
            let name = normalize(&format!("{} {}", e.family_name, e.given_name));
            assert!(
                words
                    .iter()
                    .all(|w| name.split(' ').any(|x| x.starts_with(w))),
                "{prefix}: {name}"
            );
        }
    }
}

#[test]
fn typos_are_tolerated_but_ranked_last() {
    let ix = index();
    // A missing letter, transpositions, a wrong first letter.
    for typo in ["martnez", "mratinez", "fontanie", "nartinez"] {
        let hits = ix.search_ids(&query(typo, 200));
        let names: Vec<String> = hits
            .iter()
            .map(|h| normalize(&ix.entry(h.id).unwrap().family_name))
            .collect();
        let target = if typo.starts_with('f') {
            "fontaine"
        } else {
            "martinez"
        };
        assert!(names.iter().any(|n| n == target), "{typo} -> {names:?}");
        assert!(
            hits.iter()
                .all(|h| h.rank == Rank::Typo || names.iter().any(|n| n.starts_with(typo)))
        );
    }
    // Short words get no typo budget.
    assert!(ix.search(&query("zzq", 10)).unwrap().is_empty());
}

#[test]
fn given_and_family_combine_in_any_order() {
    let ix = index();
    let r = fixture()
        .rows
        .iter()
        .find(|r| r.family == "DUBOIS" && !r.given.contains('-'))
        .expect("a DUBOIS");
    let given = normalize(&r.given);
    for text in [
        format!("dubois {given}"),
        format!("{given} dubois"),
        format!("{} DUB", r.given),
    ] {
        let hits = ix.search(&query(&text, 500)).unwrap();
        assert!(hits.iter().any(|e| e.idnps == r.idnps), "{text}");
        for e in &hits {
            let name = normalize(&format!("{} {}", e.family_name, e.given_name));
            assert!(
                name.contains("dub") && name.contains(&given),
                "{text}: {name}"
            );
        }
    }
}

#[test]
fn filters_match_the_brute_force_answer() {
    let ix = index();
    let q = Query {
        profession: Some("Médecin".into()),
        department: Some("69".into()),
        limit: 100_000,
        ..Query::default()
    };
    let found = idnps_set(&ix, &q);
    let oracle: BTreeSet<String> = fixture()
        .rows
        .iter()
        .filter(|r| r.profession == "10" && r.department == "69")
        .map(|r| r.idnps.clone())
        .collect();
    assert!(!oracle.is_empty());
    assert_eq!(found, oracle);
    // The same filters applied to full entries (as for online results) agree.
    let all = ix.search(&query("m", 5_000)).unwrap();
    assert!(all.len() > 1_000);
    for e in &all {
        assert_eq!(
            q.filters_accept(e),
            oracle.contains(&e.idnps),
            "{}",
            e.idnps
        );
    }
    // Code and label select the same profession; the text narrows further.
    let by_code = idnps_set(
        &ix,
        &Query {
            profession: Some("10".into()),
            ..q.clone()
        },
    );
    assert_eq!(by_code, oracle);
    let narrowed = ix
        .search(&Query {
            text: "m".into(),
            ..q.clone()
        })
        .unwrap();
    assert!(!narrowed.is_empty());
    for e in narrowed {
        assert!(oracle.contains(&e.idnps));
        assert!(
            e.activities
                .iter()
                .any(|a| a.profession_code == "10" && a.department == "69"),
            "one same activity satisfies both filters"
        );
    }
}

#[test]
fn identifiers_find_their_practitioner_first() {
    let ix = index();
    let r = fixture()
        .rows
        .iter()
        .find(|r| r.idnps.starts_with('8'))
        .unwrap();
    let rpps = &r.idnps[1..];
    for text in [r.idnps.as_str(), rpps] {
        let hits = ix.search_ids(&query(text, 10));
        let first = ix.entry(hits[0].id).unwrap();
        assert_eq!(first.idnps, r.idnps, "{text}");
    }
    let adeli = fixture()
        .rows
        .iter()
        .find(|r| r.idnps.starts_with('0'))
        .unwrap();
    let hits = ix.search(&query(&adeli.idnps[1..], 10)).unwrap();
    assert_eq!(hits[0].idnps, adeli.idnps);
}

#[test]
fn mailbox_addresses_and_domains_are_searchable() {
    let ix = index();
    let f = fixture();
    let (address, idnps) = &f.mailboxes[f.mailboxes.len() / 2];
    let prefix = &address[..address.find('@').unwrap() + 3];
    let hits = ix.search(&query(prefix, 50)).unwrap();
    assert!(hits.iter().any(|e| &e.idnps == idnps), "{prefix}");
    let exact = ix.search(&query(&address.to_uppercase(), 5)).unwrap();
    assert_eq!(&exact[0].idnps, idnps);

    let domain = address.split('@').nth(1).unwrap();
    let by_domain = ix.search(&query(&format!("@{domain}"), 100_000)).unwrap();
    let expected: BTreeSet<&String> = f
        .mailboxes
        .iter()
        .filter(|(a, _)| a.ends_with(&format!("@{domain}")))
        .map(|(_, id)| id)
        .collect();
    let got: BTreeSet<&String> = by_domain
        .iter()
        .map(|e| &e.idnps)
        .filter(|i| !i.is_empty())
        .collect();
    assert_eq!(got, expected);
    assert!(ix.is_mssante_domain(domain));
    assert!(!ix.is_mssante_domain("gmail.com"));
}

#[test]
fn completions_offer_mailboxes_for_names_and_addresses() {
    let ix = index();
    let f = fixture();
    let (address, idnps) = &f.mailboxes[0];
    let row = f.rows.iter().find(|r| &r.idnps == idnps).unwrap();
    let by_name = ix.completions(&normalize(&row.family), 200).unwrap();
    assert!(
        by_name.iter().any(|c| &c.address == address),
        "{:?}",
        &by_name[..by_name.len().min(3)]
    );
    assert!(by_name.iter().all(|c| c.address.contains('@')));
    let typed = &address[..address.len() - 4];
    let by_address = ix.completions(typed, 10).unwrap();
    assert!(
        by_address
            .iter()
            .all(|c| c.address.to_lowercase().starts_with(typed))
    );
    assert!(by_address.iter().any(|c| &c.address == address));
}

#[tokio::test]
async fn handle_echoes_generations_and_reloads_after_import() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("idx");
    let handle = DirectoryHandle::spawn(root.clone()).unwrap();
    let reply = handle.search(Query::text("martin"), 7).await;
    assert_eq!(reply.generation, 7);
    assert!(matches!(
        reply.result,
        Err(cachet::directory::Error::NoIndex(_))
    ));

    let g = generate(2_000, 5, &dir.path().join("gen")).unwrap();
    import_files(
        &root,
        &[g.activity_file.clone(), g.mailbox_file.clone()],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    handle.reload().await.unwrap();
    let clone = handle.clone();
    let (a, b) = tokio::join!(
        handle.search(Query::text("m"), 8),
        clone.search(Query::text("ma"), 9)
    );
    assert_eq!((a.generation, b.generation), (8, 9));
    assert!(!a.result.unwrap().is_empty());
    assert!(!handle.domains().await.unwrap().is_empty());
    assert_eq!(handle.stats().await.unwrap().practitioners, g.practitioners);
}

#[test]
fn compound_family_names_match_as_a_whole() {
    let ix = index();
    let hits = ix.search_ids(&query("le gall", 500));
    let expected = fixture()
        .rows
        .iter()
        .filter(|r| r.family == "LE GALL")
        .map(|r| &r.idnps)
        .collect::<BTreeSet<_>>();
    assert!(!expected.is_empty());
    let exact: Vec<_> = hits
        .iter()
        .take_while(|h| h.rank == Rank::ExactFamily)
        .collect();
    assert_eq!(exact.len(), expected.len());
    for h in exact {
        assert_eq!(ix.entry(h.id).unwrap().family_name, "LE GALL");
    }
}
