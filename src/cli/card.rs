//! `cachet card …`: look at readers and the CPS card, check the PIN, and
//! (for developers) run the card simulator in a vsmartcard-vpcd reader.
//! The PIN is read from the terminal without echo or from `--pin-fd N`,
//! never from an argument or the environment. Card and PIN failures map to
//! exit code 3 through [`HasKind`](crate::error::HasKind).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::card::service::{CardState, ReaderStatus};
use crate::card::sim::vpcd::VpcdCard;
use crate::card::sim::{Simulator, pki};
use crate::card::{CardHandle, CardInfo, CardKind, Error, Pin, PinStatus};

/// How long `verify` waits for a card that is being inserted.
const CARD_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, clap::Subcommand)]
pub enum CardCommand {
    /// Show the readers, the card in each (ATR, kind, serial) and its holder.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Only readers whose name contains this text.
        #[arg(long, value_name = "NAME")]
        reader: Option<String>,
    },
    /// Check the card's PIN once and show the tries left before and after.
    Verify {
        /// Read the PIN from this open file descriptor instead of the terminal.
        #[arg(long, value_name = "N")]
        pin_fd: Option<u32>,
        /// Only readers whose name contains this text.
        #[arg(long, value_name = "NAME")]
        reader: Option<String>,
    },
    /// Developer tool: insert a simulated CPS card into a vsmartcard-vpcd
    /// reader of a running pcscd; the card is removed when this exits.
    Simulate {
        /// Where vpcd listens (slot 0 is 35963, slot 1 is 35964).
        #[arg(long, value_name = "HOST:PORT")]
        vpcd: String,
        /// Test PKI folder: reuses ca.crt/ca.key, creates card.* and server.* when missing.
        #[arg(long, value_name = "DIR")]
        pki: PathBuf,
        /// The simulated card's PIN (a test value, not a secret).
        #[arg(long, default_value = "1234")]
        pin: String,
        /// Which card generation to simulate.
        #[arg(long, value_enum, default_value_t = SimKind::Cps3)]
        kind: SimKind,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SimKind {
    Cps3,
    Cps4,
}

/// Runs one `card` subcommand; output goes to `out`, the exit code is returned.
pub fn run(cmd: CardCommand, out: &mut dyn Write) -> Result<u8, Error> {
    match cmd {
        CardCommand::Status { json, reader } => status(&CardHandle::spawn_pcsc(reader)?, json, out),
        CardCommand::Verify { pin_fd, reader } => {
            let handle = CardHandle::spawn_pcsc(reader)?;
            verify(&handle, || read_pin(pin_fd), out)
        }
        CardCommand::Simulate {
            vpcd,
            pki,
            pin,
            kind,
        } => simulate(&vpcd, &pki, &pin, kind, out),
    }
}

fn io(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write the output".into(),
        source,
    }
}

fn describe(info: &CardInfo) -> String {
    let h = &info.holder;
    let mut line = format!(
        "{} card {}, {}",
        info.kind.label(),
        info.serial,
        h.display_name
    );
    if let Some(p) = &h.profession {
        line.push_str(&format!(" ({p})"));
    }
    if let Some(id) = &h.national_id {
        line.push_str(&format!(", IDNPS {id}"));
    }
    line
}

/// `card status`.
pub fn status(handle: &CardHandle, json: bool, out: &mut dyn Write) -> Result<u8, Error> {
    let readers: Vec<ReaderStatus> = handle.readers()?;
    if json {
        let text = serde_json::to_string_pretty(&readers).map_err(|e| Error::Io {
            context: "cannot encode JSON".into(),
            source: e.into(),
        })?;
        writeln!(out, "{text}").map_err(io)?;
        return Ok(0);
    }
    if readers.is_empty() {
        writeln!(out, "No smart card reader is connected.").map_err(io)?;
    }
    for r in &readers {
        let what = match &r.card {
            CardState::Empty => "no card".to_string(),
            CardState::Unrecognized { atr, reason } => {
                format!("unusable card (ATR {}): {reason}", hex::encode_upper(atr))
            }
            CardState::Ready(info) => describe(info),
        };
        writeln!(out, "{}: {what}", r.reader).map_err(io)?;
    }
    Ok(0)
}

fn describe_pin(status: PinStatus) -> String {
    match status {
        PinStatus::Verified => "PIN already verified".into(),
        PinStatus::NotVerified { tries_left } => format!("{tries_left} PIN tries left"),
        PinStatus::Blocked => "PIN blocked".into(),
    }
}

/// `card verify`: one VERIFY, never retried; the PIN is asked only when the
/// card can still take it.
pub fn verify(
    handle: &CardHandle,
    ask: impl FnOnce() -> Result<Pin, Error>,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let info = handle.wait_for_card(CARD_WAIT)?;
    writeln!(out, "{}", describe(&info)).map_err(io)?;
    let before = handle.pin_status()?;
    writeln!(out, "Before: {}.", describe_pin(before)).map_err(io)?;
    match before {
        PinStatus::Blocked => return Err(Error::Blocked),
        PinStatus::Verified => return Ok(0),
        PinStatus::NotVerified { .. } => {}
    }
    handle.verify(ask()?)?;
    let after = handle.pin_status()?;
    writeln!(out, "PIN correct. After: {}.", describe_pin(after)).map_err(io)?;
    Ok(0)
}

