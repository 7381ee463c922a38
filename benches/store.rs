//! Encrypted store vs plain sled, same data, same run: 100k envelopes
//! (~400-byte JSON) and 10k bodies (5-50 KB), written in batches of 1000
//! and read back by paging the folder 50 at a time and fetching each body.
//! Prints timings and the encrypted/plain ratio (goal: within 1.3x); the two
//! writes alternate over two rounds, reads run after both writes in ABBA
//! order, and the best time of each is kept.
//! Run: `cargo bench --bench store` (release). `CACHET_BENCH_SCALE=10`
//! divides the sizes for a quick run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark binary: failing loudly is right

use std::time::{Duration, Instant};

use cachet::store::{CreateOptions, Durability, FolderRef, Profiles, SoftwareUnwrapper, Store};
use serde::{Deserialize, Serialize};

const BATCH: usize = 1000;
const PAGE: usize = 50;
const ROUNDS: usize = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Envelope {
    uid: u32,
    message_id: String,
    date: String,
    from: String,
    to: Vec<String>,
    subject: String,
    flags: Vec<String>,
    size: u32,
    has_xdm: bool,
}

fn envelope(uid: u32) -> Envelope {
    Envelope {
        uid,
        // Real Message-IDs do not sort by arrival: random first, as mailers do.
        message_id: format!("<{:016x}.{uid}@mssante.example.test>", fastrand::u64(..)),
        date: "Tue, 14 Oct 2025 09:41:27 +0200".into(),
        from: format!("Dr Jeanne Martin-{uid} <jeanne.martin.{uid}@medecin.mssante.fr>"),
        to: vec![
            "alice.durand@medecin.mssante.fr".into(),
            "secretariat.cardio@chu-exemple.mssante.fr".into(),
        ],
        subject: format!(
            "XDM/1.0/DDM+Compte rendu de consultation cardiologie DUPONT Marie 19650312 #{uid}"
        ),
        flags: vec!["\\Seen".into()],
        size: 20_000 + uid % 30_000,
        has_xdm: uid.is_multiple_of(3),
    }
}

fn body(i: usize) -> Vec<u8> {
    let len = 5_000 + (i * 7919) % 45_000;
    let line = b"Madame, Monsieur, veuillez trouver ci-joint le compte rendu. ";
    line.iter().copied().cycle().take(len).collect()
}

struct Timings {
    write: Duration,
    read: Duration,
}

fn best(prev: Option<Timings>, t: Timings) -> Timings {
    match prev {
        None => t,
        Some(p) => Timings {
            write: p.write.min(t.write),
            read: p.read.min(t.read),
        },
    }
}

const PLAIN_FOLDER: [u8; 16] = [7u8; 16];

fn plain_key(tree: u8, uid: u32) -> Vec<u8> {
    let mut k = vec![tree];
    k.extend_from_slice(&PLAIN_FOLDER);
    k.extend_from_slice(&uid.to_be_bytes());
    k
}

fn write_plain(
    dir: &std::path::Path,
    envs: &[Envelope],
    bodies: &[Vec<u8>],
) -> (sled::Db, Duration) {
    let db = sled::Config::new()
        .path(dir.join("plain"))
        .cache_capacity(64 * 1024 * 1024)
        .flush_every_ms(Some(500))
        .open()
        .unwrap();
    let folder = PLAIN_FOLDER;
    let key = plain_key;
    let t = Instant::now();
    for chunk in envs.chunks(BATCH) {
        let mut b = sled::Batch::default();
        for e in chunk {
            b.insert(key(1, e.uid), serde_json::to_vec(e).unwrap());
            // Same layout as the store: a Message-ID index entry per message.
            let mut ik = vec![3u8];
            ik.extend_from_slice(e.message_id.as_bytes());
            ik.extend_from_slice(&folder);
            b.insert(ik, &e.uid.to_be_bytes());
            if (e.uid as usize) <= bodies.len() {
                b.insert(key(2, e.uid), bodies[e.uid as usize - 1].as_slice());
            }
        }
        db.apply_batch(b).unwrap();
    }
    db.flush().unwrap();
    (db, t.elapsed())
}

