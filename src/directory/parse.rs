//! Streaming reader of the extraction files, plain or zipped.
//!
//! Header-driven: columns are found by normalised name (case, accents and
//! punctuation folded, a few known spellings per column), so both the 52- and
//! 56-column activity layouts and both MSSanté header variants work. Each line
//! is decoded as UTF-8, or as Windows-1252/latin-1 when it is not valid UTF-8.
//! One line is held in memory at a time. A line that cannot be used is handed
//! to the sink as malformed with its 1-based line number and the reading goes on.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::error::Error;
use super::model::MailboxKind;
use super::normalize::normalize;

/// The two file kinds we import, recognised from their header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Activities,
    Mailboxes,
}

/// Identity columns shared by both files.
#[derive(Debug, Default, Clone, Copy)]
pub struct Person<'a> {
    pub national_id: &'a str,
    pub idnps: &'a str,
    pub civility: &'a str,
    pub family: &'a str,
    pub given: &'a str,
}

/// Activity columns, borrowed from the current line.
#[derive(Debug, Default)]
pub struct Place<'a> {
    pub profession_code: &'a str,
    pub profession: &'a str,
    pub category: &'a str,
    pub speciality_code: &'a str,
    pub speciality: &'a str,
    pub mode: &'a str,
    pub structure: &'a str,
    /// "Identification Structure" of the MSSanté file (groups ORG mailboxes).
    pub structure_id: &'a str,
    pub street: String,
    pub postcode: &'a str,
    pub city: &'a str,
    pub department: &'a str,
    pub phone: &'a str,
}

pub enum Row<'a> {
    Activity {
        person: Person<'a>,
        place: Place<'a>,
    },
    Mailbox {
        person: Person<'a>,
        place: Place<'a>,
        kind: MailboxKind,
        address: &'a str,
        service: &'a str,
    },
}

/// Receives what the reader finds.
pub trait RowSink {
    fn row(&mut self, row: Row<'_>) -> Result<(), Error>;
    fn malformed(&mut self, line: u64, reason: String);
    /// Called every few thousand lines and at the end of each file.
    fn progress(&mut self, rows: u64, bytes_read: u64, bytes_total: u64);
}

#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    pub kind: Option<FileKind>,
    pub columns: usize,
    pub rows: u64,
    pub latin1_lines: u64,
}

/// Reads one extraction file (or every `.txt` inside a zip).
pub fn read_path(path: &Path, sink: &mut dyn RowSink) -> Result<FileSummary, Error> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(read_err)?;
    drop(file);
    let file = File::open(path).map_err(read_err)?;
    if n == 4 && magic == *b"PK\x03\x04" {
        return read_zip(path, file, sink);
    }
    let total = file.metadata().map_err(read_err)?.len();
    read_stream(path, file, total, sink)
}

fn read_zip(path: &Path, file: File, sink: &mut dyn RowSink) -> Result<FileSummary, Error> {
    let zip_err = |source| Error::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut summary = FileSummary::default();
    let mut found = false;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(zip_err)?;
        // An entry whose name does not decode is simply not an extraction file.
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let wanted = entry.is_file() && name.to_ascii_lowercase().ends_with(".txt");
        if !wanted {
            continue;
        }
        found = true;
        let inner = path.join(&name);
        let total = entry.size();
        let s = read_stream(&inner, entry, total, sink)?;
        summary.kind = summary.kind.or(s.kind);
        summary.columns = summary.columns.max(s.columns);
        summary.rows += s.rows;
        summary.latin1_lines += s.latin1_lines;
    }
    if !found {
        return Err(Error::Format {
            path: path.to_path_buf(),
            reason: "the archive holds no .txt extraction file".into(),
        });
    }
    Ok(summary)
}

/// Counts bytes as they are consumed, for progress reporting.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

const PROGRESS_EVERY: u64 = 16_384;

fn read_stream<R: Read>(
    path: &Path,
    reader: R,
    total: u64,
    sink: &mut dyn RowSink,
) -> Result<FileSummary, Error> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: reader,
            count: 0,
        },
    );
    let mut buf = Vec::with_capacity(1024);
    let mut summary = FileSummary::default();

    let mut line_no = 0u64;
    let header = loop {
        buf.clear();
        let read = read_line_bounded(&mut reader, &mut buf).map_err(read_err)?;
        if read != LineRead::Line {
            return Err(Error::Format {
                path: path.to_path_buf(),
                reason: if read == LineRead::Eof {
                    "the file is empty (no header line)".into()
                } else {
                    "the header line is implausibly long".into()
                },
            });
        }
        line_no += 1;
        let (text, _) = decode(trim_eol(&buf));
        if !text.trim().is_empty() {
            break Columns::from_header(&text).ok_or_else(|| Error::Format {
                path: path.to_path_buf(),
                reason: "unrecognised header: neither a PS_LibreAcces activity file nor an \
                         MSSanté correspondence file"
                    .into(),
            })?;
        }
    };
    summary.kind = Some(header.kind);
    summary.columns = header.width;

    loop {
        buf.clear();
        match read_line_bounded(&mut reader, &mut buf).map_err(read_err)? {
            LineRead::Eof => break,
            LineRead::TooLong => {
                line_no += 1;
                sink.malformed(line_no, format!("line longer than {MAX_LINE} bytes"));
                continue;
            }
            LineRead::Line => {}
        }
        line_no += 1;
        let raw = trim_eol(&buf);
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let (text, latin1) = decode(raw);
        if latin1 {
            summary.latin1_lines += 1;
        }
        let mut fields: Vec<&str> = text.split('|').collect();
        // A trailing '|' gives one extra empty field; accept lines with or without it.
        if fields.len() == header.width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.len() != header.width {
            sink.malformed(
                line_no,
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    header.width
                ),
            );
            continue;
        }
        match header.row(&fields) {
            Ok(row) => {
                sink.row(row)?;
                summary.rows += 1;
            }
            Err(reason) => sink.malformed(line_no, reason),
        }
        if line_no.is_multiple_of(PROGRESS_EVERY) {
            sink.progress(summary.rows, reader.get_ref().count, total);
        }
    }
    sink.progress(summary.rows, reader.get_ref().count, total);
    Ok(summary)
}

