//! `cachet records …`: render a CDA document or an IHE_XDM.ZIP as text, and
//! list a patient's documents from an MHD (FHIR R4) server.
//!
//! Output goes to the writer given to [`run`] (stdout in `main`); errors come
//! back typed, and [`CliError::exit_code`] maps them to the CLI conventions
//! (1 error, 4 network or server). Nothing is written to disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use unicode_width::UnicodeWidthStr;

use crate::domain::text::{Line, RichText, Table};
use crate::error::{ErrorKind, HasKind};
use crate::mail::xdm::{self, XdmPackage};
use crate::records::backend::{DocumentEntry, DocumentQuery, PatientSelector, RecordsBackend};
use crate::records::cda;
use crate::records::ins::{Ins, InsOid, InsPolicy};
use crate::records::mhd::MhdClient;
use crate::records::xds::XdsClient;

/// Larger inputs are refused before being read (an XDM is bounded anyway).
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, clap::Subcommand)]
pub enum RecordsCommand {
    /// Render a CDA document or an IHE_XDM.ZIP as text.
    Render {
        /// A CDA R2 XML file or an IHE_XDM.ZIP archive.
        file: PathBuf,
        /// Columns to lay out for (default: the terminal's width).
        #[arg(long)]
        width: Option<usize>,
    },
    /// List a patient's documents (IHE MHD server or the DMP).
    List {
        /// The patient's INS (NIR or NIA, 15 characters).
        #[arg(long)]
        ins: String,
        /// The INS OID (INS-NIR by default).
        #[arg(long, default_value = InsOid::NIR)]
        ins_oid: String,
        #[command(flatten)]
        backend: BackendArgs,
        /// Only these document type codes (LOINC), repeatable.
        #[arg(long = "type")]
        types: Vec<String>,
        /// Documents dated on or after this day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        from: Option<time::Date>,
        /// Documents dated on or before this day (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        to: Option<time::Date>,
        /// Accept test INS OIDs (qualification platforms only).
        #[arg(long)]
        test_profile: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Columns for the table (default: the terminal's width).
        #[arg(long)]
        width: Option<usize>,
    },
    /// Open one document of a patient (by its id or unique id from `list`),
    /// its hash and size checked, rendered as the viewer shows it.
    Show {
        /// The document id (entryUUID, FHIR id) or unique id.
        id: String,
        /// The patient's INS.
        #[arg(long)]
        ins: String,
        /// The INS OID (INS-NIR by default).
        #[arg(long, default_value = InsOid::NIR)]
        ins_oid: String,
        #[command(flatten)]
        backend: BackendArgs,
        /// Accept test INS OIDs (qualification platforms only).
        #[arg(long)]
        test_profile: bool,
        /// Columns to lay out for (default: the terminal's width).
        #[arg(long)]
        width: Option<usize>,
    },
}

/// Which records server: `--fhir` (MHD), `--dmp` (XDS.b with the card), or
/// the configuration's `[records]` when neither is given.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackendArgs {
    /// FHIR base URL of an IHE MHD server (https; http only on loopback).
    #[arg(long, conflicts_with = "dmp")]
    pub fhir: Option<String>,
    /// DMP web services base URL (TLS and VIHF signed with the CPS card).
    #[arg(long)]
    pub dmp: Option<String>,
    /// Trust anchor (PEM) for the DMP server, repeatable (default: `[trust] anchors`).
    #[arg(long = "anchor")]
    pub anchors: Vec<PathBuf>,
    /// Read the card PIN from this file descriptor instead of the terminal.
    #[arg(long)]
    pub pin_fd: Option<u32>,
}

/// A ready backend for the CLI.
pub enum CliBackend {
    Mhd(MhdClient),
    Dmp(XdsClient),
}

impl CliBackend {
    async fn find(
        &self,
        query: &DocumentQuery,
    ) -> Result<Vec<DocumentEntry>, crate::records::Error> {
        match self {
            CliBackend::Mhd(c) => c.find_documents(query).await,
            CliBackend::Dmp(c) => c.find_documents(query).await,
        }
    }

