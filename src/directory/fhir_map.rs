//! Mapping of Annuaire Santé FHIR v2 search bundles to directory entries.
//! The JSON is untrusted: every field is optional, every access checked.

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Activity, Entry, EntryKind, Mailbox, MailboxKind, Origin};
use super::parse::department_of;

pub const IDNPS_SYSTEM: &str = "urn:oid:1.2.250.1.71.4.2.1";
pub const MSS_METADATA: &str = "as-ext-mailbox-mss-metadata";

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The `next` link of a searchset, if any.
pub fn next_link(bundle: &Value) -> Option<String> {
    arr(bundle, "link")
        .iter()
        .find(|l| s(l, "relation") == "next")
        .map(|l| s(l, "url").to_string())
        .filter(|u| !u.is_empty())
}

/// `Type/id` of a resource.
fn key_of(r: &Value) -> String {
    format!("{}/{}", s(r, "resourceType"), s(r, "id"))
}

/// A reference's `Type/id`, whether relative or absolute.
fn ref_key(reference: &str) -> String {
    let parts: Vec<&str> = reference.trim_end_matches('/').rsplitn(3, '/').collect();
    match parts.as_slice() {
        [id, ty, ..] => format!("{ty}/{id}"),
        _ => reference.to_string(),
    }
}

/// Entries for every Practitioner of the bundle (match or include).
pub fn bundle_entries(bundle: &Value) -> Result<Vec<Entry>, String> {
    let ty = s(bundle, "resourceType");
    if ty != "Bundle" {
        return Err(format!(
            "expected a FHIR Bundle, got {:?}",
            ty.chars().take(40).collect::<String>()
        ));
    }
    let mut practitioners = Vec::new();
    let mut roles = Vec::new();
    let mut orgs: HashMap<String, &Value> = HashMap::new();
    for e in arr(bundle, "entry") {
        let Some(r) = e.get("resource") else { continue };
        match s(r, "resourceType") {
            "Practitioner" => practitioners.push(r),
            "PractitionerRole" => roles.push(r),
            "Organization" => {
                orgs.insert(key_of(r), r);
            }
            _ => {}
        }
    }
    Ok(practitioners
        .into_iter()
        .map(|p| practitioner(p, &roles, &orgs))
        .collect())
}

