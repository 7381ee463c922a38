//! What a directory entry looks like to callers: a practitioner (or a structure
//! that only owns a mailbox) with all its activities and MSSanté mailboxes, as
//! needed by a detail pane. Plain data, serialisable for `--json`.

use serde::Serialize;

/// Whether an entry is a person (RPPS/ADELI) or a structure known only
/// through an organisational or application mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Practitioner,
    Structure,
}

/// Where a result comes from; online results are marked so the UI can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Local,
    Online,
    /// Found both in the local index and through the API.
    Both,
}

/// MSSanté mailbox type (JDV_J139).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MailboxKind {
    #[serde(rename = "PER")]
    Personal,
    #[serde(rename = "ORG")]
    Organisational,
    #[serde(rename = "APP")]
    Application,
}

impl MailboxKind {
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_uppercase().as_str() {
            "PER" => Some(MailboxKind::Personal),
            "ORG" => Some(MailboxKind::Organisational),
            "APP" => Some(MailboxKind::Application),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            MailboxKind::Personal => "PER",
            MailboxKind::Organisational => "ORG",
            MailboxKind::Application => "APP",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    pub address: String,
    pub kind: MailboxKind,
    /// "Service de rattachement" or the structure's name for ORG/APP boxes.
    pub service: String,
}

/// One "situation d'exercice": profession and where it is practised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub profession_code: String,
    pub profession: String,
    pub category: String,
    /// Savoir-faire (speciality, competence…), with its code.
    pub speciality_code: String,
    pub speciality: String,
    /// Mode d'exercice: libéral, salarié…
    pub mode: String,
    pub structure: String,
    /// Street line ("12 RUE DE LA PAIX"), possibly empty.
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub department: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub kind: EntryKind,
    /// Identification nationale PP (IDNPS: `8`+RPPS or `0`+ADELI); empty for structures.
    pub idnps: String,
    /// RPPS or ADELI number as printed.
    pub national_id: String,
    pub civility: String,
    /// Family name (nom d'exercice) or, for a structure, its name.
    pub family_name: String,
    pub given_name: String,
    pub activities: Vec<Activity>,
    pub mailboxes: Vec<Mailbox>,
    pub origin: Origin,
}

impl Entry {
    /// "Dr Alice MARTIN" style display name.
    pub fn display_name(&self) -> String {
        let mut out = String::new();
        for part in [&self.civility, &self.given_name, &self.family_name] {
            if !part.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(part);
            }
        }
        out
    }
}