fn read_plain(db: &sled::Db, envs: &[Envelope], bodies: &[Vec<u8>]) -> Duration {
    let key = plain_key;
    let t = Instant::now();
    let mut before = u32::MAX;
    let mut seen = 0usize;
    let mut bytes = 0usize;
    let mut body_time = Duration::ZERO;
    loop {
        let page: Vec<Envelope> = db
            .range(key(1, 0)..key(1, before))
            .rev()
            .take(PAGE)
            .map(|r| serde_json::from_slice(&r.unwrap().1).unwrap())
            .collect();
        let Some(last) = page.last() else { break };
        before = last.uid;
        let tb = Instant::now();
        for e in &page {
            if (e.uid as usize) <= bodies.len() {
                bytes += db.get(key(2, e.uid)).unwrap().unwrap().len();
            }
        }
        body_time += tb.elapsed();
        seen += page.len();
    }
    let read = t.elapsed();
    println!(
        "  read: {body_time:.3?} in bodies, {:.3?} paging envelopes",
        read - body_time
    );
    assert_eq!(seen, envs.len());
    assert_eq!(bytes, bodies.iter().map(Vec::len).sum::<usize>());
    read
}

const FOLDER: FolderRef<'static> = FolderRef {
    account: "alice@medecin.mssante.fr",
    folder: "INBOX",
};

fn write_encrypted(
    dir: &std::path::Path,
    envs: &[Envelope],
    bodies: &[Vec<u8>],
) -> (Store, Duration) {
    let card = SoftwareUnwrapper::generate("810100000017").unwrap();
    let profiles = Profiles::new(dir.join("profiles"));
    let (store, _) = profiles.create(&card, CreateOptions::default()).unwrap();
    let folder = FOLDER;
    let t = Instant::now();
    for chunk in envs.chunks(BATCH) {
        let mut b = store.batch().unwrap();
        for e in chunk {
            b.put_envelope(folder, e.uid, Some(&e.message_id), e)
                .unwrap();
            if (e.uid as usize) <= bodies.len() {
                b.put_body(folder, e.uid, &bodies[e.uid as usize - 1])
                    .unwrap();
            }
        }
        b.commit(Durability::Lazy).unwrap();
    }
    store.flush().unwrap();
    let write = t.elapsed();
    (store, write)
}

