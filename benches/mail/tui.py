#!/usr/bin/env python3
"""Drives a terminal mail client in a private tmux server and times what a user sees.

  * open: from starting the command to the first screen whose status line says the whole
    folder is there (a regex with the message count, e.g. neomutt's status_format
    "BENCH %C/%m"), polled with `tmux capture-pane` every 20 ms;
  * scroll: Home, one PageDown to learn the page height, then 49 more PageDowns sent at once,
    timed until the position shown is 1 + 50 pages (keys arrive as fast as a held key);
  * memory: VmHWM (peak RSS) and VmRSS of the client process, read from /proc before quitting;
  * then the quit key, and a bounded wait for the process to end (a header cache is closed
    cleanly that way; SIGKILL only past the bound).
Prints one JSON line. The tmux server is private (-L), so no other session is touched.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

POLL = 0.02


def tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], check=check, capture_output=True,
                          text=True).stdout


def screen(sock):
    return tmux(sock, "capture-pane", "-p", "-t", "bench", check=False)


def wait_for(sock, pattern, timeout, pid=None):
    """Polls the screen until `pattern` matches; returns (match, seconds polled)."""
    rx = re.compile(pattern, re.M)
    t0 = time.monotonic()
    last = ""
    while time.monotonic() - t0 < timeout:
        last = screen(sock)
        m = rx.search(last)
        if m:
            return m, last
        if pid is not None and not alive(pid):
            break
        time.sleep(POLL)
    sys.stderr.write(f"tui: no /{pattern}/ after {timeout:.0f} s; last screen:\n{last}\n")
    return None, last


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def mem_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmd", required=True, help="the client's command line (exec'd by sh)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the client")
    ap.add_argument("--ready", required=True, help="regex of the loaded screen")
    ap.add_argument("--position", required=True,
                    help="regex (multi-line) whose group 1 is the cursor's position in the list")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--count", type=int, default=0, help="messages in the list (caps the target)")
    ap.add_argument("--home-key", default="Home")
    ap.add_argument("--page-key", default="NPage")
    ap.add_argument("--quit-keys", default="q")
    ap.add_argument("--width", type=int, default=120)
    ap.add_argument("--height", type=int, default=40)
    ap.add_argument("--socket", default=f"cachet-bench-{os.getpid()}")
    ap.add_argument("--screen-out", default=None, help="write the first screen here")
    a = ap.parse_args()
    sock = a.socket
    position = re.compile(a.position, re.M)

    env = " ".join(shlex.quote(e) for e in a.env)
    shell = f"exec env {env} {a.cmd}" if env else f"exec {a.cmd}"
    result = {}
    t0 = time.monotonic()
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", str(a.width),
         "-y", str(a.height), shell)
    try:
        pid = int(tmux(sock, "list-panes", "-t", "bench", "-F", "#{pane_pid}").split()[0])
        m, first = wait_for(sock, a.ready, a.timeout, pid)
        if not m:
            raise SystemExit(1)
        result["open_s"] = round(time.monotonic() - t0, 3)
        if a.screen_out:
            with open(a.screen_out, "w") as f:
                f.write(first)

        def pos():
            m = position.search(screen(sock))
            return int(m.group(1)) if m else None

        if a.pages > 1:
            tmux(sock, "send-keys", "-t", "bench", a.home_key)
            if not wait_for(sock, position.pattern.replace(r"(\d+)", r"(1)\b", 1), 30)[0]:
                raise SystemExit(1)
            tmux(sock, "send-keys", "-t", "bench", a.page_key)
            t_first = time.monotonic()
            while pos() in (None, 1) and time.monotonic() - t_first < 30:
                time.sleep(POLL)
            page = (pos() or 1) - 1
            if page > 0:
                target = min(1 + a.pages * page, a.count) if a.count else 1 + a.pages * page
                ts = time.monotonic()
                tmux(sock, "send-keys", "-t", "bench", *([a.page_key] * (a.pages - 1)))
                reached = None
                while time.monotonic() - ts < 120:
                    reached = pos()
                    if reached is not None and reached >= target:
                        break
                    time.sleep(POLL)
                result["scroll_s"] = round(time.monotonic() - ts, 3)
                result["scroll_pages"] = a.pages - 1
                result["page_rows"] = page
                result["scroll_reached"] = reached
        result.update({k.lower() + "_kb": v for k, v in mem_kb(pid).items()})
        for key in a.quit_keys.split():
            tmux(sock, "send-keys", "-t", "bench", key)
            time.sleep(0.05)
        tq = time.monotonic()
        while alive(pid) and time.monotonic() - tq < 30:
            time.sleep(POLL)
        if alive(pid):
            result["killed"] = True
            os.kill(pid, 9)
        result["quit_s"] = round(time.monotonic() - tq, 3)
    finally:
        tmux(sock, "kill-server", check=False)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
