//! Local search: tokenizer + query language + hashed inverted index, on
//! messages generated with mail-builder, and the message-list filter.

use cachet::domain::envelope::{Address, Envelope, Flags, MailDate};
use cachet::mail::mime::{Limits, parse_message};
use cachet::mail::search::{
    DateRange, Field, HmacTermHasher, IndexDocument, MemoryPostings, MessageFilter, PostingStore,
    SearchIndex, TermHasher, parse_query,
};
use mail_builder::MessageBuilder;
use zeroize::Zeroizing;

const DAY: i64 = 86_400;
const JAN_1_2026: i64 = 1_767_225_600;

struct Sample {
    uid: u32,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
    subject: &'static str,
    body: &'static str,
    html: bool,
    day: i64,
}

const SAMPLES: &[Sample] = &[
    Sample {
        uid: 1,
        from: ("Dr Émile Martin", "emile.martin@chu.example.test"),
        to: ("Secrétariat Cardiologie", "cardio@clinique.example.test"),
        subject: "Compte rendu d'échographie cardiaque",
        body: "Bonjour, veuillez trouver le compte rendu de l'échographie. Fraction d'éjection normale.",
        html: false,
        day: 5,
    },
    Sample {
        uid: 2,
        from: ("Laboratoire Analyses", "labo@bio.example.test"),
        to: ("Dr Émile Martin", "emile.martin@chu.example.test"),
        subject: "Résultats biologiques",
        body: "<p>Hémoglobine glyquée <b>6,9 %</b>. Le <a href=\"https://bio.example.test/r\">rendu complet</a>.</p>",
        html: true,
        day: 20,
    },
    Sample {
        uid: 3,
        from: ("Robot Agenda", "noreply@agenda.example.test"),
        to: ("Dr Émile Martin", "emile.martin@chu.example.test"),
        subject: "RE: Rendez-vous annulé",
        body: "Le rendez-vous d'échographie du 12 est annulé. Compte tenu du délai, rappeler.",
        html: false,
        day: 40,
    },
];

fn raw(s: &Sample) -> Vec<u8> {
    let builder = MessageBuilder::new()
        .from(s.from)
        .to(s.to)
        .subject(s.subject)
        .message_id(format!("m{}@example.test", s.uid))
        .date(JAN_1_2026 + s.day * DAY + 3_600);
    let builder = if s.html {
        builder.html_body(s.body)
    } else {
        builder.text_body(s.body)
    };
    builder
        .write_to_vec()
        .unwrap_or_else(|e| panic!("mail-builder: {e}"))
}

fn secret(byte: u8) -> Zeroizing<[u8; 32]> {
    Zeroizing::new([byte; 32])
}

fn build_index(key: u8) -> SearchIndex<HmacTermHasher, MemoryPostings> {
    let mut index = SearchIndex::new(HmacTermHasher::new(&secret(key)), MemoryPostings::default());
    for s in SAMPLES {
        let msg = parse_message(&raw(s), &Limits::default())
            .unwrap_or_else(|e| panic!("sample {} does not parse: {e}", s.uid));
        index
            .index_document(&IndexDocument::from_message(s.uid, &msg))
            .unwrap_or_else(|e| panic!("indexing failed: {e}"));
    }
    index
}