/// The PIN from `--pin-fd N` or the terminal (no echo).
pub fn read_pin(fd: Option<u32>) -> Result<Pin, Error> {
    match fd {
        // /dev/fd/N opens the inherited descriptor without unsafe code.
        Some(n) => {
            let path = format!("/dev/fd/{n}");
            let file = std::fs::File::open(&path).map_err(|source| Error::Io {
                context: format!("cannot read the PIN from descriptor {n}"),
                source,
            })?;
            Pin::read_from(file)
        }
        None => {
            let text = rpassword::prompt_password("CPS PIN: ").map_err(|source| Error::Io {
                context: "cannot ask the PIN: no terminal (use --pin-fd N)".into(),
                source,
            })?;
            Pin::new(Zeroizing::new(text))
        }
    }
}

/// `card simulate`: blocks while the card is in the reader.
pub fn simulate(
    vpcd: &str,
    dir: &std::path::Path,
    pin: &str,
    kind: SimKind,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let kind = match kind {
        SimKind::Cps3 => CardKind::Cps3Contact,
        SimKind::Cps4 => CardKind::Cps4,
    };
    let pki = pki::ensure(dir)?;
    let sim = Simulator::new(&pki, kind, pin);
    let card = VpcdCard::insert(vpcd, sim)?;
    writeln!(
        out,
        "Simulated {} card inserted into vpcd at {vpcd} (certificate {}); stop with Ctrl-C to remove it.",
        kind.label(),
        dir.join("card.crt").display()
    )
    .map_err(io)?;
    out.flush().map_err(io)?;
    card.wait()?;
    Err(Error::Io {
        context: "vpcd closed the connection (did pcscd stop?)".into(),
        source: std::io::ErrorKind::ConnectionAborted.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HasKind;

    fn handle() -> (CardHandle, Simulator) {
        let dir = tempfile::tempdir().unwrap().keep();
        let pki = pki::ensure(&dir).unwrap();
        let sim = Simulator::new(&pki, CardKind::Cps3Contact, "1234");
        (
            CardHandle::spawn_simulated("Sim 0", sim.clone()).unwrap(),
            sim,
        )
    }

    fn pin(s: &str) -> Result<Pin, Error> {
        Pin::new(Zeroizing::new(s.into()))
    }

    #[test]
    fn status_text_json_verify_and_exit_codes() {
        let (h, sim) = handle();
        let mut out = Vec::new();
        status(&h, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Sim 0: CPS3 card "), "{text}");
        assert!(
            text.contains("MARTIN Alice (Médecin), IDNPS 810100000017"),
            "{text}"
        );

        let mut out = Vec::new();
        status(&h, true, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["reader"], "Sim 0");
        assert_eq!(v[0]["card"]["state"], "ready");
        assert_eq!(v[0]["card"]["holder"]["national_id"], "810100000017");
        assert_eq!(v[0]["card"]["kind"], "Cps3Contact");

        let mut out = Vec::new();
        let e = verify(&h, || pin("0000"), &mut out).unwrap_err();
        assert_eq!(e.kind().exit_code(), 3);
        assert!(e.to_string().contains("2 tries left"), "{e}");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("Before: 3 PIN tries left.")
        );

        let mut out = Vec::new();
        assert_eq!(verify(&h, || pin("1234"), &mut out).unwrap(), 0);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Before: 2 PIN tries left.")
                && text.contains("After: PIN already verified."),
            "{text}"
        );

        // A blocked card is reported without asking for the PIN.
        sim.with_card(|c| c.reset());
        for wrong in ["1111", "2222", "3333"] {
            let _ = h.verify(pin(wrong).unwrap());
        }
        let mut asked = false;
        let e = verify(
            &h,
            || {
                asked = true;
                pin("1234")
            },
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Blocked));
        assert!(!asked);
        assert_eq!(e.kind().exit_code(), 3);
    }

    #[derive(Debug, clap::Parser)]
    struct Wrapper {
        #[command(subcommand)]
        card: CardCommand,
    }

    #[test]
    fn command_line_shape() {
        use clap::{CommandFactory, Parser};
        Wrapper::command().debug_assert();
        let w = Wrapper::try_parse_from(["card", "verify", "--pin-fd", "3"]).unwrap();
        assert!(matches!(
            w.card,
            CardCommand::Verify {
                pin_fd: Some(3),
                reader: None
            }
        ));
        assert!(
            Wrapper::try_parse_from(["card", "verify", "--pin", "1234"]).is_err(),
            "no PIN argument"
        );
        let w = Wrapper::try_parse_from(["card", "status", "--json"]).unwrap();
        assert!(matches!(w.card, CardCommand::Status { json: true, .. }));
        let w = Wrapper::try_parse_from([
            "card",
            "simulate",
            "--vpcd",
            "127.0.0.1:35963",
            "--pki",
            "/tmp/p",
        ])
        .unwrap();
        let CardCommand::Simulate { pin, kind, .. } = w.card else {
            panic!("simulate")
        };
        assert_eq!(pin, "1234");
        assert!(matches!(kind, SimKind::Cps3));
        assert!(
            Wrapper::try_parse_from(["card", "simulate", "--pki", "/tmp/p"]).is_err(),
            "--vpcd is required"
        );
    }

    #[test]
    fn pin_fd_is_read() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "4321").unwrap();
        let file = std::fs::File::open(f.path()).unwrap();
        assert!(Pin::read_from(file).is_ok());
        assert!(read_pin(Some(987_654)).is_err());
    }
}
