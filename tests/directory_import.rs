//! Import of extraction files: corpus sample (52 columns), generated files
//! (56 + 31 columns), latin-1, zip, malformed lines, atomic re-import, progress.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use cachet::directory::generate::generate;
use cachet::directory::import::Phase;
use cachet::directory::{
    ImportOptions, ImportReport, Index, MailboxKind, Progress, Query, import_files,
};

fn corpus_activity() -> Option<PathBuf> {
    let p = common::corpus_dir()?
        .join("annuaire/PS_LibreAcces/PS_LibreAcces_Personne_activite_SAMPLE_circa2021.txt");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("corpus sample absent, skipped");
        None
    }
}

fn import(root: &Path, files: &[PathBuf]) -> ImportReport {
    import_files(root, files, &ImportOptions::default(), &mut |_| {}).unwrap()
}

#[test]
fn imports_the_52_column_corpus_sample() {
    let Some(sample) = corpus_activity() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let report = import(root.path(), &[sample]);
    assert_eq!(report.columns, vec![52]);
    assert_eq!(report.activity_rows, 3);
    assert_eq!(report.malformed_total, 0, "{:?}", report.malformed);
    let index = Index::open(root.path()).unwrap();
    assert_eq!(index.stats().practitioners, 3);
    let hits = index.search(&Query::text("guignard")).unwrap();
    assert_eq!(hits.len(), 1);
    let e = &hits[0];
    assert_eq!(e.idnps, "810001045367");
    assert_eq!(e.national_id, "10001045367");
    assert_eq!(e.civility, "Docteur");
    assert_eq!(e.given_name, "ERIC");
    assert_eq!(e.activities[0].profession, "Médecin");
    assert_eq!(e.activities[0].speciality_code, "SM49");
    // ADELI practitioner: IDNPS is 0 + ADELI.
    let hits = index.search(&Query::text("0012600631")).unwrap();
    assert_eq!(hits[0].family_name, "PETITGUYOT");
    assert_eq!(hits[0].activities[0].postcode, "25300");
    assert_eq!(
        hits[0].activities[0].department, "25",
        "derived from the postcode"
    );
}

#[test]
fn reads_a_latin1_file_like_a_utf8_one() {
    let Some(sample) = corpus_activity() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&sample).unwrap();
    let (latin1, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&latin1).is_err(),
        "the transcoded file must not be UTF-8"
    );
    let path = dir
        .path()
        .join("PS_LibreAcces_Personne_activite_latin1.txt");
    std::fs::write(&path, &latin1).unwrap();
    let report = import(&dir.path().join("idx"), &[path]);
    assert_eq!(report.activity_rows, 3);
    assert!(report.latin1_lines >= 3);
    let index = Index::open(&dir.path().join("idx")).unwrap();
    let e = &index.search(&Query::text("de ruijter")).unwrap()[0];
    assert_eq!(e.activities[0].profession, "Orthophoniste");
    assert_eq!(
        e.activities[0].mode, "Libéral",
        "accent decoded from latin-1"
    );
}

