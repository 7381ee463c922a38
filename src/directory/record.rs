//! Binary form of one [`Entry`] in `records.bin`. Decoding is bounds-checked:
//! a damaged record becomes an error, never a panic.

use super::codec::{Damaged, Reader, put_str, put_varint};
use super::model::{Activity, Entry, EntryKind, Mailbox, MailboxKind, Origin};

pub fn encode(e: &Entry, out: &mut Vec<u8>) {
    out.push(match e.kind {
        EntryKind::Practitioner => 0,
        EntryKind::Structure => 1,
    });
    for s in [
        &e.idnps,
        &e.national_id,
        &e.civility,
        &e.family_name,
        &e.given_name,
    ] {
        put_str(out, s);
    }
    put_varint(out, e.activities.len() as u64);
    for a in &e.activities {
        for s in activity_fields(a) {
            put_str(out, s);
        }
    }
    put_varint(out, e.mailboxes.len() as u64);
    for m in &e.mailboxes {
        out.push(match m.kind {
            MailboxKind::Personal => 0,
            MailboxKind::Organisational => 1,
            MailboxKind::Application => 2,
        });
        put_str(out, &m.address);
        put_str(out, &m.service);
    }
}

fn activity_fields(a: &Activity) -> [&String; 12] {
    [
        &a.profession_code,
        &a.profession,
        &a.category,
        &a.speciality_code,
        &a.speciality,
        &a.mode,
        &a.structure,
        &a.street,
        &a.postcode,
        &a.city,
        &a.department,
        &a.phone,
    ]
}

/// Upper bound on list lengths, so a damaged count cannot trigger a huge allocation.
const MAX_ITEMS: u64 = 10_000;

pub fn decode(buf: &[u8]) -> Result<Entry, Damaged> {
    let mut r = Reader::new(buf);
    let kind = match r.u8()? {
        0 => EntryKind::Practitioner,
        1 => EntryKind::Structure,
        _ => return Err(Damaged("unknown entry kind")),
    };
    let idnps = r.str()?.to_owned();
    let national_id = r.str()?.to_owned();
    let civility = r.str()?.to_owned();
    let family_name = r.str()?.to_owned();
    let given_name = r.str()?.to_owned();
    let n = r.varint()?;
    if n > MAX_ITEMS {
        return Err(Damaged("too many activities"));
    }
    let mut activities = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let mut a = Activity::default();
        for field in [
            &mut a.profession_code,
            &mut a.profession,
            &mut a.category,
            &mut a.speciality_code,
            &mut a.speciality,
            &mut a.mode,
            &mut a.structure,
            &mut a.street,
            &mut a.postcode,
            &mut a.city,
            &mut a.department,
            &mut a.phone,
        ] {
            *field = r.str()?.to_owned();
        }
        activities.push(a);
    }
    let n = r.varint()?;
    if n > MAX_ITEMS {
        return Err(Damaged("too many mailboxes"));
    }
    let mut mailboxes = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let kind = match r.u8()? {
            0 => MailboxKind::Personal,
            1 => MailboxKind::Organisational,
            2 => MailboxKind::Application,
            _ => return Err(Damaged("unknown mailbox kind")),
        };
        let address = r.str()?.to_owned();
        let service = r.str()?.to_owned();
        mailboxes.push(Mailbox {
            address,
            kind,
            service,
        });
    }
    Ok(Entry {
        kind,
        idnps,
        national_id,
        civility,
        family_name,
        given_name,
        activities,
        mailboxes,
        origin: Origin::Local,
    })
}
