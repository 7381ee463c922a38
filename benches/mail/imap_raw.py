#!/usr/bin/env python3
"""The server's own cost: how long Dovecot takes to serve one FETCH over implicit TLS.

A minimal client (ssl + socket, no parsing beyond finding the tagged reply and counting
"* n FETCH" lines) logs in, SELECTs the folder and sends one `UID FETCH 1:* (...)` with the
same items Cachet's sync asks for (src/mail/imap/conn.rs `fetch_envelopes`, with MODSEQ
since Dovecot offers CONDSTORE). Prints one JSON line: connect+login, select, fetch seconds,
bytes received and the number of FETCH responses. `--batch N` sends the same request as
Cachet does it instead (UID SEARCH ALL, then UID lists of N, newest first), to show what
the batching costs on the server side alone.
"""

import argparse
import json
import re
import socket
import ssl
import sys
import time

# The same list, in the same order, as HEADER_FIELDS in src/mail/imap/types.rs.
HEADER_FIELDS = ["Date", "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Message-ID",
                 "In-Reply-To", "References", "Disposition-Notification-To", "Return-Path",
                 "Content-Type", "X-MSS-CODECDA", "X-MSS-INS"]
CACHET_ITEMS = ("UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ("
                + " ".join(HEADER_FIELDS) + ")] MODSEQ")


class Conn:
    def __init__(self, host, port, ca):
        ctx = ssl.create_default_context(cafile=ca)
        raw = socket.create_connection((host, port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = ctx.wrap_socket(raw, server_hostname=host)
        self.buf = b""
        self.n = 0
        self.read_line()  # greeting

    def read_line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, text):
        """Sends one command and reads to its tagged reply without parsing the untagged data
        (literals included: a tag can only start a line, and the tail is scanned).
        Returns (bytes received, FETCH responses, untagged text when small)."""
        self.n += 1
        tag = b"b%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        end = b"\r\n" + tag + b" "
        fetch_re = re.compile(rb"\r\n\* \d+ FETCH")
        keep = 64  # bytes kept on a trim: longer than any marker searched for
        data = bytearray(b"\r\n" + self.buf)  # a tag or a FETCH can only start a line
        self.buf = b""
        received = fetches = start = 0
        trimmed = False
        while True:
            i = data.find(end, start)
            if i >= 0:
                j = data.find(b"\r\n", i + 2)
                if j >= 0:
                    status = bytes(data[i + 2:j])
                    fetches += len(fetch_re.findall(data, 0, i + 2))
                    body = b"" if trimmed else bytes(data[2:i + 2])
                    self.buf = bytes(data[j + 2:])
                    break
                start = i  # the tagged line has not fully arrived: look here again
            else:
                start = max(0, len(data) - len(end))
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("server closed the connection")
            received += len(chunk)
            data += chunk
            if i < 0 and len(data) > (8 << 20):  # keep memory flat on 100 MB answers
                cut = len(data) - keep
                fetches += sum(1 for m in fetch_re.finditer(data) if m.start() < cut)
                del data[:cut]
                start = 0
                trimmed = True
        if b" OK" not in status[:len(tag) + 4]:
            raise RuntimeError(f"{text.split()[0]}: {status.decode(errors='replace')}")
        return received, fetches, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--folder", default="INBOX")
    ap.add_argument("--items", default=CACHET_ITEMS)
    ap.add_argument("--batch", type=int, default=0)
    a = ap.parse_args()

    t0 = time.monotonic()
    c = Conn(a.host, a.port, a.ca)
    c.command(f'LOGIN "{a.user}" "{a.password}"')
    t1 = time.monotonic()
    c.command("ENABLE QRESYNC")
    c.command(f'SELECT "{a.folder}"')
    t2 = time.monotonic()
    if a.batch:
        _, _, body = c.command("UID SEARCH ALL")
        uids = sorted((int(x) for x in re.findall(rb"\d+", body.split(b"SEARCH", 1)[1])), reverse=True)
        received = fetches = 0
        for k in range(0, len(uids), a.batch):
            chunk = uids[k:k + a.batch]
            r, f, _ = c.command(f"UID FETCH {','.join(map(str, chunk))} ({a.items})")
            received += r
            fetches += f
    else:
        received, fetches, _ = c.command(f"UID FETCH 1:* ({a.items})")
    t3 = time.monotonic()
    c.command("LOGOUT")
    print(json.dumps({"login_s": round(t1 - t0, 4), "select_s": round(t2 - t1, 4),
                      "fetch_s": round(t3 - t2, 4), "total_s": round(t3 - t0, 4),
                      "bytes": received, "fetches": fetches, "batch": a.batch}))


if __name__ == "__main__":
    sys.exit(main())
