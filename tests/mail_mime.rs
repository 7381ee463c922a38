//! MIME parsing and rendering behaviours on generated messages (no real data).

use cachet::domain::text::{Block, RichText, is_terminal_safe};
use cachet::mail::mime::{
    DispositionKind, DsnAction, Error, Limits, PartBody, Report, envelope_from_bytes, parse_message,
};
use cachet::mail::render::{
    HeaderBlock, Labels, Preference, RenderOptions, render_message, render_message_with_links,
};

fn parse(raw: &str) -> cachet::mail::mime::ParsedMessage {
    parse_message(raw.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("message does not parse: {e}"))
}

fn render(raw: &[u8], options: &RenderOptions) -> RichText {
    let msg = parse_message(raw, &Limits::default())
        .unwrap_or_else(|e| panic!("message does not parse: {e}"));
    render_message(&msg, options)
}

fn text_of(doc: &RichText) -> String {
    doc.to_plain_string(100)
}

/// Every span terminal-safe and no ESC anywhere.
fn assert_safe(doc: &RichText) {
    for block in &doc.blocks {
        if let Block::Line(line) = block {
            for span in &line.spans {
                assert!(
                    is_terminal_safe(span.text()),
                    "unsafe span {:?}",
                    span.text()
                );
                assert!(!span.text().contains('\u{1b}'));
            }
        }
    }
}

#[test]
fn rfc2047_subject_and_names_are_decoded() {
    let msg = parse(
        "From: =?UTF-8?Q?Dr_=C3=89milie_Test?= <emilie@example.test>\r\n\
         To: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.test>\r\n\
         Subject: =?UTF-8?B?UsOpc3VsdGF0cyBkJ2FuYWx5c2U=?=\r\n\
         Date: Sat, 31 Jan 2026 15:05:00 +0100\r\n\
         Message-ID: <m1@example.test>\r\n\r\nCorps\r\n",
    );
    assert_eq!(msg.headers.subject.as_deref(), Some("Résultats d'analyse"));
    assert_eq!(msg.headers.from[0].name.as_deref(), Some("Dr Émilie Test"));
    assert_eq!(msg.headers.to[0].name.as_deref(), Some("François"));
    assert_eq!(msg.headers.message_id.as_deref(), Some("m1@example.test"));
    let date = msg.headers.date.expect("date");
    assert_eq!(date.utc_seconds, 1_769_868_300);
    assert_eq!(date.offset_minutes, 60);
}

#[test]
fn rfc2231_filename_is_decoded() {
    let msg = parse(
        "From: a@example.test\r\nSubject: pj\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nVoir pièce jointe.\r\n\
         --b\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename*=UTF-8''compte%20rendu%20%C3%A9chographie.pdf\r\n\
         Content-Transfer-Encoding: base64\r\nContent-ID: <pdf1@example.test>\r\n\r\n\
         JVBERi0xLjQK\r\n--b--\r\n",
    );
    let atts = msg.attachments();
    assert_eq!(atts.len(), 1);
    assert_eq!(
        atts[0].filename.as_deref(),
        Some("compte rendu échographie.pdf")
    );
    assert_eq!(atts[0].content_type, "application/pdf");
    assert_eq!(atts[0].content_id.as_deref(), Some("pdf1@example.test"));
    assert_eq!(msg.blob(atts[0].blob), Some(&b"%PDF-1.4\n"[..]));
    assert_eq!(atts[0].size, 9);
    let env = msg.envelope(5);
    assert!(env.has_attachment);
    assert_eq!(env.uid, 5);
}

#[test]
fn rfc2047_filename_in_name_parameter_is_decoded() {
    let msg = parse(
        "From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: application/octet-stream; name=\"=?UTF-8?Q?ordonnance_=C3=A9t=C3=A9.txt?=\"\r\n\r\n\
         abc\r\n--b--\r\n",
    );
    assert_eq!(
        msg.attachments()[0].filename.as_deref(),
        Some("ordonnance été.txt")
    );
}

