//! Synthetic extraction files for demos, tests and benchmarks.
//!
//! Writes a 56-column `PS_LibreAcces_Personne_activite_*.txt` and a 31-column
//! `Extraction_Correspondance_MSSante_*.txt` with plausible content (French
//! names with accents and compound forms, professions with codes,
//! specialities, communes with postcodes and departments, structures,
//! personal and organisational mailboxes on MSSanté-like domains, a few
//! duplicated mailbox lines as in the real file). The output depends only on
//! `rows` and `seed`: the same arguments give byte-identical files. No real
//! person's data is used.

mod data;

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use data::*;

use super::error::Error;
use super::normalize::normalize;

/// Header of the newer (56-column) activity file, trailing `|` included.
pub const ACTIVITY_HEADER_56: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. Structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code département (coord. structure)|Libellé département (coord. structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code fonction|Libellé fonction|Code genre d'activité|Libellé genre d'activité|";

/// Header of the MSSanté correspondence file (31 columns, "structure BAL" variant).
pub const MAILBOX_HEADER: &str = "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION structure BAL|L3COMPLEMENTDISTRIBUTION structure BAL|L4NUMEROVOIE structure BAL|L4COMPLEMENTNUMEROVOIE structure BAL|NL4TYPEVOIE structure BAL|L4LIBELLEVOIE structure BAL|L5LIEUDITMENTION structure BAL|L6LIGNEACHEMINEMENT structure BAL|Code postal structure BAL|Département structure BAL|Pays structure BAL";

/// The fixed timestamp in generated file names (deterministic output).
const STAMP: &str = "202611290000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub activity_file: PathBuf,
    pub mailbox_file: PathBuf,
    pub activity_rows: u64,
    pub mailbox_rows: u64,
    pub practitioners: u64,
}

struct Place {
    commune: usize,
    street_no: u32,
    street_type: usize,
    street_name: usize,
    structure: String,
    finess: String,
    mode: (&'static str, &'static str),
    phone: String,
    sector: (&'static str, &'static str),
}

fn pick_weighted<T>(rng: &mut fastrand::Rng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.u32(0..total.max(1));
    for (i, it) in items.iter().enumerate() {
        let w = weight(it);
        if x < w {
            return i;
        }
        x -= w;
    }
    0
}

fn family_name(rng: &mut fastrand::Rng) -> String {
    if rng.u8(0..100) < 45 {
        FAMILY[rng.usize(0..FAMILY.len())].to_string()
    } else {
        // A long tail of rarer names, as in the real directory.
        let mut s = String::new();
        s.push_str(SYL_START[rng.usize(0..SYL_START.len())]);
        s.push_str(SYL_MID[rng.usize(0..SYL_MID.len())]);
        s.push_str(SYL_END[rng.usize(0..SYL_END.len())]);
        if rng.u8(0..100) < 4 {
            s.push('-');
            s.push_str(FAMILY[rng.usize(0..FAMILY.len())]);
        }
        s
    }
}

fn local_part(given: &str, family: &str) -> String {
    let g = normalize(given).replace(' ', "-");
    let f = normalize(family).replace(' ', "-");
    format!("{g}.{f}")
}