fn search(index: &SearchIndex<HmacTermHasher, MemoryPostings>, q: &str) -> Vec<u32> {
    let query = parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    index.search(&query).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn plain_terms_search_every_field_and_the_body() {
    let index = build_index(1);
    assert_eq!(search(&index, "échographie"), [1, 3]);
    assert_eq!(search(&index, "ECHOGRAPHIE"), [1, 3]);
    assert_eq!(search(&index, "glyquée"), [2], "HTML body indexed as text");
    assert_eq!(search(&index, "martin"), [1, 2, 3], "names in from and to");
    assert_eq!(
        search(&index, "échographie annulé"),
        [3],
        "all terms must match"
    );
    assert_eq!(search(&index, "inexistant"), Vec::<u32>::new());
    assert_eq!(search(&index, ""), [1, 2, 3], "empty query lists all");
}

#[test]
fn field_prefixes_restrict_the_match() {
    let index = build_index(1);
    assert_eq!(search(&index, "from:martin"), [1]);
    assert_eq!(search(&index, "de:labo"), [2]);
    assert_eq!(search(&index, "to:martin"), [2, 3]);
    assert_eq!(search(&index, "to:cardio@clinique.example.test"), [1]);
    assert_eq!(search(&index, "subject:échographie"), [1]);
    assert_eq!(search(&index, "objet:rendez-vous"), [3]);
    assert_eq!(search(&index, "body:hémoglobine"), [2]);
    assert_eq!(search(&index, "subject:hémoglobine"), Vec::<u32>::new());
}

#[test]
fn phrases_need_adjacent_words() {
    let index = build_index(1);
    // "compte rendu" is adjacent in 1 only; 3 has "compte tenu" and 2 "rendu".
    assert_eq!(search(&index, "\"compte rendu\""), [1]);
    assert_eq!(search(&index, "compte rendu"), [1]);
    assert_eq!(search(&index, "\"rendu compte\""), Vec::<u32>::new());
    assert_eq!(search(&index, "subject:\"compte rendu\""), [1]);
}

#[test]
fn date_ranges_and_negation() {
    let index = build_index(1);
    assert_eq!(search(&index, "date:2026-01-01..2026-01-31"), [1, 2]);
    assert_eq!(search(&index, "date:2026-01-21"), [2]);
    assert_eq!(search(&index, "date:21/01/2026"), [2]);
    assert_eq!(search(&index, "date:2026-02-01.."), [3]);
    assert_eq!(search(&index, "date:..2026-01-06"), [1]);
    assert_eq!(search(&index, "échographie -from:robot"), [1]);
    assert_eq!(search(&index, "-martin"), Vec::<u32>::new());
    assert_eq!(
        search(
            &index,
            "to:martin date:2026-01-15..2026-03-01 -subject:rendez"
        ),
        [2]
    );
}

#[test]
fn removed_messages_are_never_found_and_refiling_adds_terms() {
    let mut index = build_index(1);
    index.remove(1).unwrap();
    assert_eq!(search(&index, "échographie"), [3]);
    assert_eq!(search(&index, "date:2026-01-06"), Vec::<u32>::new());
    assert_eq!(
        search(&index, ""),
        [2, 3],
        "an empty query lists the live ones"
    );
    assert!(
        !search(&index, "-martin").contains(&1),
        "nor does a negation bring a removed message back"
    );
    assert_eq!(index.store().document_count(), 2);
    // Filing the same UID again (its body once fetched) adds terms: a UID's
    // content never changes, so what it was filed under stays true.
    let doc = IndexDocument {
        uid: 3,
        body: "Compte rendu nouveau".into(),
        date: Some(JAN_1_2026),
        ..IndexDocument::default()
    };
    index.index_document(&doc).unwrap();
    assert_eq!(search(&index, "nouveau"), [3]);
    assert_eq!(search(&index, "échographie"), [3]);
    assert_eq!(search(&index, "date:2026-01-01"), [3]);
    assert_eq!(index.store().document_count(), 2);
}

/// The index holds only keyed hashes: no indexed word appears in any key or
/// in the store's debug dump, the keys are those of the secret, and another
/// secret gives an unrelated key set.
#[test]
fn the_index_never_contains_a_plaintext_term() {
    let index = build_index(1);
    let store = index.store();
    let words = [
        "echographie",
        "hemoglobine",
        "glyquee",
        "martin",
        "cardiologie",
        "rendez",
        "compte rendu",
    ];
    let dump = format!("{store:?}");
    for key in store.keys() {
        for w in words {
            assert!(
                !key.0.windows(w.len()).any(|win| win == w.as_bytes()),
                "{w} in a key"
            );
        }
    }
    for w in words {
        assert!(!dump.contains(w), "{w} in the store dump");
    }
    let hasher = HmacTermHasher::new(&secret(1));
    let expected = cachet::mail::search::TermKey(hasher.hash(Field::Body, "echographie"));
    assert!(store.keys().any(|k| *k == expected));
    assert_eq!(store.postings(&expected).unwrap(), [1, 3]);

    let other = build_index(2);
    let other_keys: std::collections::HashSet<_> = other.store().keys().collect();
    assert!(store.keys().all(|k| !other_keys.contains(k)));
    // A query through the wrong secret finds nothing in this store.
    let wrong = SearchIndex::new(HmacTermHasher::new(&secret(2)), store.clone());
    assert!(
        wrong
            .search(&parse_query("echographie").unwrap())
            .unwrap()
            .is_empty()
    );
}

fn envelope(from: &str, to: &str, day: i64, seen: bool, flagged: bool, att: bool) -> Envelope {
    Envelope {
        from: vec![Address {
            name: Some(from.into()),
            email: format!("{}@example.test", from.to_lowercase().replace(' ', ".")),
        }],
        to: vec![Address {
            name: None,
            email: to.into(),
        }],
        date: Some(MailDate {
            utc_seconds: JAN_1_2026 + day * DAY,
            offset_minutes: 60,
        }),
        flags: Flags {
            seen,
            flagged,
            ..Flags::default()
        },
        has_attachment: att,
        ..Envelope::default()
    }
}

#[test]
fn message_filter_applies_each_criterion() {
    let envs = vec![
        envelope(
            "Hélène Durand",
            "cardio@example.test",
            1,
            false,
            false,
            true,
        ),
        envelope("Paul Petit", "accueil@example.test", 10, true, true, false),
        envelope("Labo", "cardio@example.test", 30, true, false, true),
    ];
    let apply = |f: MessageFilter| f.apply(&envs);
    assert!(MessageFilter::default().is_empty());
    assert_eq!(apply(MessageFilter::default()), [0, 1, 2]);
    let unread = MessageFilter {
        unread_only: true,
        ..MessageFilter::default()
    };
    assert_eq!(apply(unread), [0]);
    let flagged = MessageFilter {
        flagged_only: true,
        ..MessageFilter::default()
    };
    assert_eq!(apply(flagged), [1]);
    let attachment = MessageFilter {
        with_attachment_only: true,
        ..MessageFilter::default()
    };
    assert_eq!(apply(attachment), [0, 2]);
    let from = MessageFilter {
        from: Some("HELENE".into()),
        ..MessageFilter::default()
    };
    assert_eq!(apply(from), [0], "accent- and case-insensitive");
    let to = MessageFilter {
        to: Some("cardio".into()),
        ..MessageFilter::default()
    };
    assert_eq!(apply(to), [0, 2]);
    let dated = MessageFilter {
        date: Some(DateRange::parse("2026-01-05..2026-01-31").unwrap()),
        with_attachment_only: true,
        ..MessageFilter::default()
    };
    assert_eq!(apply(dated), [2]);
}

#[test]
fn arbitrary_query_text_never_panics() {
    let mut rng = fastrand::Rng::with_seed(11);
    let alphabet: Vec<char> = "ab é:\"-.date:from:to:0123..//\u{1b}\u{202e}œ"
        .chars()
        .collect();
    let index = build_index(1);
    for _ in 0..5_000 {
        let text: String = (0..rng.usize(0..30))
            .map(|_| alphabet[rng.usize(0..alphabet.len())])
            .collect();
        if let Ok(query) = parse_query(&text) {
            let hits = index.search(&query).unwrap();
            assert!(hits.windows(2).all(|w| w[0] < w[1]), "{text:?}: {hits:?}");
        }
    }
}

#[test]
fn documents_from_envelopes_index_the_same_fields() {
    let raw = raw(&SAMPLES[0]);
    let msg = parse_message(&raw, &Limits::default()).unwrap();
    let from_message = IndexDocument::from_message(1, &msg);
    let from_envelope = IndexDocument::from_envelope(&msg.envelope(1), &from_message.body);
    assert_eq!(from_envelope, from_message);
}