#[test]
fn latin1_and_cp1252_bodies_are_decoded() {
    let mut raw = b"From: a@example.test\r\nSubject: latin\r\n\
        Content-Type: text/plain; charset=iso-8859-1\r\n\
        Content-Transfer-Encoding: 8bit\r\n\r\nD\xe9j\xe0 vu \xe0 l'h\xf4pital\r\n"
        .to_vec();
    let msg = parse_message(&raw, &Limits::default()).unwrap();
    let PartBody::Text { text, .. } = &msg.root.body else {
        panic!("text body expected")
    };
    assert!(text.contains("Déjà vu à l'hôpital"), "{text:?}");

    // No charset at all and Windows-1252 bytes (the euro sign, curly quote).
    raw = b"From: a@example.test\r\nSubject: Fr\xe9quence\r\n\r\nCo\xfbt : 25 \x80 \x92ok\x92\r\n"
        .to_vec();
    let msg = parse_message(&raw, &Limits::default()).unwrap();
    let PartBody::Text {
        text,
        charset_fallback,
        ..
    } = &msg.root.body
    else {
        panic!("text body expected")
    };
    assert!(text.contains("Coût : 25 € \u{2019}ok\u{2019}"), "{text:?}");
    assert!(*charset_fallback);
    assert_eq!(msg.headers.subject.as_deref(), Some("Fréquence"));

    // Quoted-printable with a wrong "utf-8" label on Latin-1 bytes.
    let raw = b"From: a@example.test\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\nr=E9sultat=20normal\r\n";
    let msg = parse_message(raw, &Limits::default()).unwrap();
    let PartBody::Text { text, .. } = &msg.root.body else {
        panic!("text body expected")
    };
    assert!(text.contains("résultat normal"), "{text:?}");
}

#[test]
fn format_flowed_is_reflowed_with_quote_levels() {
    let doc = render(
        b"From: a@example.test\r\nSubject: flowed\r\n\
          Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n\
          Le patient est  \r\nsorti ce ma \r\ntin.\r\n> Merci pour  \r\n> le suivi.\r\n>> Ancien\r\n",
        &RenderOptions::default(),
    );
    let text = text_of(&doc);
    assert!(
        text.contains("\nLe patient est sorti ce matin.\n"),
        "{text}"
    );
    assert!(text.contains("> Merci pour le suivi."), "{text}");
    let quote_levels: Vec<u8> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Line(l) => l.spans.iter().find_map(|s| match s.emphasis {
                cachet::domain::text::Emphasis::Quote(n) => Some(n),
                _ => None,
            }),
            _ => None,
        })
        .collect();
    assert_eq!(quote_levels, [1, 2]);
}

#[test]
fn html_is_converted_with_links_listed() {
    let raw = b"From: a@example.test\r\nSubject: html\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n\
        --x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVersion texte.\r\n\
        --x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <html><body><p>Consultez <a href=\"https://portail.example.test/cr\">le compte rendu</a>.</p>\
        <script>alert(1)</script></body></html>\r\n--x--\r\n";
    let plain = text_of(&render(raw, &RenderOptions::default()));
    assert!(plain.contains("Version texte."), "{plain}");
    assert!(!plain.contains("Consultez"), "{plain}");

    let options = RenderOptions {
        prefer: Preference::Html,
        ..RenderOptions::default()
    };
    let html = text_of(&render(raw, &options));
    let msg = parse_message(raw, &Limits::default()).unwrap();
    let rendered = render_message_with_links(&msg, &options);
    assert_eq!(rendered.links, ["https://portail.example.test/cr"]);
    assert!(html.contains("Consultez le compte rendu[1]"), "{html}");
    assert!(html.contains("Liens"), "{html}");
    assert!(
        html.contains("[1] https://portail.example.test/cr"),
        "{html}"
    );
    assert!(!html.contains("Version texte."), "{html}");
    assert!(!html.contains("alert(1)"), "{html}");
}

const MDN: &str = "From: dr.b@example.test\r\nTo: dr.a@example.test\r\n\
Subject: Accusé de lecture\r\nDate: Sat, 31 Jan 2026 15:05:00 +0100\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVotre message a été lu.\r\n\
--r\r\nContent-Type: message/disposition-notification\r\n\r\n\
Reporting-UA: lps.example.test; Test\r\nFinal-Recipient: rfc822; dr.b@example.test\r\n\
Original-Message-ID: <orig-42@example.test>\r\n\
Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n\
--r\r\nContent-Type: message/rfc822\r\n\r\n\
From: dr.a@example.test\r\nTo: dr.b@example.test\r\nSubject: Compte rendu\r\nMessage-ID: <orig-42@example.test>\r\n\r\nTexte d'origine.\r\n\
--r--\r\n";

