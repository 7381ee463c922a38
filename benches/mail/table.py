#!/usr/bin/env python3
"""The markdown table of scripts/bench-mail.sh, from the JSON lines in its results folder.

Each figure is the median of the runs with (min–max); the goals of issue 5 are checked
against the medians and said met or missed, with the measured number either way.
"""

import json
import os
import statistics
import sys

res = sys.argv[1]
meta = dict(a.split("=", 1) for a in sys.argv[2:])


def load(name):
    path = os.path.join(res, name)
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def values(rows, key, scale=1.0):
    return [r[key] * scale for r in rows if key in r]


def med(rows, key, scale=1.0):
    v = values(rows, key, scale)
    return statistics.median(v) if v else None


def cell(rows, key, scale=1.0, unit=" s", digits=2):
    v = values(rows, key, scale)
    if not v:
        return "—"
    f = lambda x: f"{x:.{digits}f}"
    m = statistics.median(v)
    return f"{f(m)}{unit}" + (f" ({f(min(v))}–{f(max(v))})" if len(v) > 1 else "")


MB = 1024 / 1e6  # kB (KiB) from /proc to MB
raw, b200, b1000 = load("raw.jsonl"), load("raw-batch200.json"), load("raw-batch1000.json")
nm_cold, nm_warm = load("neomutt-cold.jsonl"), load("neomutt-warm.jsonl")
c_sync, c_open = load("cachet-sync.jsonl"), load("cachet-open.jsonl")
c_resync = load("cachet-resync.jsonl")
rows = []
add = lambda *r: rows.append(r)

if meta.get("GEN_S"):
    add("generating the Maildir (Python)", f"{meta['GEN_S']} s", "")
if meta.get("INDEX_S"):
    add("`doveadm index` of the new Maildir", f"{meta['INDEX_S']} s", "")
if meta.get("FIRST_FETCH_S"):
    add("server: first envelope FETCH of the folder, Dovecot's cache empty",
        f"{float(meta['FIRST_FETCH_S']):.2f} s", "")
mbytes = raw[0]["bytes"] / 1e6 if raw else 0
add(f"server: `UID FETCH 1:*` of Cachet's items, Dovecot's cache warm ({mbytes:.0f} MB over TLS)",
    cell(raw, "fetch_s"), "")
add("server: the same as UID lists of 200, newest first (Cachet's batches)", cell(b200, "fetch_s"), "")
add("server: the same as UID lists of 1000", cell(b1000, "fetch_s"), "")
if nm_cold:
    add("neomutt: cold open (empty header cache) to the threaded index", cell(nm_cold, "open_s"), "")
    add("neomutt: peak RSS, cold open", cell(nm_cold, "vmhwm_kb", MB, " MB", 0), "")
if nm_warm:
    hc = meta.get("NM_HCACHE_MB", "?")
    add(f"neomutt: warm open (header cache {hc} MB) to the threaded index", cell(nm_warm, "open_s"), "")
    add("neomutt: 49 page-downs, warm", cell(nm_warm, "scroll_s", 1000, " ms", 0), "")
    add("neomutt: peak RSS, warm open + scrolling", cell(nm_warm, "vmhwm_kb", MB, " MB", 0), "")


def verdict(ok):
    return "**met**" if ok else "**missed**"


raw_m = med(raw, "fetch_s")
if c_sync:
    s = med(c_sync, "sync_s")
    ratio = s / raw_m if raw_m else float("nan")
    add("Cachet: cold sync into a fresh encrypted store (login to sync point)",
        cell(c_sync, "sync_s") + f" = {ratio:.2f}× the raw FETCH",
        f"≤ 1.2× raw: {verdict(ratio <= 1.2)}")
    add("Cachet: first batch of the cold sync on screen", cell(c_sync, "first_batch_s"), "")
    if all("indexed_s" in r for r in c_sync):
        add("Cachet: headers filed in the search index (in the background after the sync "
            "point; until then a search reads the summaries)", cell(c_sync, "indexed_s"), "")
    sync_hwm = med(c_sync, "vmhwm_kb", MB)
    add("Cachet: peak RSS, cold sync and the search filing after it",
        cell(c_sync, "vmhwm_kb", MB, " MB", 0), f"≤ 100 MB: {verdict(sync_hwm <= 100)}")
if c_open:
    o = med(c_open, "open_s")
    nm = med(nm_warm, "open_s")
    speed = f" = {nm / o:.0f}× faster than neomutt warm" if nm else ""
    ok = o <= 0.100 and (nm is None or nm / o >= 20)
    add("Cachet: warm open to the threaded first screen (new process: store opened, view, rows)",
        cell(c_open, "open_s", 1000, " ms", 0) + speed,
        f"≤ 100 ms and ≥ 20× neomutt: {verdict(ok)}")
    add("Cachet: of which opening the store (software key standing in for the card)",
        cell(c_open, "store_open_s", 1000, " ms", 0), "")
    add("Cachet: 49 page-downs (rows decrypted and formatted)", cell(c_open, "scroll_s", 1000, " ms", 0), "")
    open_hwm = med(c_open, "vmhwm_kb", MB)
    add("Cachet: peak RSS, warm open + scrolling", cell(c_open, "vmhwm_kb", MB, " MB", 0),
        f"≤ 100 MB: {verdict(open_hwm <= 100)}")
if c_resync:
    add("Cachet: sync of the cached folder after 10 new messages arrived (new process: login, "
        "QRESYNC, fetch, orders of the 100k rebuilt)", cell(c_resync, "sync_s"), "")
    resync_hwm = med(c_resync, "vmhwm_kb", MB)
    add("Cachet: peak RSS, that sync", cell(c_resync, "vmhwm_kb", MB, " MB", 0),
        f"≤ 100 MB: {verdict(resync_hwm <= 100)}")
if meta.get("CACHET_STORE_MB"):
    add("Cachet: encrypted store on disk after the sync", f"{meta['CACHET_STORE_MB']} MB", "")
if not c_sync and not c_open:
    add("Cachet: cold sync, warm open, scrolling, RSS", "not measured in this run", "")

print("| measure | result | goal |")
print("| --- | --- | --- |")
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2] or '—'} |")