fn practitioner(p: &Value, roles: &[&Value], orgs: &HashMap<String, &Value>) -> Entry {
    let mut idnps = String::new();
    let mut national = String::new();
    for id in arr(p, "identifier") {
        let code = id
            .get("type")
            .map(|t| arr(t, "coding"))
            .and_then(|c| c.first())
            .map_or("", |c| s(c, "code"));
        let value = s(id, "value");
        if code == "IDNPS" || s(id, "system") == IDNPS_SYSTEM {
            idnps = value.to_string();
        } else if code == "RPPS" || code == "ADELI" {
            national = value.to_string();
        }
    }
    if national.is_empty() && idnps.len() > 1 {
        national = idnps.get(1..).unwrap_or("").to_string();
    }
    let name = arr(p, "name").first();
    let family = name.map_or("", |n| s(n, "family")).to_string();
    let given = name
        .map(|n| {
            arr(n, "given")
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let civility = name
        .and_then(|n| arr(n, "prefix").first())
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut mailboxes = mailboxes_of(p, MailboxKind::Personal);
    let me = key_of(p);
    let mut activities = Vec::new();
    for r in roles {
        let target = r.get("practitioner").map_or("", |x| s(x, "reference"));
        if ref_key(target) != me {
            continue;
        }
        let coding = |field: &str| {
            arr(r, field)
                .first()
                .map(|c| arr(c, "coding"))
                .and_then(|c| c.first())
                .map_or(("", ""), |c| (s(c, "code"), s(c, "display")))
        };
        let (pc, pl) = coding("code");
        let (sc, sl) = coding("specialty");
        let mut a = Activity {
            profession_code: pc.to_string(),
            profession: pl.to_string(),
            speciality_code: sc.to_string(),
            speciality: sl.to_string(),
            ..Activity::default()
        };
        let org_ref = r.get("organization").map_or("", |x| s(x, "reference"));
        if let Some(org) = orgs.get(&ref_key(org_ref)) {
            a.structure = s(org, "name").to_string();
            if let Some(addr) = arr(org, "address").first() {
                a.street = arr(addr, "line")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ");
                a.postcode = s(addr, "postalCode").to_string();
                a.city = s(addr, "city").to_string();
                a.department = department_of(&a.postcode).to_string();
            }
            a.phone = arr(org, "telecom")
                .iter()
                .find(|t| s(t, "system") == "phone")
                .map_or("", |t| s(t, "value"))
                .to_string();
        }
        for m in mailboxes_of(r, MailboxKind::Personal) {
            if !mailboxes
                .iter()
                .any(|x: &Mailbox| x.address.eq_ignore_ascii_case(&m.address))
            {
                mailboxes.push(m);
            }
        }
        activities.push(a);
    }
    Entry {
        kind: EntryKind::Practitioner,
        idnps,
        national_id: national,
        civility,
        family_name: family,
        given_name: given,
        activities,
        mailboxes,
        origin: Origin::Online,
    }
}

/// MSSanté mailboxes among a resource's telecoms: e-mail entries carrying
/// the MSS metadata extension, or on an `mssante.fr` domain.
fn mailboxes_of(r: &Value, default: MailboxKind) -> Vec<Mailbox> {
    let mut out = Vec::new();
    for t in arr(r, "telecom") {
        let address = s(t, "value").trim();
        if s(t, "system") != "email" || !address.contains('@') {
            continue;
        }
        let meta = arr(t, "extension")
            .iter()
            .find(|e| s(e, "url").ends_with(MSS_METADATA));
        if meta.is_none() && !address.to_ascii_lowercase().ends_with(".mssante.fr") {
            continue;
        }
        let sub = |name: &str| {
            meta.map(|m| arr(m, "extension"))
                .unwrap_or(&[])
                .iter()
                .find(|e| s(e, "url") == name)
        };
        let kind = sub("type")
            .and_then(|e| {
                e.get("valueCodeableConcept")
                    .map(|c| arr(c, "coding"))
                    .and_then(|c| c.first())
                    .map(|c| s(c, "code"))
                    .or_else(|| e.get("valueCode").and_then(Value::as_str))
            })
            .and_then(MailboxKind::parse)
            .unwrap_or(default);
        let service = sub("service")
            .map_or("", |e| s(e, "valueString"))
            .to_string();
        out.push(Mailbox {
            address: address.to_string(),
            kind,
            service,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_practitioner_roles_organisation_and_mailboxes() {
        let bundle = serde_json::json!({
        "resourceType": "Bundle", "type": "searchset",
        "link": [{"relation": "next", "url": "http://x/fhir/Practitioner?_offset=2"}],
        "entry": [
            {"resource": {"resourceType": "Practitioner", "id": "p1",
                "identifier": [{"system": IDNPS_SYSTEM, "value": "810100000017"}],
                "name": [{"family": "MARTIN", "given": ["Alice"], "prefix": ["DR"]}],
                "telecom": [{"system": "email", "value": "alice.martin@medecin.mssante.fr",
                    "extension": [{"url": "https://x/as-ext-mailbox-mss-metadata",
                        "extension": [{"url": "type", "valueCodeableConcept": {"coding": [{"code": "PER"}]}}]}]},
                    {"system": "email", "value": "alice@gmail.com"}]}},
            {"resource": {"resourceType": "PractitionerRole", "id": "r1",
                "practitioner": {"reference": "Practitioner/p1"},
                "organization": {"reference": "https://x/fhir/Organization/o1"},
                "code": [{"coding": [{"code": "10", "display": "Médecin"}]}]}},
            {"resource": {"resourceType": "Organization", "id": "o1", "name": "CABINET MARTIN",
                "address": [{"line": ["3 RUE PASTEUR"], "postalCode": "69003", "city": "LYON"}]}}
        ]});
        assert_eq!(
            next_link(&bundle).as_deref(),
            Some("http://x/fhir/Practitioner?_offset=2")
        );
        let entries = bundle_entries(&bundle).unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e.idnps, "810100000017");
        assert_eq!(e.national_id, "10100000017");
        assert_eq!(e.family_name, "MARTIN");
        assert_eq!(
            e.mailboxes.len(),
            1,
            "the gmail address is not an MSSanté box"
        );
        assert_eq!(e.activities[0].structure, "CABINET MARTIN");
        assert_eq!(e.activities[0].department, "69");
        assert!(bundle_entries(&serde_json::json!({"resourceType": "OperationOutcome"})).is_err());
    }
}
