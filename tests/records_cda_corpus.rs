//! Every CDA example of the corpus (ANS CI-SIS test contents, HL7v2 examples)
//! parses, renders with its section titles, shows no markup and only
//! terminal-safe text; the biology report renders its results as a table.

// Test helpers outside #[test] functions may panic too: this is a test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use cachet::domain::text::{Block, is_terminal_safe};
use cachet::records::cda;
use cachet::records::xml::{self, Element, Limits};

/// `../shared/corpus` (CI), or `CACHET_CORPUS_DIR` for a worktree that sits
/// elsewhere; `None` skips the corpus tests.
fn corpus_dir() -> Option<PathBuf> {
    common::corpus_dir().or_else(|| {
        std::env::var_os("CACHET_CORPUS_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
    })
}

fn cda_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Section titles straight from the XML tree, independently of the CDA model.
fn titles_in_tree(root: &Element) -> Vec<String> {
    let mut sections = Vec::new();
    root.descendants_named("section", &mut sections);
    sections
        .iter()
        .filter_map(|s| s.child("title"))
        .map(|t| t.text())
        .filter(|t| !t.is_empty())
        .collect()
}

fn looks_like_markup(text: &str) -> bool {
    text.as_bytes().windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!' || w[1] == b'?')
    })
}

#[test]
fn every_corpus_cda_parses_and_renders() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let files = cda_files(&corpus.join("cda"));
    assert!(
        files.len() >= 20,
        "expected the 22 CDA examples, found {}",
        files.len()
    );
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = cda::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let rich = cda::render(&doc);
        let text = rich.to_plain_string(200);

        assert!(!looks_like_markup(&text), "{name}: markup in the rendering");
        for block in &rich.blocks {
            match block {
                Block::Line(line) => {
                    for span in &line.spans {
                        assert!(
                            is_terminal_safe(span.text()),
                            "{name}: unsafe span {:?}",
                            span.text()
                        );
                    }
                }
                Block::Table(t) => {
                    for cell in t.header.iter().chain(t.rows.iter().flatten()) {
                        assert!(is_terminal_safe(cell), "{name}: unsafe cell {cell:?}");
                        assert!(!looks_like_markup(cell), "{name}: markup in a cell");
                    }
                }
            }
        }
        let tree = xml::parse(&bytes, &Limits::CDA).unwrap();
        let title = tree.child("title").map(|t| t.text()).unwrap_or_default();
        assert!(
            text.contains(&title),
            "{name}: document title {title:?} missing"
        );
        // Titles of sections reached through the body (entries may nest more).
        for t in doc.section_titles() {
            assert!(text.contains(t), "{name}: section title {t:?} missing");
        }
        let from_tree = titles_in_tree(&tree);
        let shown = from_tree
            .iter()
            .filter(|t| text.contains(t.as_str()))
            .count();
        assert!(
            shown >= doc.section_titles().len().min(from_tree.len()),
            "{name}: {shown} of {} section titles shown",
            from_tree.len()
        );
        match &doc.body {
            cda::Body::Structured(sections) => assert!(!sections.is_empty(), "{name}: empty body"),
            cda::Body::NonXml(file) => {
                assert!(!file.bytes.is_empty(), "{name}: empty level 1 body")
            }
            cda::Body::External { reference, .. } => assert!(!reference.is_empty(), "{name}"),
            cda::Body::Missing => panic!("{name}: no body found"),
        }
    }
}

#[test]
fn biology_report_results_are_a_table() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let path = corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/BIO-CR-BIO_2024.01_TSH_1.xml");
    let doc = cda::parse(&std::fs::read(path).unwrap()).unwrap();
    let rich = cda::render(&doc);
    let table = rich
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            Block::Line(_) => None,
        })
        .find(|t| t.header.iter().any(|h| h == "Résultats"))
        .expect("a results table with a header");
    assert_eq!(table.header[0], "BILAN THYROIDIEN");
    let tsh = table
        .rows
        .iter()
        .find(|r| r[0].starts_with("Thyréostimuline (TSH)"))
        .expect("the TSH row");
    assert_eq!(tsh[1], "1.950 mUI/l");
    assert_eq!(tsh[2], "(0.270 - 4.200)");
    // The PDF copy framed by a layout table shows as an attachment, and the
    // patient by the first name in use.
    let text = rich.to_plain_string(100);
    assert!(
        text.contains("Copie du document\n[Pièce jointe application/pdf : 77 Ko]"),
        "{text}"
    );
    assert!(
        text.contains("Patient : DOMINIQUE PAT-TROIS, né(e) le 28/03/1979, sexe F"),
        "{text}"
    );
    // Laid out at 60 columns, the table fits the terminal.
    let mut only_table = cachet::domain::text::RichText::default();
    only_table.push_table(table.clone());
    let lines = only_table.layout(60);
    assert!(lines.len() > table.rows.len(), "header and rows laid out");
    for line in lines {
        assert!(
            line.width() <= 60,
            "table line wider than 60: {:?}",
            line.to_plain_string()
        );
    }
}

#[test]
fn identity_problems_in_the_corpus_are_flagged() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    // This official example carries an INS whose key does not check
    // (2221275056112 gives 47, the document says 01).
    let path = corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/CSE-MDE_2023.01.xml");
    let text =
        cda::render(&cda::parse(&std::fs::read(path).unwrap()).unwrap()).to_plain_string(100);
    assert!(
        text.contains("INS invalide : clé 01, le numéro donne 47"),
        "{text}"
    );
    // A consistent one is not flagged.
    let path = corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/VAC_2023.01.xml");
    let text =
        cda::render(&cda::parse(&std::fs::read(path).unwrap()).unwrap()).to_plain_string(100);
    assert!(
        !text.contains("INS invalide") && !text.contains("INS incohérent"),
        "{text}"
    );
}

#[test]
fn level1_pdf_examples_keep_their_bytes() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("corpus absent: skipped");
        return;
    };
    let path = corpus.join("cda/ans-ci-sis-TestContenuCDA-3-0/DOC_NON_STRUCTURE_CDA-R2-N1.xml");
    let doc = cda::parse(&std::fs::read(path).unwrap()).unwrap();
    match &doc.body {
        cda::Body::NonXml(file) if file.media_type == "application/pdf" => {
            assert!(file.bytes.starts_with(b"%PDF"), "decoded PDF");
            assert!(
                cda::render(&doc)
                    .to_plain_string(100)
                    .contains("visionneuse externe")
            );
        }
        other => panic!("expected a PDF level 1 body, got {other:?}"),
    }
}