/// Longest line accepted; real lines are under 2 kB. Bounds memory on a
/// damaged or hostile file without a newline.
pub const MAX_LINE: u64 = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    Eof,
    Line,
    TooLong,
}

/// Reads one line into `buf` (at most [`MAX_LINE`] bytes); an overlong line is
/// consumed up to its newline and reported as such.
fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<LineRead> {
    let n = reader.by_ref().take(MAX_LINE).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(LineRead::Eof);
    }
    if buf.last() == Some(&b'\n') || (n as u64) < MAX_LINE {
        return Ok(LineRead::Line);
    }
    // Skip the rest of the line without keeping it.
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(LineRead::TooLong);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(p) => {
                reader.consume(p + 1);
                return Ok(LineRead::TooLong);
            }
            None => {
                let len = chunk.len();
                reader.consume(len);
            }
        }
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// UTF-8 when valid, else Windows-1252 (a superset of latin-1 for printable text).
fn decode(raw: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(raw) {
        Ok(s) => (
            Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)),
            false,
        ),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(raw);
            (text, true)
        }
    }
}

/// Every column we read, from either file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    NationalId,
    Idnps,
    Civility,
    Family,
    Given,
    ProfessionCode,
    Profession,
    Category,
    SpecialityCode,
    Speciality,
    Mode,
    Structure,
    StructureId,
    StreetNo,
    StreetRep,
    StreetType,
    StreetName,
    Postcode,
    City,
    Department,
    Phone,
    BalType,
    Address,
    Service,
}

const FIELD_COUNT: usize = 24;

/// Column positions resolved from a header line.
struct Columns {
    kind: FileKind,
    width: usize,
    pos: [Option<usize>; FIELD_COUNT],
}

/// Our field name and the normalised header spellings known for it, first match wins.
const ACTIVITY_COLUMNS: &[(Field, &[&str])] = &[
    (Field::NationalId, &["identifiant pp"]),
    (Field::Idnps, &["identification nationale pp"]),
    (
        Field::Civility,
        &[
            "libelle civilite d exercice",
            "libelle civilite exercice",
            "code civilite d exercice",
        ],
    ),
    (Field::Family, &["nom d exercice"]),
    (Field::Given, &["prenom d exercice"]),
    (Field::ProfessionCode, &["code profession"]),
    (Field::Profession, &["libelle profession"]),
    (Field::Category, &["libelle categorie professionnelle"]),
    (Field::SpecialityCode, &["code savoir faire"]),
    (Field::Speciality, &["libelle savoir faire"]),
    (Field::Mode, &["libelle mode exercice"]),
    (
        Field::Structure,
        &["raison sociale site", "enseigne commerciale site"],
    ),
    (Field::StreetNo, &["numero voie coord structure"]),
    (
        Field::StreetRep,
        &["indice repetition voie coord structure"],
    ),
    (Field::StreetType, &["libelle type de voie coord structure"]),
    (Field::StreetName, &["libelle voie coord structure"]),
    (Field::Postcode, &["code postal coord structure"]),
    (Field::City, &["libelle commune coord structure"]),
    (
        Field::Department,
        &[
            "code departement structure",
            "code departement coord structure",
        ],
    ),
    (Field::Phone, &["telephone coord structure"]),
];

