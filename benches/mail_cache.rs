//! Issue 5 benchmark, Cachet's side (run by `scripts/bench-mail.sh`, which prints the
//! table next to Dovecot's raw figures and neomutt's):
//!
//! - `sync`: a cold sync of one folder into a fresh encrypted store, on the same code path
//!   as `cachet sync` (`mail::cache::cold_sync_folder`: connect, login, SELECT, UID SEARCH,
//!   envelope batches newest first, summaries, thread and sort orders, header search index);
//! - `open`: a new process opens that store and shows the threaded first screen the way the
//!   mailbox screen does (the folder's ordered view, one sealed record, then the summaries
//!   of the rows on screen), then pages down 49 times.
//!
//! Each prints one JSON line; time is measured in-process with `Instant`, peak memory is
//! `VmHWM` from `/proc/self/status`. The store key is a software RSA key standing in for
//! the card (saved next to the store as PKCS#8 so that `open` runs in its own process);
//! the data are the bench's generated messages, not health data.
//!
//! Usage: `mail_cache sync --store DIR --host H --port P --ca PEM --user U
//! --password-env VAR [--folder F] [--batch N] [--max-fetch N] [--index-headers no]` and `mail_cache open --store DIR
//! [--folder F] [--rows N] [--pages N]`. Without arguments (plain `cargo bench`) it prints
//! this usage and exits: it needs the server `scripts/bench-mail.sh` starts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark binary: failing loudly is right

/// The allocator `cachet` itself uses (see `cachet::allocator`), so that the bench measures it.
#[global_allocator]
static ALLOCATOR: cachet::allocator::Allocator = cachet::allocator::Allocator;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cachet::mail::cache::{ColdSyncOptions, reader};
use cachet::mail::imap::config::{AuthMethod, ImapAccount, Security, Timeouts};
use cachet::mail::imap::sync::SyncOptions;
use cachet::store::{CreateOptions, Profiles, SoftwareUnwrapper, StoreHandle};
use cachet::tls::{AnchorSource, TlsOptions, TlsVersions, TrustPolicy, client_config};

const ACCOUNT: &str = "bench";
const HOLDER: &str = "810100000017";

fn usage() {
    eprintln!(
        "mail_cache sync --store DIR --host H --port P --ca PEM --user U --password-env VAR \
         [--folder F] [--batch N] [--max-fetch N] [--index-headers no]\nmail_cache open --store DIR [--folder F] [--rows N] [--pages N]\n\
         (run by scripts/bench-mail.sh, which starts the server)"
    );
}

fn args() -> (String, HashMap<String, String>) {
    let mut it = std::env::args().skip(1).filter(|a| a != "--bench");
    let sub = it.next().unwrap_or_default();
    let mut map = HashMap::new();
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        map.insert(k.trim_start_matches("--").to_string(), v);
    }
    (sub, map)
}

fn vm_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn key_path(store: &Path) -> PathBuf {
    store.join("bench-key.der")
}

fn main() {
    cachet::allocator::configure();
    let (sub, a) = args();
    let get = |k: &str| a.get(k).cloned();
    let need = |k: &str| get(k).unwrap_or_else(|| panic!("--{k} is required"));
    match sub.as_str() {
        "sync" => sync(
            Path::new(&need("store")),
            &need("host"),
            need("port").parse().unwrap(),
            Path::new(&need("ca")),
            &need("user"),
            &need("password-env"),
            &get("folder").unwrap_or_else(|| "INBOX".into()),
            get("batch").map_or(200, |b| b.parse().unwrap()),
            get("max-fetch").map(|b| b.parse().unwrap()),
            get("index-headers").is_none_or(|v| v != "no"),
        ),
        "open" => open(
            Path::new(&need("store")),
            &get("folder").unwrap_or_else(|| "INBOX".into()),
            get("rows").map_or(37, |b| b.parse().unwrap()),
            get("pages").map_or(50, |b| b.parse().unwrap()),
        ),
        _ => usage(),
    }
}