/// Writes both files into `out` (created if needed).
pub fn generate(rows: u64, seed: u64, out: &Path) -> Result<Generated, Error> {
    let werr = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(out).map_err(werr(out))?;
    let act_path = out.join(format!("PS_LibreAcces_Personne_activite_{STAMP}.txt"));
    let bal_path = out.join(format!("Extraction_Correspondance_MSSante_{STAMP}.txt"));
    let mut act =
        BufWriter::with_capacity(1 << 20, File::create(&act_path).map_err(werr(&act_path))?);
    let mut bal =
        BufWriter::with_capacity(1 << 20, File::create(&bal_path).map_err(werr(&bal_path))?);
    writeln!(act, "{ACTIVITY_HEADER_56}").map_err(werr(&act_path))?;
    writeln!(bal, "{MAILBOX_HEADER}").map_err(werr(&bal_path))?;

    let mut rng = fastrand::Rng::with_seed(seed);
    let mut used_addresses: HashSet<String> = HashSet::new();
    let mut g = Generated {
        activity_file: act_path.clone(),
        mailbox_file: bal_path.clone(),
        activity_rows: 0,
        mailbox_rows: 0,
        practitioners: 0,
    };
    let mut person = 0u64;
    let mut line = String::with_capacity(512);
    while g.activity_rows < rows {
        person += 1;
        g.practitioners += 1;
        let prof = &PROFESSIONS[pick_weighted(&mut rng, PROFESSIONS, |p| p.weight)];
        let (given, feminine) = GIVEN[rng.usize(0..GIVEN.len())];
        let family = family_name(&mut rng);
        // One in ten is still registered by ADELI (type 0, 9 characters).
        let adeli = !prof.doctor && rng.u8(0..10) == 0;
        let (id_type, id) = if adeli {
            ("0", format!("{:09}", 100_000_000 + person))
        } else {
            ("8", format!("1{:010}", person))
        };
        let idnps = format!("{id_type}{id}");
        let (civ_code, civ_label) = if feminine {
            ("MME", "Madame")
        } else {
            ("M", "Monsieur")
        };
        let (ex_code, ex_label) = if prof.doctor {
            ("DR", "Docteur")
        } else {
            ("", "")
        };
        let spec = prof.specialities[rng.usize(0..prof.specialities.len())];
        let n_act = match rng.u8(0..100) {
            0..=71 => 1,
            72..=91 => 2,
            _ => 3,
        };
        let mut first_place = None;
        for _ in 0..n_act {
            if g.activity_rows >= rows {
                break;
            }
            let place = make_place(&mut rng, prof, &family);
            write_activity(
                &mut line,
                id_type,
                &id,
                &idnps,
                (ex_code, ex_label),
                (civ_code, civ_label),
                &family,
                given,
                prof,
                spec,
                &place,
            );
            act.write_all(line.as_bytes()).map_err(werr(&act_path))?;
            g.activity_rows += 1;
            // Organisational mailboxes of the structures where people work.
            if place.mode.0 == "S" && rng.u8(0..100) < 12 {
                let service = HOSPITAL_SERVICES[rng.usize(0..HOSPITAL_SERVICES.len())];
                let domain = structure_domain(&place);
                let addr = unique(
                    &mut used_addresses,
                    &format!("{}@{domain}", normalize(service).replace(' ', ".")),
                );
                write_mailbox(&mut line, "ORG", &addr, None, service, prof, spec, &place);
                bal.write_all(line.as_bytes()).map_err(werr(&bal_path))?;
                g.mailbox_rows += 1;
            }
            first_place.get_or_insert(place);
        }
        if let Some(place) = first_place
            && rng.u8(0..100) < 32
        {
            let domain = if place.mode.0 == "S" && rng.bool() {
                structure_domain(&place)
            } else {
                prof.domain.to_string()
            };
            let addr = unique(
                &mut used_addresses,
                &format!("{}@{domain}", local_part(given, &family)),
            );
            let who = (
                id_type,
                id.as_str(),
                idnps.as_str(),
                ex_label,
                family.as_str(),
                given,
            );
            write_mailbox(&mut line, "PER", &addr, Some(who), "", prof, spec, &place);
            bal.write_all(line.as_bytes()).map_err(werr(&bal_path))?;
            g.mailbox_rows += 1;
            // The real file repeats a few addresses; so do we, to exercise the merge.
            if rng.u16(0..1000) == 0 {
                bal.write_all(line.as_bytes()).map_err(werr(&bal_path))?;
                g.mailbox_rows += 1;
            }
        }
    }
    act.flush().map_err(werr(&act_path))?;
    bal.flush().map_err(werr(&bal_path))?;
    Ok(g)
}

