#!/usr/bin/env python3
"""Writes N synthetic MSSanté-like messages straight into a Maildir `cur/` folder.

Used by scripts/bench-mail.sh (issue 5 benchmark). Fixed seed, so two runs with the same N
make the same mailbox. What it aims to look like, from a practitioner's inbox:
  * sizes: 70 % plain text (log-normal, median ~1.8 KB), 22 % multipart/alternative
    text + HTML (~5 KB), 8 % multipart/mixed with an attachment (PDF 10-120 KB, or an
    IHE_XDM.ZIP with the X-MSS-CODECDA header), all base64 as real mailers send them;
  * threads: about half the messages answer an earlier one (In-Reply-To + References,
    chains up to 12 deep), subjects "RE: ..." like real replies;
  * 600 correspondents, French names and subjects, some RFC 2047 encoded subjects,
    5 % with Disposition-Notification-To (read receipts are common on MSSanté);
  * flags: 92 % seen, 3 % flagged, 10 % answered; dates spread over three years, in
    order, and each file's mtime is its date (Dovecot's INTERNALDATE for Maildir).
File names carry increasing timestamps so Dovecot assigns UIDs in date order.
"""

import argparse
import base64
import math
import os
import random
import sys
import time

FIRST = ["Jeanne", "Pierre", "Marie", "Luc", "Camille", "Hélène", "Thomas", "Sophie", "Karim",
         "Nathalie", "Julien", "Claire", "François", "Inès", "Olivier", "Amélie", "Yann",
         "Céline", "Mathieu", "Élodie", "Nicolas", "Fatima", "Antoine", "Laure"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier"]
DOMAINS = ["medecin.mssante.fr", "chu-exemple.mssante.fr", "pharmacien.mssante.fr",
           "infirmier.mssante.fr", "labo-bio.mssante.fr", "clinique-exemple.mssante.fr",
           "ch-exemple.mssante.fr", "sage-femme.mssante.fr"]
SUBJECTS = ["Compte rendu de consultation", "Résultats d'analyses biologiques",
            "Lettre de liaison sortie d'hospitalisation", "Demande d'avis cardiologique",
            "Ordonnance renouvellement", "Compte rendu opératoire", "Résultat IRM lombaire",
            "Suivi post-opératoire", "Convocation RCP oncologie", "Bilan kinésithérapie",
            "Adressage patient", "Échographie obstétricale T2", "Compte rendu d'imagerie",
            "Réunion de service", "Planning des gardes", "Dossier patient à compléter"]
PATIENTS = ["DUPONT Marie", "MARTIN Paul", "NGUYEN Linh", "BENALI Sami", "ROUSSEAU Anne",
            "FABRE Louis", "COHEN Sarah", "MOREAU Jean", "DIALLO Awa", "PERRIN Luc"]
WORDS = ("patient patiente examen clinique traitement antécédents tension artérielle "
         "bilan biologique créatinine hémoglobine échographie contrôle rendez-vous semaines "
         "posologie comprimé matin soir surveillance évolution favorable douleur thoracique "
         "électrocardiogramme normal sinusal avis spécialisé hospitalisation sortie "
         "ordonnance kinésithérapie séances radiographie scanner injection allergie "
         "pénicilline diabète insuline glycémie HbA1c cholestérol statine anticoagulant "
         "confraternellement cher confrère chère consœur merci pour votre adressage").split()


def person(rng, i):
    f = FIRST[i % len(FIRST)]
    l = LAST[(i * 7) % len(LAST)]
    d = DOMAINS[(i * 13) % len(DOMAINS)]
    local = f"{f}.{l}".lower()
    for a, b in (("é", "e"), ("è", "e"), ("ç", "c"), ("ô", "o"), ("î", "i"), ("œ", "oe")):
        local = local.replace(a, b)
    return f"Dr {f} {l}", f"{local}{i // 24 or ''}@{d}"


def encode_word(s):
    """RFC 2047 B-encoding when the text is not ASCII (half the time), else raw UTF-8."""
    return "=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?="


def paragraph(rng, n_words):
    w = rng.choices(WORDS, k=n_words)
    w[0] = w[0].capitalize()
    out, line = [], []
    for word in w:
        line.append(word)
        if sum(len(x) + 1 for x in line) > 70:
            out.append(" ".join(line))
            line = []
    if line:
        out.append(" ".join(line))
    return "\r\n".join(out) + ".\r\n"


def text_body(rng, size):
    parts, total = ["Cher confrère,\r\n\r\n"], 0
    while total < size:
        p = paragraph(rng, rng.randint(20, 80))
        parts.append(p + "\r\n")
        total += len(p.encode()) + 2
    parts.append("Bien confraternellement,\r\n-- \r\nCabinet médical\r\n")
    return "".join(parts)


def b64_lines(blob):
    s = base64.b64encode(blob).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--to", default="bench@example.test")
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)
    cur = os.path.join(a.maildir, "cur")
    noise = os.urandom(256 * 1024)  # attachment bytes: sliced, never repeated whole
    people = [person(rng, i) for i in range(600)]
    start = int(time.mktime((2023, 11, 1, 8, 0, 0, 0, 0, -1)))
    span = 3 * 365 * 86400
    step = span / max(a.messages, 1)
    msgs = []  # (message_id, references, subject) of earlier messages, for replies
    t0 = time.monotonic()
    total_bytes = 0
    for n in range(a.messages):
        ts = int(start + n * step + rng.random() * step * 0.5)
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0100", time.gmtime(ts + 3600))
        name, addr = people[int(rng.paretovariate(1.2)) % len(people)]
        mid = f"<{rng.getrandbits(64):016x}.{n}@{addr.split('@')[1]}>"
        headers = [
            f"Return-Path: <{addr}>",
            f"Delivered-To: {a.to}",
            f"Received: from mx1.mssante.fr (mx1.mssante.fr [192.0.2.{n % 250 + 1}])\r\n"
            f"\tby imap.example.test with LMTP id {rng.getrandbits(48):012x}\r\n"
            f"\tfor <{a.to}>; {date}",
            f"Date: {date}",
            f"From: {encode_word(name) if rng.random() < 0.5 else name} <{addr}>",
            f"To: {a.to}",
        ]
        if rng.random() < 0.25:
            cc = [people[rng.randrange(len(people))][1] for _ in range(rng.randint(1, 4))]
            headers.append("Cc: " + ",\r\n\t".join(cc))
        if msgs and rng.random() < 0.5:
            # a reply: usually to something recent, sometimes to an old thread
            back = int(rng.expovariate(1 / 40)) if rng.random() < 0.9 else rng.randrange(len(msgs))
            pmid, prefs, psubj = msgs[max(0, len(msgs) - 1 - back)]
            refs = (prefs + [pmid])[-12:]
            subject = psubj if psubj.startswith("RE: ") else "RE: " + psubj
            headers.append(f"In-Reply-To: {pmid}")
            headers.append("References: " + "\r\n\t".join(refs))
        else:
            refs = []
            subject = f"{rng.choice(SUBJECTS)} {rng.choice(PATIENTS)}"
            if rng.random() < 0.3:
                subject += f" né(e) le {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1930, 2020)}"
        msgs.append((mid, refs, subject))
        headers.append("Subject: " + (encode_word(subject) if rng.random() < 0.4 else subject))
        headers.append(f"Message-ID: {mid}")
        if rng.random() < 0.05:
            headers.append(f"Disposition-Notification-To: <{addr}>")
        headers.append("MIME-Version: 1.0")
        headers.append("User-Agent: Mozilla Thunderbird")

        kind = rng.random()
        text = text_body(rng, int(math.exp(rng.gauss(math.log(1300), 0.8))))
        if kind < 0.70:
            headers.append("Content-Type: text/plain; charset=UTF-8; format=flowed")
            headers.append("Content-Transfer-Encoding: 8bit")
            body = text
        else:
            boundary = f"------------{rng.getrandbits(96):024x}"
            alt = kind < 0.92
            ctype = "multipart/alternative" if alt else "multipart/mixed"
            headers.append(f'Content-Type: {ctype};\r\n boundary="{boundary}"')
            parts = [f"--{boundary}\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n"
                     f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}"]
            if alt:
                html = "<html><body>" + "".join(
                    f"<p>{p}</p>" for p in text.split("\r\n\r\n")) + "</body></html>\r\n"
                parts.append(f"--{boundary}\r\nContent-Type: text/html; charset=UTF-8\r\n"
                             f"Content-Transfer-Encoding: 8bit\r\n\r\n{html}")
            else:
                size = int(min(120_000, max(10_000, rng.lognormvariate(math.log(30_000), 0.7))))
                off = rng.randrange(len(noise) - size) if size < len(noise) else 0
                blob = noise[off:off + size]
                if rng.random() < 0.35:
                    headers.append("X-MSS-CODECDA: 11488-4")
                    fname, mtype = "IHE_XDM.ZIP", "application/zip"
                else:
                    fname, mtype = f"CR_{n}.pdf", "application/pdf"
                parts.append(f'--{boundary}\r\nContent-Type: {mtype}; name="{fname}"\r\n'
                             f'Content-Disposition: attachment; filename="{fname}"\r\n'
                             f"Content-Transfer-Encoding: base64\r\n\r\n{b64_lines(blob)}")
            body = "This is a multi-part message in MIME format.\r\n" + "".join(parts) + f"--{boundary}--\r\n"

        # LF on disk, as Dovecot's own deliveries store it; W= is the CRLF size IMAP reports
        raw = ("\r\n".join(headers) + "\r\n\r\n" + body).replace("\r\n", "\n").encode()
        vsize = len(raw) + raw.count(b"\n")
        r = rng.random()
        flags = ("F" if r < 0.03 else "") + ("R" if rng.random() < 0.10 else "") + \
                ("S" if n < a.messages * 0.92 or rng.random() < 0.3 else "")
        fname = f"{ts}.M{n}P1.bench,S={len(raw)},W={vsize}:2,{''.join(sorted(flags))}"
        path = os.path.join(cur, fname)
        with open(path, "wb") as f:
            f.write(raw)
        os.utime(path, (ts, ts))
        total_bytes += len(raw)
        if n and n % 20000 == 0:
            print(f"gen: {n} messages, {total_bytes / 1e6:.0f} MB, {time.monotonic() - t0:.1f} s",
                  file=sys.stderr)
    print(f"gen: {a.messages} messages, {total_bytes / 1e6:.0f} MB in "
          f"{time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