#[test]
fn mdn_is_rendered_as_a_receipt() {
    let msg = parse(MDN);
    assert!(msg.is_report());
    let Some(Report::Read(mdn)) = msg.report() else {
        panic!("read report expected: {:?}", msg.report())
    };
    assert_eq!(
        mdn.original_message_id.as_deref(),
        Some("orig-42@example.test")
    );
    assert_eq!(
        mdn.disposition.as_ref().map(|d| &d.kind),
        Some(&DispositionKind::Displayed)
    );
    assert!(msg.envelope(1).is_report);

    let fr = text_of(&render_message(&msg, &RenderOptions::default()));
    assert!(
        fr.contains("Lu le 31/01/2026 15:05 (+01:00) par dr.b@example.test"),
        "{fr}"
    );
    assert!(fr.contains("<orig-42@example.test>"), "{fr}");
    assert!(fr.contains("Message joint"), "{fr}");
    assert!(fr.contains("Texte d'origine."), "{fr}");
    assert!(!fr.contains("Reporting-UA"), "{fr}");
    let en = text_of(&render_message(
        &msg,
        &RenderOptions {
            labels: Labels::ENGLISH,
            ..RenderOptions::default()
        },
    ));
    assert!(en.contains("Read on 2026-01-31 15:05"), "{en}");
}

#[test]
fn dsn_failure_is_extracted_and_shown() {
    let msg = parse(
        "From: MAILER-DAEMON@mx.example.test\r\nTo: dr.a@example.test\r\nSubject: Undelivered\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\r\n\r\n\
         --d\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
         --d\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.example.test\r\n\r\n\
         Final-Recipient: rfc822; inconnu@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n\
         --d\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Lettre de liaison\r\n\r\n--d--\r\n",
    );
    let Some(Report::Delivery(dsn)) = msg.report() else {
        panic!("delivery report expected")
    };
    assert_eq!(dsn.recipients.len(), 1);
    assert_eq!(dsn.recipients[0].action, DsnAction::Failed);
    assert_eq!(dsn.recipients[0].status.as_deref(), Some("5.1.1"));
    let text = text_of(&render_message(&msg, &RenderOptions::default()));
    assert!(
        text.contains("Échec : inconnu@example.test (5.1.1 — 550 5.1.1 User unknown)"),
        "{text}"
    );
    assert!(text.contains("Subject: Lettre de liaison"), "{text}");
}

#[test]
fn attached_message_is_shown_inline_and_indented() {
    let doc = render(
        b"From: a@example.test\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
          --m\r\nContent-Type: text/plain\r\n\r\nJe transf\xc3\xa8re.\r\n\
          --m\r\nContent-Type: message/rfc822\r\n\r\n\
          From: =?UTF-8?Q?Labo_=C3=89chantillon?= <labo@example.test>\r\nSubject: =?UTF-8?Q?R=C3=A9sultat?=\r\n\r\nGlyc\xc3\xa9mie normale.\r\n\
          --m--\r\n",
        &RenderOptions::default(),
    );
    let text = text_of(&doc);
    assert!(text.contains("Je transfère."), "{text}");
    assert!(
        text.contains("│ De : Labo Échantillon <labo@example.test>"),
        "{text}"
    );
    assert!(text.contains("│ Glycémie normale."), "{text}");
    assert!(text.contains("│ Objet : Résultat"), "{text}");
}

#[test]
fn receipt_request_is_seen_in_the_envelope() {
    let env = envelope_from_bytes(
        3,
        b"From: a@example.test\r\nDisposition-Notification-To: a@example.test\r\n\
          In-Reply-To: <p@example.test>\r\nReferences: <r@example.test> <p@example.test>\r\n\r\nx\r\n",
        &Limits::default(),
    )
    .unwrap();
    assert!(env.receipt_requested);
    assert_eq!(env.in_reply_to.as_deref(), Some("p@example.test"));
    assert_eq!(env.references, ["r@example.test", "p@example.test"]);
    assert!(!env.has_attachment);
}