fn read_encrypted(store: &Store, envs: &[Envelope], bodies: &[Vec<u8>]) -> Duration {
    let folder = FOLDER;
    let t = Instant::now();
    let mut before = None;
    let mut seen = 0usize;
    let mut bytes = 0usize;
    let mut body_time = Duration::ZERO;
    loop {
        let page = store
            .envelopes_page::<Envelope>(folder, before, PAGE)
            .unwrap();
        let tb = Instant::now();
        for (uid, _) in &page.items {
            if (*uid as usize) <= bodies.len() {
                bytes += store.body(folder, *uid).unwrap().unwrap().len();
            }
        }
        body_time += tb.elapsed();
        seen += page.items.len();
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let read = t.elapsed();
    println!(
        "  read: {body_time:.3?} in bodies, {:.3?} paging envelopes",
        read - body_time
    );
    assert_eq!(seen, envs.len());
    assert_eq!(bytes, bodies.iter().map(Vec::len).sum::<usize>());
    read
}

fn main() {
    let scale: usize = std::env::var("CACHET_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let n_env = 100_000 / scale;
    let n_body = 10_000 / scale;
    fastrand::seed(7);
    let envs: Vec<Envelope> = (1..=n_env as u32).map(envelope).collect();
    let bodies: Vec<Vec<u8>> = (0..n_body).map(body).collect();
    let env_bytes: usize = envs
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .sum();
    let body_bytes: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "data: {n_env} envelopes (avg {} B), {n_body} bodies ({:.1} MB)",
        env_bytes / n_env.max(1),
        body_bytes as f64 / 1e6
    );

    // The AEAD alone on the same bodies, for scale.
    let key = [9u8; 32];
    let t = Instant::now();
    let sealed: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| cachet::store::crypto::seal(&key, b"aad", b).unwrap())
        .collect();
    let seal_time = t.elapsed();
    let t = Instant::now();
    for s in &sealed {
        cachet::store::crypto::open(&key, b"aad", s, "bench").unwrap();
    }
    let open_time = t.elapsed();
    drop(sealed);
    println!(
        "aead only on bodies: seal {seal_time:.3?} ({:.0} MB/s), open {open_time:.3?} ({:.0} MB/s)",
        body_bytes as f64 / 1e6 / seal_time.as_secs_f64(),
        body_bytes as f64 / 1e6 / open_time.as_secs_f64()
    );
    // And per small value: what paging a folder pays for each envelope.
    let small: Vec<Vec<u8>> = envs
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap())
        .collect();
    let sealed: Vec<Vec<u8>> = small
        .iter()
        .map(|v| cachet::store::crypto::seal(&key, b"aad", v).unwrap())
        .collect();
    let t = Instant::now();
    for s in &sealed {
        cachet::store::crypto::open(&key, b"aad", s, "bench").unwrap();
    }
    let per_value = t.elapsed().as_secs_f64() * 1e6 / sealed.len().max(1) as f64;
    println!("aead only on envelopes: open {per_value:.2} µs per value");

    // Alternate the two runs and keep the best of each, so neither pays for
    // the other's write-back or a busy neighbour more than once.
    let mut plain: Option<Timings> = None;
    let mut enc: Option<Timings> = None;
    for round in 0..ROUNDS {
        let tmp = tempfile::tempdir().unwrap();
        let ((db, pw), (store, ew)) = if round % 2 == 0 {
            let p = write_plain(tmp.path(), &envs, &bodies);
            (p, write_encrypted(tmp.path(), &envs, &bodies))
        } else {
            let e = write_encrypted(tmp.path(), &envs, &bodies);
            (write_plain(tmp.path(), &envs, &bodies), e)
        };
        // Reads start once both databases are written and synced, in ABBA
        // order, so neither pays for the other's write-back or deletion.
        let pr1 = read_plain(&db, &envs, &bodies);
        let er1 = read_encrypted(&store, &envs, &bodies);
        let er2 = read_encrypted(&store, &envs, &bodies);
        let pr2 = read_plain(&db, &envs, &bodies);
        let p = Timings {
            write: pw,
            read: pr1.min(pr2),
        };
        let e = Timings {
            write: ew,
            read: er1.min(er2),
        };
        println!(
            "round {round}: plain write {:.3?} read {:.3?} | encrypted write {:.3?} read {:.3?}",
            p.write, p.read, e.write, e.read
        );
        plain = Some(best(plain, p));
        enc = Some(best(enc, e));
    }
    let (Some(plain), Some(enc)) = (plain, enc) else {
        return;
    };
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "{:<10} {:>12} {:>12} {:>8}",
        "phase", "plain", "encrypted", "ratio"
    );
    println!(
        "{:<10} {:>12.3?} {:>12.3?} {:>7.2}x",
        "write",
        plain.write,
        enc.write,
        ratio(enc.write, plain.write)
    );
    println!(
        "{:<10} {:>12.3?} {:>12.3?} {:>7.2}x",
        "read",
        plain.read,
        enc.read,
        ratio(enc.read, plain.read)
    );
    let (pt, et) = (plain.write + plain.read, enc.write + enc.read);
    println!(
        "{:<10} {:>12.3?} {:>12.3?} {:>7.2}x",
        "total",
        pt,
        et,
        ratio(et, pt)
    );
}