fn unique(used: &mut HashSet<String>, addr: &str) -> String {
    if used.insert(addr.to_string()) {
        return addr.to_string();
    }
    let (local, domain) = addr.split_once('@').unwrap_or((addr, "mssante.fr"));
    for n in 2u32.. {
        let candidate = format!("{local}{n}@{domain}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
    }
    addr.to_string()
}

fn structure_domain(place: &Place) -> String {
    let city = normalize(COMMUNES[place.commune].0).replace(' ', "-");
    if place.structure.starts_with("CHU") {
        format!("chu-{city}.mssante.fr")
    } else if place.structure.starts_with("CENTRE HOSPITALIER") {
        format!("ch-{city}.mssante.fr")
    } else {
        format!(
            "{}.mssante.fr",
            normalize(&place.structure).replace(' ', "-")
        )
    }
}

fn make_place(rng: &mut fastrand::Rng, prof: &Profession, family: &str) -> Place {
    let commune = pick_weighted(rng, COMMUNES, |c| c.5);
    let city = COMMUNES[commune].0;
    let salaried = rng.u8(0..100) < 35;
    let (structure, sector) = if salaried {
        match rng.u8(0..4) {
            0 => (
                format!("CHU DE {city}"),
                ("SA01", "Etablissement public de santé"),
            ),
            1 => (
                format!("CENTRE HOSPITALIER DE {city}"),
                ("SA01", "Etablissement public de santé"),
            ),
            2 => (
                format!(
                    "CLINIQUE SAINT-{}",
                    ["JOSEPH", "LUC", "MICHEL", "PIERRE"][rng.usize(0..4)]
                ),
                ("SA02", "Etablissement privé"),
            ),
            _ => (
                format!(
                    "CENTRE DE SANTE {}",
                    STREET_NAMES[rng.usize(0..STREET_NAMES.len())]
                ),
                ("SA05", "Centre de santé"),
            ),
        }
    } else if prof.code == "21" {
        (
            format!(
                "PHARMACIE {}",
                ["DU CENTRE", "DE LA GARE", "DES HALLES", "CENTRALE"][rng.usize(0..4)]
            ),
            ("SA33", "Pharmacie d'officine"),
        )
    } else if rng.u8(0..5) == 0 {
        (
            format!("MAISON DE SANTE PLURIPROFESSIONNELLE DE {city}"),
            ("SA07", "Cabinet individuel"),
        )
    } else {
        (
            format!("CABINET {}", deunicode::deunicode(family).to_uppercase()),
            ("SA07", "Cabinet individuel"),
        )
    };
    Place {
        commune,
        street_no: rng.u32(1..180),
        street_type: rng.usize(0..STREET_TYPES.len()),
        street_name: rng.usize(0..STREET_NAMES.len()),
        structure,
        finess: format!("{:09}", rng.u32(10_000_000..990_000_000)),
        mode: if salaried {
            ("S", "Salarié")
        } else {
            ("L", "Libéral")
        },
        phone: format!("0{}{:08}", rng.u8(1..6), rng.u32(0..100_000_000)),
        sector,
    }
}

#[allow(clippy::too_many_arguments)]
fn write_activity(
    line: &mut String,
    id_type: &str,
    id: &str,
    idnps: &str,
    exercise_civility: (&str, &str),
    civility: (&str, &str),
    family: &str,
    given: &str,
    prof: &Profession,
    spec: (&str, &str, &str),
    p: &Place,
) {
    let (city, postcode, insee, dept, dept_label, _) = COMMUNES[p.commune];
    let (st_code, st_label) = STREET_TYPES[p.street_type];
    let spec_type = if spec.2.is_empty() {
        ("", "")
    } else {
        ("S", "Spécialité ordinale")
    };
    let siren = format!("{:09}", u64::from(p.street_no) * 7_654_321 % 1_000_000_000);
    let fields: [&str; 56] = [
        id_type,
        id,
        idnps,
        exercise_civility.0,
        exercise_civility.1,
        civility.0,
        civility.1,
        family,
        given,
        prof.code,
        prof.label,
        "C",
        "Civil",
        spec_type.0,
        spec_type.1,
        spec.0,
        spec.1,
        p.mode.0,
        p.mode.1,
        "",
        &siren,
        &p.finess,
        "",
        "",
        &p.structure,
        "",
        "",
        "",
        &p.street_no.to_string(),
        "",
        st_code,
        st_label,
        STREET_NAMES[p.street_name],
        "",
        "",
        postcode,
        insee,
        city,
        "99000",
        "France",
        &p.phone,
        "",
        "",
        "",
        dept,
        dept_label,
        "",
        "ARS/ARS/ARS",
        p.sector.0,
        p.sector.1,
        "",
        "",
        "FON-01",
        "Titulaire",
        "GENR01",
        "Diagnostic et soins",
    ];
    line.clear();
    for f in fields {
        line.push_str(f);
        line.push('|');
    }
    line.push('\n');
}

#[allow(clippy::too_many_arguments)]
fn write_mailbox(
    line: &mut String,
    kind: &str,
    address: &str,
    who: Option<(&str, &str, &str, &str, &str, &str)>,
    service: &str,
    prof: &Profession,
    spec: (&str, &str, &str),
    p: &Place,
) {
    let (city, postcode, _, dept, _, _) = COMMUNES[p.commune];
    let (_, st_label) = STREET_TYPES[p.street_type];
    let (id_type, id, idnps, civ, family, given) = who.unwrap_or(("", "", "", "", "", ""));
    let (cat, cat_label, pcode, plabel, scode, slabel) = if who.is_some() {
        ("C", "Civil", prof.code, prof.label, spec.0, spec.1)
    } else {
        ("", "", "", "", "", "")
    };
    let l6 = format!("{postcode} {city}");
    let structure_id = format!("1{}", p.finess);
    let fields: [&str; 31] = [
        kind,
        address,
        id_type,
        id,
        idnps,
        "1",
        &structure_id,
        service,
        civ,
        family,
        given,
        cat,
        cat_label,
        pcode,
        plabel,
        scode,
        slabel,
        "True",
        &p.structure,
        "",
        "",
        "",
        &p.street_no.to_string(),
        "",
        st_label,
        STREET_NAMES[p.street_name],
        "",
        &l6,
        postcode,
        dept,
        "France",
    ];
    line.clear();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push('|');
        }
        line.push_str(f);
    }
    line.push('\n');
}