#[test]
fn escape_sequences_and_bidi_overrides_are_neutralised() {
    let raw = "From: \u{1b}]0;pwned\u{7} <evil@example.test>\r\n\
        Subject: Urgent \u{1b}[2J\u{1b}[31mrouge\u{9b}1m\r\n\
        Content-Type: multipart/mixed; boundary=h\r\n\r\n\
        --h\r\nContent-Type: text/plain\r\n\r\nTexte \u{1b}[5m clignotant\u{7}\r\n\
        --h\r\nContent-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename=\"facture\u{202e}fdp.exe\"\r\n\r\nMZ\r\n\
        --h\r\nContent-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename*=utf-8''a%1B%5B2Jb.txt\r\n\r\nx\r\n--h--\r\n";
    let msg = parse(raw);
    for options in [
        RenderOptions::default(),
        RenderOptions {
            headers: HeaderBlock::Full,
            ..RenderOptions::default()
        },
    ] {
        let doc = render_message(&msg, &options);
        assert_safe(&doc);
        let text = text_of(&doc);
        assert!(text.contains("facture⟦U+202E⟧fdp.exe"), "{text}");
        assert!(text.contains("rouge"), "{text}");
    }
}

#[test]
fn deep_nesting_is_refused_with_a_clear_error() {
    let depth = 10_000;
    let mut raw = String::from("From: a@example.test\r\n");
    for i in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nfond\r\n");
    for i in (0..depth).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    let err = parse_message(raw.as_bytes(), &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::TooDeep { limit: 128 }), "{err:?}");
    assert!(err.to_string().contains("128 levels"));

    // Nested attached messages hit the same bound.
    let mut raw = String::new();
    for _ in 0..200 {
        raw.push_str("From: a@example.test\r\nContent-Type: message/rfc822\r\n\r\n");
    }
    raw.push_str("From: z@example.test\r\n\r\nfin\r\n");
    match parse_message(raw.as_bytes(), &Limits::default()) {
        Err(Error::TooDeep { .. }) => {}
        Ok(msg) => assert_safe(&render_message(&msg, &RenderOptions::default())),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ten_thousand_parts_are_refused() {
    let mut raw =
        String::from("From: a@example.test\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n");
    for i in 0..10_000 {
        raw.push_str(&format!(
            "--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
        ));
    }
    raw.push_str("--p--\r\n");
    let err = parse_message(raw.as_bytes(), &Limits::default()).unwrap_err();
    assert!(
        matches!(err, Error::TooManyParts { limit: 2000 }),
        "{err:?}"
    );
    // A caller that accepts more can still read it.
    let limits = Limits {
        max_parts: 20_000,
        ..Limits::default()
    };
    let msg = parse_message(raw.as_bytes(), &limits).unwrap();
    let PartBody::Multipart { children, .. } = &msg.root.body else {
        panic!("multipart expected")
    };
    assert_eq!(children.len(), 10_000);
}

#[test]
fn huge_headers_and_messages_are_bounded() {
    let raw = format!(
        "From: a@example.test\r\nX-Big: {}\r\n\r\nbody\r\n",
        "a".repeat(600 * 1024)
    );
    assert!(matches!(
        parse_message(raw.as_bytes(), &Limits::default()),
        Err(Error::HeadersTooLarge { .. })
    ));
    let small = Limits {
        max_message_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        parse_message(b"From: a@example.test\r\n\r\nbody", &small),
        Err(Error::TooLarge { limit: 10, .. })
    ));
}

#[test]
fn full_headers_option_lists_every_field() {
    let msg = parse("From: a@example.test\r\nX-MSS-INS: O\r\nSubject: s\r\n\r\nb\r\n");
    let short = text_of(&render_message(&msg, &RenderOptions::default()));
    assert!(!short.contains("X-MSS-INS"), "{short}");
    let full = text_of(&render_message(
        &msg,
        &RenderOptions {
            headers: HeaderBlock::Full,
            ..RenderOptions::default()
        },
    ));
    assert!(full.contains("X-MSS-INS: O"), "{full}");
}

#[test]
fn attachments_are_listed_with_name_type_and_size() {
    let text = text_of(&render(
        b"From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
          --b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n\
          --b\r\nContent-Type: application/zip; name=IHE_XDM.ZIP\r\nContent-Transfer-Encoding: base64\r\n\r\n\
          UEsDBAoAAAAAAA==\r\n--b--\r\n",
        &RenderOptions::default(),
    ));
    assert!(text.contains("Pièces jointes (1)"), "{text}");
    assert!(
        text.contains("[1] IHE_XDM.ZIP  application/zip — 10 o"),
        "{text}"
    );
}

#[test]
fn nesting_just_under_the_limit_still_renders() {
    // Depth is bounded so that the walk, the renderer and the HTML converter
    // all fit a default 2 MiB test thread stack at the limit.
    let depth = Limits::default().max_depth - 1;
    let mut raw = String::from("From: a@example.test\r\n");
    for i in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str(
        "Content-Type: text/html\r\n\r\n<p>fond <a href=\"https://x.test\">lien</a></p>\r\n",
    );
    for i in (0..depth).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    let msg = parse_message(raw.as_bytes(), &Limits::default()).unwrap();
    let text = text_of(&render_message(&msg, &RenderOptions::default()));
    assert!(text.contains("fond lien[1]"), "{text}");
}

