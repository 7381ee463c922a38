#!/usr/bin/env python3
"""Adds or removes the bench's extra messages over IMAPS (Python imaplib, the bench CA).

`append.py add N ...` appends N small messages to INBOX, marked `X-Cachet-Bench: warm`, so
that a following sync of a cached folder has new mail to bring (the warm sync of
scripts/bench-mail.sh); `append.py remove ...` deletes and expunges them again, so every run
starts from the same 100k folder.
"""

import argparse
import imaplib
import ssl
import time

ap = argparse.ArgumentParser()
ap.add_argument("action", choices=["add", "remove"])
ap.add_argument("count", type=int, nargs="?", default=10)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--ca", required=True)
ap.add_argument("--user", required=True)
ap.add_argument("--password", required=True)
a = ap.parse_args()

ctx = ssl.create_default_context(cafile=a.ca)
imap = imaplib.IMAP4_SSL("localhost", a.port, ssl_context=ctx)
imap.login(a.user, a.password)
if a.action == "add":
    for i in range(a.count):
        msg = (
            f"From: Dr Bench <bench-{i}@example.test>\r\n"
            f"To: {a.user}\r\n"
            f"Subject: arrivée {i} pendant la garde\r\n"
            f"Message-ID: <warm-{time.time_ns()}-{i}@example.test>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            "X-Cachet-Bench: warm\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Nouveau message pour la synchronisation incrémentale.\r\n"
        ).encode()
        imap.append("INBOX", None, None, msg)
else:
    imap.select("INBOX")
    typ, data = imap.uid("SEARCH", None, "HEADER", "X-Cachet-Bench", "warm")
    uids = data[0].split() if data and data[0] else []
    if uids:
        imap.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", "(\\Deleted)")
        imap.expunge()
imap.logout()