#[test]
fn joins_generated_56_column_activities_with_mailboxes_plain_and_zipped() {
    let dir = tempfile::tempdir().unwrap();
    let g = generate(3_000, 7, dir.path()).unwrap();
    let report = import(
        &dir.path().join("plain"),
        &[g.activity_file.clone(), g.mailbox_file.clone()],
    );
    assert_eq!(report.columns, vec![56, 31]);
    assert_eq!(report.activity_rows, g.activity_rows);
    assert_eq!(report.mailbox_rows, g.mailbox_rows);
    assert_eq!(report.malformed_total, 0, "{:?}", report.malformed);
    let index = Index::open(&dir.path().join("plain")).unwrap();
    assert_eq!(index.stats().practitioners, g.practitioners);
    assert!(
        index.stats().structures > 0,
        "ORG mailboxes make structure entries"
    );

    // A practitioner with a personal mailbox carries its activities too (the join).
    let hit = index
        .search(&Query::text("medecin.mssante.fr"))
        .unwrap()
        .into_iter()
        .next()
        .expect("some doctor has a mailbox");
    assert!(!hit.activities.is_empty());
    assert!(
        hit.mailboxes
            .iter()
            .any(|m| m.kind == MailboxKind::Personal)
    );
    assert!(index.domains().iter().any(|d| d == "medecin.mssante.fr"));

    // The same files zipped give the same index.
    let zip_path = dir.path().join("extraction.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for f in [&g.activity_file, &g.mailbox_file] {
        let name = f.file_name().unwrap().to_str().unwrap();
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let zreport = import(&dir.path().join("zipped"), &[zip_path]);
    assert_eq!(zreport.activity_rows, report.activity_rows);
    assert_eq!(zreport.mailbox_rows, report.mailbox_rows);
    let zindex = Index::open(&dir.path().join("zipped")).unwrap();
    assert_eq!(zindex.stats().entries, index.stats().entries);
    assert_eq!(zindex.stats().mailboxes, index.stats().mailboxes);
}

const BAL_HEADER: &str = "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION|L3COMPLEMENTDISTRIBUTION|L4NUMEROVOIE|L4COMPLEMENTNUMEROVOIE|NL4TYPEVOIE|L4LIBELLEVOIE|L5LIEUDITMENTION|L6LIGNEACHEMINEMENT|Code postal|Département|Pays";

fn bal_line(kind: &str, addr: &str, idnps: &str, family: &str, service: &str) -> String {
    let mut f = vec![""; 31];
    f[0] = kind;
    f[1] = addr;
    f[4] = idnps;
    f[6] = "1750000001";
    f[7] = service;
    f[9] = family;
    f[18] = "HOPITAL TEST";
    f[27] = "75012 PARIS";
    f[28] = "75012";
    f[29] = "75";
    f.join("|")
}

#[test]
fn counts_malformed_lines_with_their_numbers_and_merges_duplicate_mailboxes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("Extraction_Correspondance_MSSante_test.txt");
    let lines = [
        BAL_HEADER.to_string(), // 1
        bal_line(
            "PER",
            "a.dupont@medecin.mssante.fr",
            "810000000001",
            "DUPONT",
            "",
        ), // 2
        "PER|too|few|fields".to_string(), // 3
        bal_line(
            "PER",
            "A.Dupont@medecin.mssante.fr",
            "810000000001",
            "DUPONT",
            "Cardio",
        ), // 4 duplicate
        bal_line("XYZ", "x@y.mssante.fr", "", "", ""), // 5 bad type
        bal_line("ORG", "not-an-address", "", "", "Accueil"), // 6 bad address
        String::new(),          // 7 blank: not data
        bal_line("ORG", "accueil@hopital-test.mssante.fr", "", "", "Accueil"), // 8
        "PER|".repeat(30_000),  // 9 overlong
        bal_line(
            "PER",
            "b.roux@medecin.mssante.fr",
            "810000000002",
            "ROUX",
            "",
        ), // 10
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let report = import(&dir.path().join("idx"), std::slice::from_ref(&path));
    assert_eq!(report.mailbox_rows, 4);
    assert_eq!(report.malformed_total, 4);
    let numbers: Vec<u64> = report.malformed.iter().map(|m| m.line).collect();
    assert_eq!(numbers, vec![3, 5, 6, 9]);
    assert!(report.malformed[3].reason.contains("longer than"));
    assert!(report.malformed[0].reason.contains("fields"));
    assert_eq!(report.malformed[0].file, path);
    assert_eq!(report.duplicate_mailboxes_merged, 1);
    let index = Index::open(&dir.path().join("idx")).unwrap();
    let dupont = &index.search(&Query::text("dupont")).unwrap()[0];
    assert_eq!(dupont.mailboxes.len(), 1, "duplicate address merged");
    assert_eq!(
        dupont.mailboxes[0].service, "Cardio",
        "merge keeps the known service"
    );
    let org = &index
        .search(&Query::text("@hopital-test.mssante.fr"))
        .unwrap()[0];
    assert_eq!(org.family_name, "HOPITAL TEST");
    assert_eq!(org.mailboxes[0].kind, MailboxKind::Organisational);
    assert_eq!(index.stats().malformed_lines, 4);
    let roux = index.search(&Query::text("roux")).unwrap();
    assert_eq!(roux.len(), 1, "reading goes on after an overlong line");
}

#[test]
fn refuses_a_file_that_is_not_an_extraction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.txt");
    std::fs::write(&path, "a;b;c\n1;2;3\n").unwrap();
    let err = import_files(
        &dir.path().join("idx"),
        &[path],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("unrecognised header"), "{err}");
    assert!(matches!(
        Index::open(&dir.path().join("idx")),
        Err(cachet::directory::Error::NoIndex(_))
    ));
}