#[allow(clippy::too_many_arguments)]
fn sync(
    store_dir: &Path,
    host: &str,
    port: u16,
    ca: &Path,
    user: &str,
    password_env: &str,
    folder: &str,
    batch: usize,
    max_fetch: Option<usize>,
    index_headers: bool,
) {
    // Setting up the profile (RSA key generation) is not part of a sync. A
    // profile made by an earlier run is opened: the sync is then the
    // incremental one of a cached folder (`"mode": "warm"`).
    let warm = key_path(store_dir).exists();
    let store = if warm {
        let der = std::fs::read(key_path(store_dir)).unwrap();
        let card = SoftwareUnwrapper::from_pkcs8_der(HOLDER, &der).unwrap();
        Profiles::new(store_dir.join("profiles"))
            .open(&card)
            .unwrap()
    } else {
        std::fs::create_dir_all(store_dir).unwrap();
        let card = SoftwareUnwrapper::generate(HOLDER).unwrap();
        std::fs::write(key_path(store_dir), card.to_pkcs8_der().unwrap().as_slice()).unwrap();
        Profiles::new(store_dir.join("profiles"))
            .create(&card, CreateOptions::default())
            .unwrap()
            .0
    };
    let handle = StoreHandle::spawn(store).unwrap();
    let tls = client_config(&TlsOptions {
        trust: TrustPolicy::ConfiguredOnly {
            anchors: vec![AnchorSource::PemFile(ca.to_path_buf())],
        },
        versions: TlsVersions::default(),
        client_auth: None,
    })
    .unwrap();
    let account = ImapAccount {
        host: host.into(),
        port,
        security: Security::ImplicitTls,
        user: user.into(),
        auth: AuthMethod::Password {
            password_command: format!("printenv {password_env}"),
        },
        timeouts: Timeouts::default(),
        use_qresync: true,
    };
    let options = ColdSyncOptions {
        sync: SyncOptions {
            batch_size: batch,
            max_fetch: max_fetch.unwrap_or(SyncOptions::default().max_fetch),
        },
        cache: cachet::mail::cache::CacheOptions { index_headers },
    };
    // As `cachet sync` runs it: the session is a task of a two-worker
    // runtime (the CLI's), not a future polled by the main thread, which
    // would be woken by a worker for every read.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t0 = Instant::now();
    let folder = folder.to_string();
    let task_handle = handle.clone();
    let (report, first_batch, last_batch) = rt
        .block_on(rt.spawn(async move {
            let mut first_batch: Option<f64> = None;
            let mut last_batch = 0.0;
            let report = cachet::mail::cache::cold_sync_folder(
                task_handle,
                ACCOUNT,
                &account,
                tls,
                &folder,
                options,
                &mut |_| {
                    last_batch = t0.elapsed().as_secs_f64();
                    first_batch.get_or_insert(last_batch);
                },
            )
            .await;
            (report, first_batch, last_batch)
        }))
        .unwrap();
    let report = report.unwrap();
    let (report, cache) = report;
    let sync_s = t0.elapsed().as_secs_f64();
    let vmhwm_sync_kb = vm_kb("VmHWM");
    // The headers' search filing, which goes on after the sync point.
    cache.wait_for_search_index().unwrap();
    let indexed_s = t0.elapsed().as_secs_f64();
    drop(cache);
    // What is on disk once the sync has returned: sled's last write-back.
    handle.call(|s| s.flush()).unwrap().unwrap();
    let flushed_s = t0.elapsed().as_secs_f64();
    println!(
        "{{\"mode\": \"{}\", \"sync_s\": {sync_s:.4}, \"first_batch_s\": {:.4}, \
         \"last_batch_s\": {last_batch:.4}, \
         \"indexed_s\": {indexed_s:.4}, \"flushed_s\": {flushed_s:.4}, \"messages\": {}, \
         \"vmhwm_sync_kb\": {vmhwm_sync_kb}, \"vmhwm_kb\": {}, \"vmrss_kb\": {}}}",
        if warm { "warm" } else { "cold" },
        first_batch.unwrap_or(0.0),
        report.new,
        vm_kb("VmHWM"),
        vm_kb("VmRSS")
    );
}

/// One row as the list shows it; the work a screen does per row, so the figure is honest.
fn row_text(e: &cachet::domain::envelope::Envelope, depth: u8) -> String {
    let from = e
        .sender()
        .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
        .unwrap_or_default();
    format!(
        "{:>6} {} {:20.20} {}{}",
        e.uid,
        e.date
            .map(|d| {
                let t = d.to_offset_datetime();
                format!("{:02}/{:02}/{}", t.day(), u8::from(t.month()), t.year())
            })
            .unwrap_or_default(),
        from,
        "  ".repeat(depth.into()),
        e.subject
    )
}

fn open(store_dir: &Path, folder: &str, rows: usize, pages: usize) {
    let t0 = Instant::now();
    let der = std::fs::read(key_path(store_dir)).unwrap();
    let card = SoftwareUnwrapper::from_pkcs8_der(HOLDER, &der).unwrap();
    let store = Profiles::new(store_dir.join("profiles"))
        .open(&card)
        .unwrap();
    let handle = StoreHandle::spawn(store).unwrap();
    let store_s = t0.elapsed().as_secs_f64();
    let f = folder.to_string();
    let view = handle
        .call(move |s| reader::folder_view(s, ACCOUNT, &f, reader::ViewOptions::default()))
        .unwrap()
        .unwrap()
        .expect("folder cached");
    let view_s = t0.elapsed().as_secs_f64();
    let screen = |start: usize| -> usize {
        let window: Vec<(u32, u8)> = view.rows.iter().skip(start).take(rows).copied().collect();
        let uids: Vec<u32> = window.iter().map(|(u, _)| *u).collect();
        let f = folder.to_string();
        let envs = handle
            .call(move |s| reader::summaries(s, ACCOUNT, &f, &uids))
            .unwrap()
            .unwrap();
        envs.iter()
            .zip(&window)
            .map(|(e, (_, d))| row_text(e, *d).len())
            .sum()
    };
    let chars = screen(0);
    let open_s = t0.elapsed().as_secs_f64();
    let ts = Instant::now();
    let mut scrolled = 0;
    for page in 1..pages {
        scrolled += screen(page * rows);
    }
    let scroll_s = ts.elapsed().as_secs_f64();
    println!(
        "{{\"open_s\": {open_s:.4}, \"store_open_s\": {store_s:.4}, \"view_s\": {view_s:.4}, \
         \"scroll_s\": {scroll_s:.4}, \"scroll_pages\": {}, \"rows\": {}, \"screen_chars\": {}, \
         \"scrolled_chars\": {scrolled}, \"vmhwm_kb\": {}, \"vmrss_kb\": {}}}",
        pages.saturating_sub(1),
        view.rows.len(),
        chars,
        vm_kb("VmHWM"),
        vm_kb("VmRSS")
    );
}
