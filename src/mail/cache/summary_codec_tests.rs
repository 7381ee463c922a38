use super::*;

fn full() -> Envelope {
    Envelope {
        uid: 4_000_000_001,
        message_id: Some("m1@hopital.test".into()),
        in_reply_to: Some("m0@hopital.test".into()),
        references: vec!["r0@x".into(), "m0@hopital.test".into()],
        from: vec![Address {
            name: Some("Dr Émile Lefèvre".into()),
            email: "e.lefevre@hopital.mssante.fr".into(),
        }],
        to: vec![
            Address {
                name: None,
                email: "a@x.test".into(),
            },
            Address {
                name: Some(String::new()),
                email: "b@x.test".into(),
            },
        ],
        cc: Vec::new(),
        date: Some(MailDate {
            utc_seconds: -86_400,
            offset_minutes: -570,
        }),
        subject: "Compte rendu \u{202e} bilan".into(),
        size: u64::MAX,
        flags: Flags {
            seen: true,
            answered: false,
            flagged: true,
            deleted: false,
            draft: true,
            keywords: vec!["$MDNSent".into(), "Urgent".into()],
        },
        has_attachment: true,
        receipt_requested: false,
        is_report: true,
    }
}

#[test]
fn every_field_comes_back() {
    for env in [full(), Envelope::default()] {
        let bytes = encode(&env);
        assert_eq!(bytes[0], VERSION);
        assert_eq!(decode(&bytes).unwrap(), env);
        assert_eq!(thread_key(&bytes).unwrap(), ThreadKey::of(&env));
    }
    // each mark on its own
    for n in 0..8 {
        let mut env = Envelope::default();
        let marks = [
            &mut env.flags.seen,
            &mut env.flags.answered,
            &mut env.flags.flagged,
            &mut env.flags.deleted,
            &mut env.flags.draft,
            &mut env.has_attachment,
            &mut env.receipt_requested,
            &mut env.is_report,
        ];
        for (i, m) in marks.into_iter().enumerate() {
            *m = i == n;
        }
        assert_eq!(decode(&encode(&env)).unwrap(), env);
    }
}

#[test]
fn summaries_written_as_json_by_earlier_versions_are_read() {
    let env = full();
    let json = serde_json::to_vec(&env).unwrap();
    assert_eq!(decode(&json).unwrap(), env);
    assert_eq!(thread_key(&json).unwrap(), ThreadKey::of(&env));
    // and the binary form is much smaller
    assert!(encode(&env).len() * 2 < json.len());
}

#[test]
fn damaged_records_are_corrupt_never_a_panic() {
    let bytes = encode(&full());
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(decode(&longer), Err(Error::Corrupt { .. })));
    assert!(matches!(decode(&[7, 1, 2]), Err(Error::Corrupt { .. })));
    // a huge count is refused before anything is reserved
    let env = Envelope {
        references: vec!["r".into()],
        ..Envelope::default()
    };
    let mut bytes = encode(&env);
    // version, uid, size, marks, no date, no ids, empty subject: 21 bytes
    let at = 1 + 4 + 8 + 1 + 1 + 1 + 1 + 4;
    assert_eq!(&bytes[at..at + 4], &1u32.to_le_bytes());
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(decode(&bytes), Err(Error::Corrupt { .. })));
    // every single-byte change decodes to something or to an error
    let bytes = encode(&full());
    for at in 0..bytes.len() {
        for value in [0u8, 1, 0x7f, 0xff] {
            let mut changed = bytes.clone();
            changed[at] = value;
            let _ = decode(&changed);
        }
    }
}