#[test]
fn reimport_swaps_atomically_while_an_open_index_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("idx");
    let g1 = generate(500, 1, &dir.path().join("g1")).unwrap();
    import(&root, std::slice::from_ref(&g1.activity_file));
    let old = Index::open(&root).unwrap();
    let old_first = old.search(&Query::text("a")).unwrap();
    assert!(!old_first.is_empty());

    let path = dir.path().join("PS_LibreAcces_Personne_activite_small.txt");
    let text = std::fs::read_to_string(&g1.activity_file).unwrap();
    let mut small: Vec<&str> = text.lines().take(3).collect();
    small.push("");
    std::fs::write(&path, small.join("\n")).unwrap();
    let report = import(&root, &[path]);
    assert_eq!(report.activity_rows, 2);

    // The old generation's folder is gone, yet the open index still reads its records.
    let gens: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .collect();
    assert_eq!(gens.len(), 1);
    assert_eq!(old.search(&Query::text("a")).unwrap(), old_first);
    let new = Index::open(&root).unwrap();
    assert!(new.stats().entries <= 2);
    assert_eq!(old.stats().entries, g1.practitioners);
}

#[test]
fn reports_progress_up_to_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = generate(40_000, 3, dir.path()).unwrap();
    let size = std::fs::metadata(&g.activity_file).unwrap().len();
    let mut seen: Vec<Progress> = Vec::new();
    import_files(
        &dir.path().join("idx"),
        std::slice::from_ref(&g.activity_file),
        &ImportOptions::default(),
        &mut |p| seen.push(p.clone()),
    )
    .unwrap();
    let reading: Vec<_> = seen.iter().filter(|p| p.phase == Phase::Reading).collect();
    assert!(reading.len() >= 2, "intermediate progress is reported");
    assert!(
        reading
            .windows(2)
            .all(|w| w[0].rows <= w[1].rows && w[0].bytes_read <= w[1].bytes_read)
    );
    let last = reading.last().unwrap();
    assert_eq!(last.rows, g.activity_rows);
    assert_eq!((last.bytes_read, last.bytes_total), (size, size));
    assert_eq!(seen.last().unwrap().phase, Phase::Done);
}

#[test]
fn generator_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(800, 42, &dir.path().join("a")).unwrap();
    let b = generate(800, 42, &dir.path().join("b")).unwrap();
    let c = generate(800, 43, &dir.path().join("c")).unwrap();
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&a.activity_file), read(&b.activity_file));
    assert_eq!(read(&a.mailbox_file), read(&b.mailbox_file));
    assert_ne!(read(&a.activity_file), read(&c.activity_file));
    assert_eq!(a.activity_rows, 800);
    let header = String::from_utf8(read(&a.activity_file)).unwrap();
    let first = header.lines().next().unwrap();
    assert_eq!(
        first.split('|').count(),
        57,
        "56 columns plus the trailing empty field"
    );
}

#[test]
fn searches_keep_working_while_imports_replace_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("idx");
    let g = generate(3_000, 11, &dir.path().join("g")).unwrap();
    import(&root, std::slice::from_ref(&g.activity_file));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let importer = {
        let (root, file, done) = (root.clone(), g.activity_file.clone(), done.clone());
        std::thread::spawn(move || {
            for _ in 0..4 {
                import(&root, std::slice::from_ref(&file));
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let mut rounds = 0;
    // Every open finds a complete generation, and every search answers.
    while !done.load(std::sync::atomic::Ordering::SeqCst) || rounds == 0 {
        let index = Index::open(&root).unwrap();
        assert_eq!(index.stats().practitioners, g.practitioners);
        assert!(!index.search(&Query::text("ma")).unwrap().is_empty());
        rounds += 1;
    }
    importer.join().unwrap();
    assert!(rounds > 0);
}
