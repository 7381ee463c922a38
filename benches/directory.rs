//! Directory benchmark: generate extraction files, import them, then measure
//! index size, resident memory and as-you-type latency.
//!
//! `cargo bench --bench directory -- [--rows N] [--dir DIR] [--seed S] [--keep]`
//! (default 2,000,000 activity rows, about 540,000 mailboxes). Import and
//! search each run in a fresh child process of this binary so that their peak
//! RSS (VmHWM) is their own. Latency: every 1..=10-character prefix of a
//! sample of names and "name given" pairs, plus typo variants, through
//! `Index::search` with a limit of 50 (records read included, as the UI does).
//! Goals from issue 7: import ≤ 60 s on 2 cores, p99 ≤ 20 ms, search RSS ≤ 300 MB.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a measurement tool

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cachet::directory::generate::generate;
use cachet::directory::{ImportOptions, Index, Query, import_files};

fn status_kb(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process, from /proc (so that a loaded,
/// shared machine can be told apart from slow code).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|d| {
            d.flatten()
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn child(mode: &str, extra: &[&str]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg(mode)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn import_child(root: &str, files: &[String]) {
    let t = Instant::now();
    let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let mut read_done = 0.0;
    let r = import_files(
        Path::new(root),
        &files,
        &ImportOptions::default(),
        &mut |p| {
            if p.phase == cachet::directory::import::Phase::Indexing {
                read_done = t.elapsed().as_secs_f64();
            }
        },
    )
    .unwrap();
    println!(
        "import: {:.1} s (reading {read_done:.1} s, CPU {:.1} s), {} activity rows, {} mailbox rows, {} entries, {} malformed, peak RSS {} MB",
        t.elapsed().as_secs_f64(),
        cpu_seconds(),
        r.activity_rows,
        r.mailbox_rows,
        r.stats.entries,
        r.malformed_total,
        status_kb("VmHWM:") / 1024
    );
}

fn search_child(root: &str, names_file: &str) {
    let t = Instant::now();
    let index = Index::open(Path::new(root)).unwrap();
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss_open = status_kb("VmRSS:") / 1024;
    let names: Vec<String> = std::fs::read_to_string(names_file)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut queries = Vec::new();
    for name in &names {
        let chars: Vec<char> = name.chars().collect();
        for len in 1..=chars.len().min(10) {
            queries.push(chars[..len].iter().collect::<String>());
        }
        // A transposition typo in the middle of the name.
        if chars.len() >= 6 {
            let mut t = chars.clone();
            t.swap(2, 3);
            queries.push(t.iter().collect());
        }
    }
    let mut times = Vec::with_capacity(queries.len());
    let mut slowest: Vec<(f64, &str)> = Vec::new();
    let mut results = 0usize;
    for q in &queries {
        let t = Instant::now();
        let hits = index.search(&Query::text(q)).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        times.push(ms);
        slowest.push((ms, q));
        results += hits.len();
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.truncate(5);
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    println!(
        "search: open {open_ms:.0} ms, {} queries, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.1} results/query",
        times.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        results as f64 / times.len() as f64
    );
    println!("slowest: {slowest:.1?}");
    println!(
        "search RSS: {} MB after open, {} MB after queries (peak {} MB)",
        rss_open,
        status_kb("VmRSS:") / 1024,
        status_kb("VmHWM:") / 1024
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("import-child") => return import_child(&args[1], &args[2..]),
        Some("search-child") => return search_child(&args[1], &args[2]),
        _ => {}
    }
    let rows: u64 = arg(&args, "--rows").map_or(2_000_000, |v| v.parse().unwrap());
    let seed: u64 = arg(&args, "--seed").map_or(1, |v| v.parse().unwrap());
    let dir = PathBuf::from(arg(&args, "--dir").unwrap_or_else(|| {
        std::env::temp_dir()
            .join("cachet-bench-directory")
            .display()
            .to_string()
    }));
    let gen_dir = dir.join("extraction");
    let root = dir.join("index");

    let t = Instant::now();
    let g = generate(rows, seed, &gen_dir).unwrap();
    println!(
        "generate: {:.1} s, {} activity rows ({} MB), {} mailbox rows ({} MB)",
        t.elapsed().as_secs_f64(),
        g.activity_rows,
        std::fs::metadata(&g.activity_file).unwrap().len() >> 20,
        g.mailbox_rows,
        std::fs::metadata(&g.mailbox_file).unwrap().len() >> 20
    );
    let files = [
        g.activity_file.display().to_string(),
        g.mailbox_file.display().to_string(),
    ];
    let mut extra = vec![root.to_str().unwrap()];
    extra.extend(files.iter().map(String::as_str));
    print!("{}", child("import-child", &extra));

    let current = root.join(std::fs::read_link(root.join("current")).unwrap());
    println!("index size: {} MB", dir_size(&current) >> 20);

    // Sample names spread over the file: family names and "family given" pairs.
    let text = std::fs::read_to_string(&g.activity_file).unwrap();
    let step = (g.activity_rows / 150).max(1) as usize;
    let mut names = Vec::new();
    for (i, line) in text.lines().skip(1).step_by(step).enumerate() {
        let f: Vec<&str> = line.split('|').collect();
        if i % 2 == 0 {
            names.push(f[7].to_lowercase());
        } else {
            names.push(format!("{} {}", f[7], f[8]).to_lowercase());
        }
    }
    drop(text);
    let names_file = dir.join("names.txt");
    std::fs::write(&names_file, names.join("\n")).unwrap();
    print!(
        "{}",
        child(
            "search-child",
            &[root.to_str().unwrap(), names_file.to_str().unwrap()]
        )
    );
    if !args.iter().any(|a| a == "--keep") {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