    async fn fetch(&self, entry: &DocumentEntry) -> Result<Vec<u8>, crate::records::Error> {
        match self {
            CliBackend::Mhd(c) => c.fetch_document(entry).await,
            CliBackend::Dmp(c) => c.fetch_document(entry).await,
        }
    }

    /// From the arguments, else the settings.
    pub fn resolve(
        args: &BackendArgs,
        settings: Option<&crate::config::Settings>,
    ) -> Result<CliBackend, CliError> {
        let records = settings.and_then(|s| s.records.as_ref());
        if let Some(fhir) = &args.fhir {
            return Ok(CliBackend::Mhd(MhdClient::with_webpki_roots(fhir)?));
        }
        let dmp = match (&args.dmp, records) {
            (Some(url), _) => {
                let mut d = settings
                    .and_then(|s| records.and_then(|r| r.dmp(&s.trust)))
                    .unwrap_or_default();
                d.base_url = url.clone();
                if d.anchors.is_empty() {
                    d.anchors = settings
                        .map(|s| s.trust.anchors.clone())
                        .unwrap_or_default();
                }
                Some(d)
            }
            (None, Some(r)) => match r.backend() {
                Some(crate::config::RecordsBackendKind::Mhd) => {
                    let url = r.mhd_url.as_deref().unwrap_or_default();
                    return Ok(CliBackend::Mhd(MhdClient::with_webpki_roots(url)?));
                }
                Some(crate::config::RecordsBackendKind::Dmp) => {
                    settings.and_then(|s| r.dmp(&s.trust))
                }
                None => None,
            },
            (None, None) => None,
        };
        let Some(mut dmp) = dmp else {
            return Err(CliError::Records(crate::records::Error::Config {
                reason: "no records server: give --fhir or --dmp, or set [records] in the \
                         configuration"
                    .to_string(),
            }));
        };
        if !args.anchors.is_empty() {
            dmp.anchors = args.anchors.clone();
        }
        let (handle, info) =
            crate::cli::card_provider::verified_card(args.pin_fd).map_err(CliError::Card)?;
        Ok(CliBackend::Dmp(XdsClient::with_card(&dmp, handle, &info)?))
    }
}

fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