#[test]
fn receipt_requests_ask_the_user_unless_return_path_matches() {
    let automatic = parse(
        "Return-Path: <dr.a@example.test>\r\nFrom: dr.a@example.test\r\n\
         Disposition-Notification-To: Dr A <DR.A@example.test>\r\n\r\nx\r\n",
    );
    let request = automatic.receipt_request().unwrap();
    assert_eq!(request.notify[0].email, "DR.A@example.test");
    assert!(!request.must_ask_user);

    let foreign = parse(
        "Return-Path: <dr.a@example.test>\r\nFrom: dr.a@example.test\r\n\
         Disposition-Notification-To: tracker@elsewhere.test\r\n\r\nx\r\n",
    );
    assert!(foreign.receipt_request().unwrap().must_ask_user);

    let no_return_path = parse(
        "From: dr.a@example.test\r\nDisposition-Notification-To: dr.a@example.test\r\n\r\nx\r\n",
    );
    assert!(no_return_path.receipt_request().unwrap().must_ask_user);

    assert!(
        parse("From: a@example.test\r\n\r\nx\r\n")
            .receipt_request()
            .is_none()
    );
}

#[test]
fn a_note_instead_of_an_attached_message_is_shown_as_text() {
    let text = text_of(&render(
        "From: a@example.test\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n\
         --z\r\nContent-Type: text/plain\r\n\r\nAvant.\r\n\
         --z\r\nContent-Type: message/rfc822\r\n\r\nIci apparaît le message d’origine.\r\n--z--\r\n"
            .as_bytes(),
        &RenderOptions::default(),
    ));
    assert!(
        text.contains("Ici apparaît le message d’origine."),
        "{text}"
    );
}

#[test]
fn signature_is_muted_and_html_entities_cannot_smuggle_escapes() {
    let doc = render(
        b"From: a@example.test\r\n\r\nCorps\r\n-- \r\nDr A\r\nCabinet\r\n",
        &RenderOptions::default(),
    );
    let muted: Vec<String> = doc
        .layout(80)
        .iter()
        .filter(|l| {
            l.spans
                .iter()
                .all(|s| s.emphasis == cachet::domain::text::Emphasis::Muted)
                && !l.spans.is_empty()
        })
        .map(|l| l.to_plain_string())
        .collect();
    assert!(muted.contains(&"Dr A".to_string()), "{muted:?}");
    assert!(!muted.contains(&"Corps".to_string()), "{muted:?}");

    let options = RenderOptions {
        prefer: Preference::Html,
        ..RenderOptions::default()
    };
    let doc = render(
        b"From: a@example.test\r\nContent-Type: text/html\r\n\r\n\
          <p>a&#27;[2Jb &#x9b;31m c&#x202e;gpj.exe <a href=\"https://x.test/&#27;[0m\">l</a></p>\r\n",
        &options,
    );
    assert_safe(&doc);
    let text = text_of(&doc);
    assert!(text.contains("⟦U+202E⟧"), "{text}");
}

#[test]
fn hidden_header_block_leaves_only_the_body() {
    let msg = parse("From: a@example.test\r\nSubject: Caché\r\n\r\nSeul le corps.\r\n");
    let doc = render_message(
        &msg,
        &RenderOptions {
            headers: HeaderBlock::Hidden,
            ..RenderOptions::default()
        },
    );
    assert_eq!(text_of(&doc), "Seul le corps.\n");
}

#[test]
fn urls_in_plain_text_join_the_numbered_links() {
    let msg = parse(
        "From: a@example.test\r\n\r\nRésultats sur https://portail.example.test/r/42.\r\n\
         > ancien lien http://old.example.test\r\n",
    );
    let rendered = render_message_with_links(&msg, &RenderOptions::default());
    assert_eq!(
        rendered.links,
        [
            "https://portail.example.test/r/42",
            "http://old.example.test"
        ]
    );
    let text = text_of(&rendered.text);
    assert!(
        text.contains("Résultats sur https://portail.example.test/r/42."),
        "{text}"
    );
    assert!(text.contains("[2] http://old.example.test"), "{text}");
}
