//! Reads the CDA header (everything before `component`) into [`Header`].
//! Missing or malformed header parts become `None`: a header is displayed,
//! and a partly filled one is still worth showing.

use crate::records::ins::{IdentityTraits, Sex};
use crate::records::xml::{Element, collapse_whitespace};

use super::model::{Author, Code, Header, InstanceId, Patient, PersonName};

pub fn read_header(root: &Element) -> Header {
    Header {
        id: root.child("id").and_then(instance_id),
        set_id: root.child("setId").and_then(instance_id),
        version: root.child("versionNumber").and_then(|v| attr(v, "value")),
        title: root
            .child("title")
            .map(|t| t.text())
            .filter(|t| !t.is_empty()),
        code: root.child("code").and_then(code),
        effective_time: root.child("effectiveTime").and_then(|t| attr(t, "value")),
        confidentiality: root.child("confidentialityCode").and_then(code),
        language: root.child("languageCode").and_then(|l| attr(l, "code")),
        patient: root
            .path(&["recordTarget", "patientRole"])
            .map(patient)
            .unwrap_or_default(),
        authors: root.children_named("author").map(author).collect(),
        custodian: root
            .path(&[
                "custodian",
                "assignedCustodian",
                "representedCustodianOrganization",
                "name",
            ])
            .map(|n| n.text())
            .filter(|n| !n.is_empty()),
        legal_authenticator: root
            .path(&[
                "legalAuthenticator",
                "assignedEntity",
                "assignedPerson",
                "name",
            ])
            .map(person_name),
        legal_authentication_time: root
            .path(&["legalAuthenticator", "time"])
            .and_then(|t| attr(t, "value")),
    }
}

fn attr(e: &Element, name: &str) -> Option<String> {
    e.attr(name)
        .map(collapse_whitespace)
        .filter(|v| !v.is_empty())
}

pub fn instance_id(e: &Element) -> Option<InstanceId> {
    Some(InstanceId {
        root: attr(e, "root")?,
        extension: attr(e, "extension"),
    })
}

pub fn code(e: &Element) -> Option<Code> {
    Some(Code {
        code: attr(e, "code")?,
        system: attr(e, "codeSystem"),
        display: attr(e, "displayName"),
    })
}

pub fn person_name(name: &Element) -> PersonName {
    let mut out = PersonName::default();
    for part in name.elements() {
        let text = part.text();
        if text.is_empty() {
            continue;
        }
        match (part.name.as_str(), part.attr("qualifier")) {
            ("prefix", _) => out.prefix = Some(text),
            ("family", Some("SP" | "CL")) => out.used_family = Some(text),
            ("family", Some("BR")) => out.family = Some(text),
            ("family", _) if out.family.is_none() => out.family = Some(text),
            // French headers repeat the first name with qualifiers (BR, CL):
            // keep the unqualified list, falling back to the qualified ones.
            ("given", Some("CL")) => out.used_given = Some(text),
            ("given", None) => out.given.push(text),
            ("given", Some(_)) if !out.given.contains(&text) && out.given.is_empty() => {
                out.given.push(text)
            }
            _ => {}
        }
    }
    // A name given as bare text (`<name>Dr Martin</name>`).
    if out.is_empty() {
        let text = name.text();
        if !text.is_empty() {
            out.family = Some(text);
        }
    }
    out
}

fn patient(role: &Element) -> Patient {
    let person = role.child("patient");
    let name = person
        .and_then(|p| p.child("name"))
        .map(person_name)
        .unwrap_or_default();
    let traits = IdentityTraits {
        birth_name: name.family.clone(),
        first_names: person
            .and_then(|p| p.child("name"))
            .map(|n| {
                // The birth first names: the unqualified `given` that lists them all.
                n.children_named("given")
                    .filter(|g| g.attr("qualifier").is_none())
                    .flat_map(|g| g.text().split(' ').map(str::to_string).collect::<Vec<_>>())
                    .filter(|g| !g.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        birth_date: person
            .and_then(|p| p.child("birthTime"))
            .and_then(|t| attr(t, "value")),
        sex: person
            .and_then(|p| p.child("administrativeGenderCode"))
            .and_then(|g| g.attr("code"))
            .and_then(Sex::from_hl7),
        birth_place_code: person
            .and_then(|p| p.path(&["birthplace", "place", "addr", "county"]))
            .map(|c| c.text())
            .filter(|c| !c.is_empty()),
    };
    Patient {
        ids: role.children_named("id").filter_map(instance_id).collect(),
        name,
        traits,
    }
}

fn author(a: &Element) -> Author {
    let assigned = a.child("assignedAuthor");
    Author {
        time: a.child("time").and_then(|t| attr(t, "value")),
        id: assigned.and_then(|x| x.child("id")).and_then(instance_id),
        name: assigned
            .and_then(|x| x.path(&["assignedPerson", "name"]))
            .map(person_name)
            .unwrap_or_default(),
        specialty: assigned.and_then(|x| x.child("code")).and_then(code),
        device: assigned
            .and_then(|x| x.path(&["assignedAuthoringDevice", "softwareName"]))
            .map(|s| s.text())
            .filter(|s| !s.is_empty()),
        organization: assigned
            .and_then(|x| x.path(&["representedOrganization", "name"]))
            .map(|n| n.text())
            .filter(|n| !n.is_empty()),
    }
}