/// Why a records command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_INPUT_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error(transparent)]
    Records(#[from] crate::records::Error),
    #[error(transparent)]
    Xdm(#[from] xdm::Error),
    #[error("cannot write the output")]
    Output(#[source] std::io::Error),
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
    #[error("the card")]
    Card(#[source] crate::card::Error),
    #[error("no document {id} in the patient's list")]
    NoSuchDocument { id: String },
}

impl HasKind for CliError {
    fn kind(&self) -> ErrorKind {
        match self {
            CliError::Read { .. } | CliError::Output(_) | CliError::Runtime(_) => ErrorKind::Io,
            CliError::TooLarge { .. } => ErrorKind::Invalid,
            CliError::Records(e) => e.kind(),
            CliError::Xdm(e) => e.kind(),
            CliError::Card(e) => e.kind(),
            CliError::NoSuchDocument { .. } => ErrorKind::NotFound,
        }
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }

    /// One sentence for stderr: the error and its causes.
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// Runs a records command, writing its output to `out`. Returns the exit code.
pub fn run(cmd: RecordsCommand, out: &mut dyn Write) -> Result<u8, CliError> {
    run_with(cmd, None, None, out)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// Like [`run`], with the configuration (its `[records]` is the default
/// server) and optionally a backend already built (tests).
pub fn run_with(
    cmd: RecordsCommand,
    settings: Option<&crate::config::Settings>,
    backend: Option<CliBackend>,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    match cmd {
        RecordsCommand::Render { file, width } => {
            let text = render_file(&file)?;
            print(out, &text, width.unwrap_or_else(terminal_width))?;
        }
        RecordsCommand::List {
            ins,
            ins_oid,
            backend: args,
            types,
            from,
            to,
            test_profile,
            json,
            width,
        } => {
            let ins = Ins::parse(&ins, &ins_oid, InsPolicy { test_profile })
                .map_err(crate::records::Error::from)?;
            let mut query = DocumentQuery::for_patient(PatientSelector::Ins(ins));
            query.type_codes = types;
            query.from = from;
            query.to = to;
            let client = match backend {
                Some(b) => b,
                None => CliBackend::resolve(&args, settings)?,
            };
            let documents = runtime()?.block_on(client.find(&query))?;
            if json {
                let value = serde_json::Value::Array(documents.iter().map(entry_json).collect());
                writeln!(out, "{value:#}").map_err(CliError::Output)?;
            } else {
                print(
                    out,
                    &documents_table(&documents),
                    width.unwrap_or_else(terminal_width),
                )?;
            }
        }
        RecordsCommand::Show {
            id,
            ins,
            ins_oid,
            backend: args,
            test_profile,
            width,
        } => {
            let ins = Ins::parse(&ins, &ins_oid, InsPolicy { test_profile })
                .map_err(crate::records::Error::from)?;
            let query = DocumentQuery::for_patient(PatientSelector::Ins(ins));
            let client = match backend {
                Some(b) => b,
                None => CliBackend::resolve(&args, settings)?,
            };
            let runtime = runtime()?;
            let documents = runtime.block_on(client.find(&query))?;
            let entry = documents
                .iter()
                .find(|d| d.id == id || d.unique_id.as_deref() == Some(id.as_str()))
                .ok_or_else(|| CliError::NoSuchDocument { id: id.clone() })?;
            let bytes = runtime.block_on(client.fetch(entry))?;
            let text = crate::records::content::render(entry.mime_type.as_deref(), &bytes)?;
            print(out, &text, width.unwrap_or_else(terminal_width))?;
        }
    }
    Ok(0)
}

/// A CDA or an XDM file as rich text.
pub fn render_file(path: &Path) -> Result<RichText, CliError> {
    let read_error = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_INPUT_BYTES {
        return Err(CliError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    if bytes.starts_with(b"PK\x03\x04") {
        render_xdm(bytes)
    } else {
        Ok(cda::render(&cda::parse(&bytes)?))
    }
}

fn render_xdm(bytes: Vec<u8>) -> Result<RichText, CliError> {
    let package = XdmPackage::read(bytes)?;
    let mut out = RichText::default();
    for (n, doc) in package.documents.iter().enumerate() {
        let verified = package.document_bytes(doc)?;
        let title = doc.entry.title.as_deref().unwrap_or("sans titre");
        let check = match (verified.hash_checked, verified.size_checked) {
            (true, _) => "empreinte SHA-1 vérifiée",
            (false, true) => "taille vérifiée, pas d'empreinte",
            (false, false) => "ni empreinte ni taille dans les métadonnées",
        };
        out.push_line(Line::styled(
            &format!("Document {} de l'archive XDM : {title} ({check})", n + 1),
            crate::domain::text::Emphasis::Muted,
        ));
        let is_xml = doc
            .entry
            .mime_type
            .as_deref()
            .is_none_or(|m| m.contains("xml"));
        match is_xml.then(|| cda::parse(&verified.bytes)) {
            Some(Ok(document)) => out.blocks.extend(cda::render(&document).blocks),
            Some(Err(e)) => return Err(e.into()),
            None => out.push_line(Line::styled(
                &format!(
                    "{} ({} octets) : à ouvrir avec une visionneuse externe.",
                    doc.entry.mime_type.as_deref().unwrap_or("fichier"),
                    verified.bytes.len()
                ),
                crate::domain::text::Emphasis::Warning,
            )),
        }
        out.push_line(Line::default());
    }
    Ok(out)
}

fn documents_table(documents: &[DocumentEntry]) -> RichText {
    let mut text = RichText::default();
    if documents.is_empty() {
        text.push_line(Line::plain("Aucun document."));
        return text;
    }
    let rows = documents
        .iter()
        .map(|d| {
            vec![
                d.date
                    .as_deref()
                    .map(|s| s.chars().take(10).collect())
                    .unwrap_or_default(),
                d.type_code
                    .as_ref()
                    .map(|c| c.display.clone().unwrap_or_else(|| c.code.clone()))
                    .unwrap_or_default(),
                d.title.clone().unwrap_or_default(),
                d.authors.join(", "),
                if d.shareable_with_patient() {
                    String::new()
                } else {
                    "invisible patient".to_string()
                },
            ]
        })
        .collect();
    let header = ["Date", "Type", "Titre", "Auteur", "Visibilité"]
        .map(String::from)
        .to_vec();
    text.push_table(Table { header, rows });
    text
}

fn entry_json(d: &DocumentEntry) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "unique_id": d.unique_id,
        "date": d.date,
        "type": d.type_code.as_ref().map(|c| &c.code),
        "type_display": d.type_code.as_ref().and_then(|c| c.display.as_ref()),
        "title": d.title,
        "authors": d.authors,
        "facility": d.facility,
        "mime_type": d.mime_type,
        "size": d.size,
        "invisible_to_patient": d.masking.invisible_to_patient,
        "status": d.status.map(|s| format!("{s:?}")),
        "confidentiality": d.confidentiality.iter().map(|c| &c.code).collect::<Vec<_>>(),
    })
}

fn terminal_width() -> usize {
    crossterm::terminal::size()
        .map(|(w, _)| usize::from(w))
        .ok()
        .filter(|w| *w >= 20)
        .unwrap_or(80)
}

/// Lays out at `width` and word-wraps the lines tables did not already fit.
fn print(out: &mut dyn Write, text: &RichText, width: usize) -> Result<(), CliError> {
    let width = width.max(20);
    for line in text.layout(width) {
        for wrapped in wrap(&line.to_plain_string(), width) {
            writeln!(out, "{wrapped}").map_err(CliError::Output)?;
        }
    }
    Ok(())
}

/// Greedy word wrap; continuation lines keep the indentation and bullet
/// width of the first line so lists stay readable.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.width() <= width {
        return vec![line.to_string()];
    }
    let leading = line.len() - line.trim_start().len();
    let rest = &line[leading..];
    let bullet = ["• ", "- "]
        .iter()
        .find(|b| rest.starts_with(*b))
        .map(|b| b.chars().count())
        .unwrap_or(0);
    let indent = " ".repeat((leading + bullet).min(width / 2));
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let candidate_width = current.width() + 1 + word.width();
        if !current.trim().is_empty() && candidate_width > width {
            lines.push(std::mem::replace(&mut current, indent.clone()));
        } else if !current.is_empty() && !current.ends_with(' ') {
            current.push(' ');
        }
        // A word longer than the line is cut, never left to overflow.
        let mut word = word;
        while current.width() + word.width() > width && !word.is_empty() {
            let room = width.saturating_sub(current.width()).max(1);
            let cut = word
                .char_indices()
                .map(|(i, _)| i)
                .take_while(|&i| word[..i].width() <= room)
                .last()
                .unwrap_or(0);
            let cut = if cut == 0 {
                word.chars()
                    .next()
                    .map(char::len_utf8)
                    .unwrap_or(word.len())
            } else {
                cut
            };
            current.push_str(&word[..cut]);
            lines.push(std::mem::replace(&mut current, indent.clone()));
            word = &word[cut..];
        }
        current.push_str(word);
    }
    if !current.trim().is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_indentation() {
        let lines = wrap("• un deux trois quatre cinq six sept", 14);
        assert!(lines.iter().all(|l| l.width() <= 14), "{lines:?}");
        assert_eq!(lines[0], "• un deux");
        assert!(lines[1].starts_with("  "), "{lines:?}");
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>().len(),
            8
        );
        let long = wrap(&"x".repeat(50), 20);
        assert!(long.iter().all(|l| l.width() <= 20), "{long:?}");
        assert_eq!(long.concat().trim().len(), 50);
    }

    #[test]
    fn dates_are_parsed_strictly() {
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_date("2024-13-01").is_err());
        assert!(parse_date("01/02/2024").is_err());
    }
}