const MAILBOX_COLUMNS: &[(Field, &[&str])] = &[
    (Field::BalType, &["type de bal"]),
    (Field::Address, &["adresse bal"]),
    (Field::NationalId, &["identifiant pp"]),
    (Field::Idnps, &["identification nationale pp"]),
    (Field::Service, &["service de rattachement"]),
    (Field::Civility, &["civilite d exercice"]),
    (Field::Family, &["nom d exercice"]),
    (Field::Given, &["prenom d exercice"]),
    (Field::Category, &["libelle de categorie profession"]),
    (Field::ProfessionCode, &["code profession"]),
    (Field::Profession, &["libelle profession"]),
    (Field::SpecialityCode, &["code savoir faire"]),
    (Field::Speciality, &["libelle savoir faire"]),
    (
        Field::Structure,
        &[
            "raison sociale structure bal",
            "enseigne commerciale structure bal",
        ],
    ),
    (Field::StructureId, &["identification structure"]),
    (
        Field::StreetNo,
        &["l4numerovoie structure bal", "l4numerovoie"],
    ),
    (
        Field::StreetType,
        &["nl4typevoie structure bal", "nl4typevoie"],
    ),
    (
        Field::StreetName,
        &["l4libellevoie structure bal", "l4libellevoie"],
    ),
    (
        Field::Postcode,
        &["code postal structure bal", "code postal"],
    ),
    (
        Field::City,
        &["l6ligneacheminement structure bal", "l6ligneacheminement"],
    ),
    (
        Field::Department,
        &["departement structure bal", "departement"],
    ),
];

impl Columns {
    fn from_header(line: &str) -> Option<Columns> {
        let mut names: Vec<String> = line.split('|').map(normalize).collect();
        if names.last().is_some_and(|n| n.is_empty()) {
            names.pop();
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            index.entry(n.as_str()).or_insert(i);
        }
        let (kind, table, required): (FileKind, _, &[Field]) =
            if index.contains_key("type de bal") && index.contains_key("adresse bal") {
                (
                    FileKind::Mailboxes,
                    MAILBOX_COLUMNS,
                    &[Field::BalType, Field::Address],
                )
            } else if index.contains_key("identification nationale pp")
                && index.contains_key("nom d exercice")
            {
                (
                    FileKind::Activities,
                    ACTIVITY_COLUMNS,
                    &[Field::Idnps, Field::Family],
                )
            } else {
                return None;
            };
        let mut pos = [None; FIELD_COUNT];
        for (field, aliases) in table {
            pos[*field as usize] = aliases.iter().find_map(|a| index.get(a)).copied();
        }
        if required.iter().any(|f| pos[*f as usize].is_none()) {
            return None;
        }
        Some(Columns {
            kind,
            width: names.len(),
            pos,
        })
    }

    fn get<'a>(&self, fields: &[&'a str], field: Field) -> &'a str {
        self.pos[field as usize]
            .and_then(|i| fields.get(i))
            .map_or("", |s| s.trim())
    }

    fn row<'a>(&self, f: &[&'a str]) -> Result<Row<'a>, String> {
        let person = Person {
            national_id: self.get(f, Field::NationalId),
            idnps: self.get(f, Field::Idnps),
            civility: self.get(f, Field::Civility),
            family: self.get(f, Field::Family),
            given: self.get(f, Field::Given),
        };
        let mut street = String::new();
        for part in [
            Field::StreetNo,
            Field::StreetRep,
            Field::StreetType,
            Field::StreetName,
        ] {
            let v = self.get(f, part);
            if !v.is_empty() {
                if !street.is_empty() && part != Field::StreetRep {
                    street.push(' ');
                }
                street.push_str(v);
            }
        }
        let postcode = self.get(f, Field::Postcode);
        let mut city = self.get(f, Field::City);
        if self.kind == FileKind::Mailboxes {
            // L6 is "75012 PARIS" (ligne d'acheminement): keep the commune part.
            let rest = city.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            if rest.len() < city.len() {
                city = rest;
            }
        }
        let place = Place {
            profession_code: self.get(f, Field::ProfessionCode),
            profession: self.get(f, Field::Profession),
            category: self.get(f, Field::Category),
            speciality_code: self.get(f, Field::SpecialityCode),
            speciality: self.get(f, Field::Speciality),
            mode: self.get(f, Field::Mode),
            structure: self.get(f, Field::Structure),
            structure_id: self.get(f, Field::StructureId),
            street,
            postcode,
            city,
            department: self.get(f, Field::Department),
            phone: self.get(f, Field::Phone),
        };
        match self.kind {
            FileKind::Activities => {
                if person.idnps.is_empty() {
                    return Err("empty \"Identification nationale PP\"".into());
                }
                if person.family.is_empty() && person.given.is_empty() {
                    return Err("no name".into());
                }
                Ok(Row::Activity { person, place })
            }
            FileKind::Mailboxes => {
                let code = self.get(f, Field::BalType);
                let kind = MailboxKind::parse(code)
                    .ok_or_else(|| format!("unknown mailbox type {code:?}"))?;
                let address = self.get(f, Field::Address);
                let valid = address
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
                if !valid {
                    return Err(format!("invalid mailbox address {address:?}"));
                }
                Ok(Row::Mailbox {
                    person,
                    place,
                    kind,
                    address,
                    service: self.get(f, Field::Service),
                })
            }
        }
    }
}

/// Department code from a French postcode when the file gives none.
pub fn department_of(postcode: &str) -> &str {
    let digits = postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return "";
    }
    if postcode.starts_with("97") || postcode.starts_with("98") {
        &postcode[..3]
    } else if postcode.starts_with("20") {
        // Corsica: 200xx-201xx is 2A, 202xx-206xx is 2B.
        if postcode < "20200" { "2A" } else { "2B" }
    } else {
        &postcode[..2]
    }
}
