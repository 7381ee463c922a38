//! The mail commands (`send`, `outbox`, `receipts`, `mdn`) driven as `main`
//! drives them, for a stack user: a profile in a temporary folder opened by
//! a software card (the PC/SC card is exercised by the store tests), the
//! settings of the user's account on the stack, and the password in a file
//! read by `password_command`. Everything a child process needs to act as
//! the same user is in the folder (`Profile::from_dir`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cachet::cli::mail_wire::{self, MailCommand, MailContext};
use cachet::cli::store::{CardProvider, CardRole};
use cachet::cli::{Cli, Commands};
use cachet::config::Settings;
use cachet::mail::outbox::{OutboxRecord, OutboxStore, StoreOutboxStore};
use cachet::store::{CreateOptions, KeyUnwrapper, Profiles, SoftwareUnwrapper, StoreHandle};
use clap::Parser;

use crate::common::Stack;

pub struct SoftCard(pub Arc<SoftwareUnwrapper>);

impl CardProvider for SoftCard {
    fn card(&self, _role: CardRole) -> Result<Box<dyn KeyUnwrapper>, cachet::store::Error> {
        Ok(Box::new(self.0.clone()))
    }
}

pub struct Profile {
    pub root: PathBuf,
    card: Arc<SoftwareUnwrapper>,
    /// Keeps the folder alive for the test's duration (absent in a child).
    _dir: Option<tempfile::TempDir>,
}

const CARD_FILE: &str = "card.pk8";
const SETTINGS_FILE: &str = "config.toml";

/// The settings of `user`'s account (`ALICE_USER`…) with SMTP on `smtp_port`.
fn settings_text(stack: &Stack, user: &str, password_file: &Path, smtp_port: u16) -> String {
    let address = stack.get(user);
    let host = crate::smtp_support::host(stack);
    let smtp_host = crate::smtp_support::smtp_host(stack);
    let ca = stack.get("CA_CERT");
    let imap_port = stack.port("IMAPS_PORT");
    let pw = format!("cat '{}'", password_file.display());
    format!(
        "[trust]\nanchors = [\"{ca}\"]\n\n[[account]]\nname = \"{user}\"\naddress = \"{address}\"\n\n\
         [account.imap]\nhost = \"{host}\"\nport = {imap_port}\ntls = \"implicit\"\nauth = \"password\"\n\
         user = \"{address}\"\npassword_command = \"{pw}\"\n\n\
         [account.smtp]\nhost = \"{smtp_host}\"\nport = {smtp_port}\ntls = \"starttls\"\nauth = \"password\"\n\
         user = \"{address}\"\npassword_command = \"{pw}\"\n"
    )
}

impl Profile {
    /// A fresh profile for `user` sending through the real submission port.
    pub fn new(stack: &Stack, user: &str) -> Profile {
        let dir = tempfile::tempdir().unwrap();
        let card = Arc::new(SoftwareUnwrapper::generate("810100000017").unwrap());
        Profiles::new(dir.path())
            .create(
                card.as_ref(),
                CreateOptions {
                    with_recovery_code: false,
                },
            )
            .unwrap();
        std::fs::write(dir.path().join(CARD_FILE), card.to_pkcs8_der().unwrap()).unwrap();
        let pw = dir.path().join("password");
        std::fs::write(&pw, stack.get(&user.replace("_USER", "_PASSWORD"))).unwrap();
        let p = Profile {
            root: dir.path().to_path_buf(),
            card,
            _dir: Some(dir),
        };
        p.point_smtp_at(stack, user, stack.port("SMTP_SUBMISSION_PORT"));
        p
    }

    /// The same profile, from its folder (in a child process).
    pub fn from_dir(root: &Path) -> Profile {
        let der = std::fs::read(root.join(CARD_FILE)).unwrap();
        Profile {
            root: root.to_path_buf(),
            card: Arc::new(SoftwareUnwrapper::from_pkcs8_der("810100000017", &der).unwrap()),
            _dir: None,
        }
    }

    /// Rewrites the settings with SMTP on `port` (a closed one = server down).
    pub fn point_smtp_at(&self, stack: &Stack, user: &str, port: u16) {
        let text = settings_text(stack, user, &self.root.join("password"), port);
        std::fs::write(self.root.join(SETTINGS_FILE), text).unwrap();
    }

    pub fn settings(&self) -> Settings {
        let text = std::fs::read_to_string(self.root.join(SETTINGS_FILE)).unwrap();
        Settings::parse(&text, "config.toml").unwrap()
    }

    /// Runs `cachet <args>` (a mail command) with `stdin`; (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str], stdin: &str) -> (u8, String, String) {
        let cli =
            Cli::try_parse_from(std::iter::once("cachet").chain(args.iter().copied())).unwrap();
        let cmd = match cli.command {
            Some(Commands::Send(a)) => MailCommand::Send(a),
            Some(Commands::Outbox(a)) => MailCommand::Outbox(a),
            Some(Commands::Receipts(a)) => MailCommand::Receipts(a),
            Some(Commands::Mdn(a)) => MailCommand::Mdn(a),
            other => panic!("not a mail command: {other:?}"),
        };
        // The previous command's store thread releases the database lock
        // as it ends: wait for that (separate processes never share it).
        drop(self.open_store());
        let settings = self.settings();
        let cards = SoftCard(self.card.clone());
        let ctx = MailContext {
            settings: &settings,
            profiles_root: self.root.clone(),
            directory_root: None,
            cards: &cards,
            client_auth: None,
            now: crate::smtp_support::now(),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = match mail_wire::run(cmd, &ctx, stdin.as_bytes(), &mut out, &mut err) {
            Ok(c) => c,
            Err(e) => {
                err.extend_from_slice(format!("cachet: {e}\n").as_bytes());
                mail_wire::exit_code(&e)
            }
        };
        let (out, err) = (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        );
        eprintln!("cachet {}: {code}\n{out}{err}", args.join(" "));
        (code, out, err)
    }

    /// The profile's store, once the last command's thread let it go.
    fn open_store(&self) -> cachet::store::Store {
        let profiles = Profiles::new(&self.root);
        for _ in 0..400 {
            if let Ok(s) = profiles.open(self.card.as_ref()) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        profiles.open(self.card.as_ref()).unwrap()
    }

    /// The audit entries about message `id` (oldest first); panics when the
    /// chain does not verify.
    pub fn audit_about(&self, id: &str) -> Vec<cachet::audit::Entry> {
        let store = self.open_store();
        assert!(cachet::audit::verify(&store).unwrap().fault.is_none());
        let mut entries = cachet::audit::query(
            &store,
            &cachet::audit::AuditQuery {
                target: Some(cachet::audit::Target::Message {
                    message_id: id.to_string(),
                }),
                limit: 100,
                ..Default::default()
            },
        )
        .unwrap()
        .entries;
        entries.reverse();
        entries
    }

    /// The outbox records as stored (opens the profile: no command may run).
    pub fn outbox_records(&self) -> Vec<OutboxRecord> {
        let handle = StoreHandle::spawn(self.open_store()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(StoreOutboxStore::new(handle).list()).unwrap()
    }
}

/// The Message-ID in "Sent <id>." (or any `<id>` in the text).
pub fn message_id_in(text: &str) -> String {
    let start = text.find('<').expect("a <message-id>") + 1;
    let end = text[start..].find('>').expect("closing >") + start;
    text[start..end].to_string()
}

/// A port on which nothing listens (bound then released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
