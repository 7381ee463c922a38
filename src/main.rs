//! The `cachet` binary: parses the command line and dispatches.
//!
//! `anyhow` lives here only; the library returns typed errors.

use anyhow::Context;
use cachet::app::i18n::{Lang, Texts};
use cachet::app::runtime::{self, Services};
use cachet::app::startup;
use cachet::app::state::{Connectivity, SessionInfo};
use cachet::app::theme::ColorDepth;
use cachet::cli::{Cli, Commands, ConfigCommand, LangArg, exit};
use cachet::config::{EXAMPLE, Paths, Settings};
use cachet::ui::UiContext;
use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc, configured to give freed memory back (see `cachet::allocator`).
#[global_allocator]
static ALLOCATOR: cachet::allocator::Allocator = cachet::allocator::Allocator;

fn main() -> ExitCode {
    cachet::allocator::configure();
    let cli = Cli::parse();
    let paths = Paths::resolve(cli.config.clone(), cli.profile_dir.clone());
    init_logging(&paths);
    // Read before any thread exists: the local offset is unsound to query later.
    let utc_offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    match dispatch(cli, &paths, utc_offset) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("cachet: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn dispatch(cli: Cli, paths: &Paths, utc_offset: time::UtcOffset) -> anyhow::Result<u8> {
    match cli.command {
        None => {
            let settings = load_settings(paths)?;
            let session = SessionInfo {
                profile: None,
                account: settings.accounts.first().map(|a| a.address.clone()),
                connectivity: Connectivity::Offline,
            };
            let mut services = Services::default();
            // The session opens with the card: the login screen follows the
            // readers; without PC/SC it says so and the user can still quit.
            // Each practitioner's card opens (or creates) their own encrypted profile.
            let session_store = Arc::new(cachet::app::session_store::SessionStore::new(
                paths.profiles_dir.clone(),
            ));
            services.store = Some(session_store.clone());
            let card_events = match cachet::card::CardHandle::spawn_pcsc(None) {
                Ok(handle) => {
                    services.records = records_service(&settings, Some(&handle))?;
                    // After each unlock: the accounts' services on the holder's profile.
                    if !settings.accounts.is_empty() {
                        services.session =
                            Some(Arc::new(cachet::cli::tui_session::AccountsOpener {
                                settings: settings.clone(),
                                card: Some(handle.clone()),
                            }));
                    }
                    let events = handle.subscribe();
                    services.card = Some(Arc::new(runtime::CardHandleSession {
                        handle,
                        store: Some(session_store.clone()),
                    }));
                    Some(events)
                }
                Err(error) => {
                    tracing::warn!("no PC/SC: {error}");
                    services.records = records_service(&settings, None)?;
                    None
                }
            };
            if let Some(api) = directory_api(&settings)? {
                let client = cachet::directory::fhir::FhirClient::new(api)
                    .map_err(|e| anyhow::anyhow!("[directory] fhir_url: {e}"))?;
                services.directory_api = Some(Arc::new(client));
            }
            let index_root = paths.profiles_dir.join("directory");
            if cachet::directory::Index::open(&index_root).is_ok() {
                services.directory = cachet::directory::DirectoryHandle::spawn(index_root).ok();
            }
            let launch = Launch {
                services,
                card_events,
                card: None,
                logged_in: false,
                demo: false,
            };
            run_tui(&settings, paths, cli.lang, session, launch, utc_offset)
        }
        Some(Commands::Demo { seed }) => {
            let settings = load_settings(paths).unwrap_or_default();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            // The simulated card's test PKI is reused between runs (it holds no health data).
            let pki_dir = std::env::temp_dir().join(format!(
                "cachet-demo-pki-{}",
                rustix::process::getuid().as_raw()
            ));
            let (handle, simulator) = cachet::card::sim::demo(&pki_dir)
                .map_err(|e| anyhow::anyhow!("the simulated card: {e}"))?;
            let events = handle.subscribe();
            let info = handle
                .wait_for_card(std::time::Duration::from_secs(15))
                .map_err(|e| anyhow::anyhow!("the simulated card: {e}"))?;
            // The demo's session opens as a real one would: the PIN verified
            // on the (simulated) card, a throwaway profile whose data key is
            // wrapped to that card, the generated mailbox written into the
            // encrypted store and read back from it.
            handle
                .verify(cachet::card::Pin::new(zeroize::Zeroizing::new(
                    cachet::demo::DEMO_PIN.to_string(),
                ))?)
                .map_err(|e| anyhow::anyhow!("the simulated card: {e}"))?;
            let profile = DemoProfile::new()?;
            let unwrapper = cachet::app::card_store::CardUnwrapper {
                handle: handle.clone(),
                info: info.clone(),
            };
            let (store, _) = cachet::store::Profiles::new(&profile.root)
                .create(
                    &unwrapper,
                    cachet::store::CreateOptions {
                        with_recovery_code: false,
                    },
                )
                .map_err(|e| anyhow::anyhow!("the demo profile: {e}"))?;
            cachet::audit::append(
                &store,
                &cachet::audit::AuditEvent {
                    action: cachet::audit::Action::Login,
                    target: None,
                    request: "VERIFY PIN (demo card)".into(),
                    response: None,
                    outcome: cachet::audit::Outcome::Success,
                },
            )
            .map_err(|e| anyhow::anyhow!("the demo audit trail: {e}"))?;
            let store = cachet::store::StoreHandle::spawn(store)
                .map_err(|e| anyhow::anyhow!("the demo profile: {e}"))?;
            // The generated messages, as real RFC 822 bytes, go into the
            // encrypted cache through the same code a sync uses; the demo
            // mailbox is then served by the cache like a real account.
            seed_demo_cache(&store, cachet::demo::generate(now, seed).raw_folders())
                .map_err(|e| anyhow::anyhow!("the demo mailbox: {e}"))?;
            let mailbox = cachet::mail::cache::CachedMailSource::local(store.clone(), "demo");
            let (directory, directory_progress) = demo_directory(seed)?;
            let session_store = Arc::new(cachet::app::session_store::SessionStore::fixed(
                cachet::store::KeyUnwrapper::holder_id(&unwrapper),
                store.clone(),
            ));
            let services = Services {
                mail: Some(Arc::new(mailbox)),
                card: Some(Arc::new(runtime::CardHandleSession {
                    handle,
                    store: Some(session_store.clone()),
                })),
                records: Some(Arc::new(
                    cachet::app::records_service::RecordsService::Demo(
                        cachet::demo::records::DemoRecords::new(),
                    ),
                )),
                demo_card: Some(simulator),
                directory: Some(directory),
                directory_api: None,
                store: Some(session_store),
                progress: directory_progress,
                outbox: None,
                test_profile: true,
                session: None,
                sent: None,
            };
            let session = SessionInfo {
                profile: Some(info.holder.display_name.clone()),
                account: Some("alice.martin@cabinet-exemple.mssante.test".into()),
                connectivity: Connectivity::Demo,
            };
            let launch = Launch {
                services,
                card_events: Some(events),
                card: Some(info),
                logged_in: true,
                demo: true,
            };
            let result = run_tui(&settings, paths, cli.lang, session, launch, utc_offset);
            drop(profile);
            result
        }
        Some(Commands::Config(ConfigCommand::Check { file })) => {
            let file = file.unwrap_or_else(|| paths.config_file.clone());
            if !file.exists() {
                eprintln!("cachet: {} does not exist", file.display());
                return Ok(exit::ERROR);
            }
            match Settings::load(&file) {
                Ok(settings) => {
                    println!(
                        "{}: OK ({} account(s))",
                        file.display(),
                        settings.accounts.len()
                    );
                    Ok(exit::OK)
                }
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(exit::ERROR)
                }
            }
        }
        Some(Commands::Config(ConfigCommand::Example)) => {
            print!("{EXAMPLE}");
            Ok(exit::OK)
        }
        Some(Commands::Config(ConfigCommand::Paths)) => {
            println!("config:   {}", paths.config_file.display());
            println!("keymap:   {}", paths.keymap_file().display());
            println!("themes:   {}", paths.themes_dir().display());
            println!("profiles: {}", paths.profiles_dir.display());
            println!("log:      {}", paths.state_dir.join("cachet.log").display());
            Ok(exit::OK)
        }
        Some(Commands::Card(command)) => {
            match cachet::cli::card::run(command, &mut std::io::stdout().lock()) {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(cachet::error::HasKind::kind(&error).exit_code())
                }
            }
        }
        Some(Commands::Directory(command)) => {
            let settings = load_settings(paths)?;
            let ctx = cachet::cli::directory::DirectoryContext::for_profile(
                &paths.profiles_dir,
                directory_api(&settings)?,
            );
            match cachet::cli::directory::run(command, &ctx) {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(cachet::error::HasKind::kind(&error).exit_code())
                }
            }
        }
        Some(command @ (Commands::Store(_) | Commands::Profile(_) | Commands::Audit(_))) => {
            let ctx = cachet::cli::store::StoreContext {
                profiles_root: paths.profiles_dir.clone(),
            };
            let cards = cachet::cli::card_provider::PcscCards { pin_fd: cli.pin_fd };
            let mut out = std::io::stdout().lock();
            let result = match &command {
                Commands::Store(cmd) => cachet::cli::store::run_store(cmd, &ctx, &cards, &mut out),
                Commands::Profile(cmd) => {
                    cachet::cli::store::run_profile(cmd, &ctx, &cards, &mut out)
                }
                Commands::Audit(cmd) => cachet::cli::audit::run(cmd, &ctx, &cards, &mut out),
                _ => Ok(exit::USAGE),
            };
            match result {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(cachet::error::HasKind::kind(&error).exit_code())
                }
            }
        }
        Some(Commands::Imap(command)) => {
            let settings = load_settings(paths)?;
            let uses_card = settings
                .accounts
                .iter()
                .any(|a| a.imap.auth == cachet::config::AuthMethod::Card);
            let client_auth: Option<Arc<dyn rustls::client::ResolvesClientCert>> = if uses_card {
                match cachet::cli::card_provider::client_auth(cli.pin_fd) {
                    Ok(auth) => Some(auth),
                    Err(error) => {
                        eprintln!("cachet: {error}");
                        return Ok(exit::CARD);
                    }
                }
            } else {
                None
            };
            match cachet::cli::imap::run(command, &settings, client_auth) {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(error.exit_code())
                }
            }
        }
        Some(
            command @ (Commands::Sync(_)
            | Commands::List(_)
            | Commands::Read(_)
            | Commands::Search(_)),
        ) => {
            let settings = load_settings(paths)?;
            let command = match command {
                Commands::Sync(a) => cachet::cli::mailbox::MailboxCommand::Sync(a),
                Commands::List(a) => cachet::cli::mailbox::MailboxCommand::List(a),
                Commands::Read(a) => cachet::cli::mailbox::MailboxCommand::Read(a),
                Commands::Search(a) => cachet::cli::mailbox::MailboxCommand::Search(a),
                _ => return Ok(exit::USAGE),
            };
            let card = match cachet::cli::card_provider::card_session(cli.pin_fd) {
                Ok(card) => card,
                Err(error) => {
                    eprintln!("cachet: {error}");
                    return Ok(exit::CARD);
                }
            };
            let ctx = cachet::cli::mailbox::MailboxContext {
                settings: &settings,
                profiles_root: paths.profiles_dir.clone(),
                card: card.unwrapper.as_ref(),
                client_auth: Some(
                    card.client_auth.clone() as Arc<dyn rustls::client::ResolvesClientCert>
                ),
                card_tls: card.versions,
                labels: match cli.lang {
                    Some(LangArg::En) => cachet::mail::render::Labels::ENGLISH,
                    _ => cachet::mail::render::Labels::FRENCH,
                },
            };
            match cachet::cli::mailbox::run(command, &ctx, &mut std::io::stdout().lock()) {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(error.exit_code())
                }
            }
        }
        Some(
            command @ (Commands::Send(_)
            | Commands::Outbox(_)
            | Commands::Receipts(_)
            | Commands::Mdn(_)),
        ) => {
            use cachet::cli::mail_wire::{self, MailCommand};
            let command = match command {
                Commands::Send(a) => MailCommand::Send(a),
                Commands::Outbox(a) => MailCommand::Outbox(a),
                Commands::Receipts(a) => MailCommand::Receipts(a),
                Commands::Mdn(a) => MailCommand::Mdn(a),
                _ => return Ok(exit::USAGE),
            };
            let settings = load_settings(paths)?;
            let uses_card = settings.accounts.iter().any(|a| {
                a.imap.auth == cachet::config::AuthMethod::Card
                    || a.smtp
                        .as_ref()
                        .is_some_and(|s| s.auth == cachet::config::AuthMethod::Card)
            });
            // One PIN entry: the card opens the store and, for card accounts,
            // is the TLS client certificate too.
            let pcsc = cachet::cli::card_provider::PcscCards { pin_fd: cli.pin_fd };
            let verified = if uses_card {
                match cachet::cli::card_provider::VerifiedCard::open(cli.pin_fd) {
                    Ok(card) => Some(card),
                    Err(error) => {
                        eprintln!("cachet: {error}");
                        return Ok(exit::CARD);
                    }
                }
            } else {
                None
            };
            let client_auth: Option<Arc<dyn rustls::client::ResolvesClientCert>> = verified
                .as_ref()
                .map(|c| c.client_auth() as Arc<dyn rustls::client::ResolvesClientCert>);
            let cards: &dyn cachet::cli::store::CardProvider = match &verified {
                Some(card) => card,
                None => &pcsc,
            };
            let ctx = mail_wire::MailContext {
                settings: &settings,
                profiles_root: paths.profiles_dir.clone(),
                directory_root: Some(paths.profiles_dir.join("directory")),
                cards,
                client_auth,
                now: time::OffsetDateTime::now_utc().unix_timestamp(),
            };
            let result = mail_wire::run(
                command,
                &ctx,
                std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            );
            match result {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(mail_wire::exit_code(&error))
                }
            }
        }
        Some(Commands::Message(command)) => {
            let labels = match cli.lang {
                Some(LangArg::En) => cachet::mail::render::Labels::ENGLISH,
                _ => cachet::mail::render::Labels::FRENCH,
            };
            match cachet::cli::message::run(command, labels, &mut std::io::stdout().lock()) {
                Ok(()) => Ok(exit::OK),
                Err(error) => {
                    eprintln!("cachet: {error}");
                    Ok(error.exit_code())
                }
            }
        }
        Some(Commands::Records(command)) => {
            let settings = load_settings(paths).ok();
            match cachet::cli::records::run_with(
                command,
                settings.as_ref(),
                None,
                &mut std::io::stdout().lock(),
            ) {
                Ok(code) => Ok(code),
                Err(error) => {
                    eprintln!("cachet: {}", error.message());
                    Ok(error.exit_code())
                }
            }
        }
        Some(Commands::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "cachet", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Some(Commands::Man) => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("writing the man page")?;
            Ok(exit::OK)
        }
    }
}

/// Writes the demo's folders into the profile's mail cache (account `demo`).
fn seed_demo_cache(
    store: &cachet::store::StoreHandle,
    folders: Vec<cachet::demo::RawFolder>,
) -> Result<(), cachet::mail::cache::Error> {
    use cachet::domain::mailbox::FolderRole;
    use cachet::mail::cache::import::{RawFolder, RawMessage, import_account};
    use cachet::mail::imap::types::{Flags, SpecialUse};
    let folders = folders
        .into_iter()
        .map(|f| RawFolder {
            name: f.name,
            special_use: match f.role {
                FolderRole::Inbox => Some(SpecialUse::Inbox),
                FolderRole::Sent => Some(SpecialUse::Sent),
                FolderRole::Drafts => Some(SpecialUse::Drafts),
                FolderRole::Trash => Some(SpecialUse::Trash),
                FolderRole::Archive => Some(SpecialUse::Archive),
                FolderRole::Other => None,
            },
            messages: f
                .messages
                .into_iter()
                .map(|(uid, flags, raw)| RawMessage {
                    uid,
                    flags: Flags::of(
                        [
                            (flags.seen, Flags::SEEN),
                            (flags.flagged, Flags::FLAGGED),
                            (flags.answered, Flags::ANSWERED),
                            (flags.deleted, Flags::DELETED),
                        ]
                        .into_iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, name)| name),
                    ),
                    raw,
                })
                .collect(),
        })
        .collect();
    import_account(store, "demo", folders)
}

/// The shared-record backend of `[records]`: MHD, or the DMP with the card
/// (the client is built once the card is there and its PIN verified).
fn records_service(
    settings: &Settings,
    card: Option<&cachet::card::CardHandle>,
) -> anyhow::Result<Option<Arc<cachet::app::records_service::RecordsService>>> {
    use cachet::app::records_service::{DmpService, RecordsService};
    use cachet::config::RecordsBackendKind;
    let Some(records) = &settings.records else {
        return Ok(None);
    };
    let service = match (records.backend(), card) {
        (Some(RecordsBackendKind::Mhd), _) => {
            let url = records.mhd_url.as_deref().unwrap_or_default();
            let client = cachet::records::mhd::MhdClient::with_webpki_roots(url)
                .map_err(|e| anyhow::anyhow!("[records] mhd_url: {e}"))?;
            RecordsService::Mhd(client)
        }
        (Some(RecordsBackendKind::Dmp), Some(card)) => {
            let Some(dmp) = records.dmp(&settings.trust) else {
                return Ok(None);
            };
            RecordsService::Dmp(Box::new(DmpService::new(dmp, card.clone())))
        }
        (Some(RecordsBackendKind::Dmp), None) => {
            tracing::warn!("the DMP needs the card, and PC/SC is not available");
            return Ok(None);
        }
        (None, _) => return Ok(None),
    };
    Ok(Some(Arc::new(service)))
}

/// The Annuaire Santé API settings, when `[directory] fhir_url` is set; the
/// key comes from `api_key_command`, never from the file itself.
fn directory_api(
    settings: &Settings,
) -> anyhow::Result<Option<cachet::directory::fhir::ApiSettings>> {
    let Some(directory) = &settings.directory else {
        return Ok(None);
    };
    let Some(base_url) = directory.fhir_url.clone() else {
        return Ok(None);
    };
    let api_key = match &directory.api_key_command {
        Some(command) => {
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stderr(std::process::Stdio::inherit())
                .output()
                .context("running [directory] api_key_command")?;
            anyhow::ensure!(
                output.status.success(),
                "[directory] api_key_command failed ({})",
                output.status
            );
            let key = String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            Some(secrecy::SecretString::from(key))
        }
        None => None,
    };
    Ok(Some(cachet::directory::fhir::ApiSettings {
        base_url,
        api_key,
        timeout: std::time::Duration::from_secs(10),
        ca_file: None,
        max_pages: 5,
        page_size: 50,
    }))
}

/// The demo's generated directory (20 000 activity rows of fictional
/// practitioners), built in a temporary folder and reused afterwards. The
/// first time, it is generated and imported in the background while the
/// interface runs, with its progress in the status bar.
type Gauge = tokio::sync::watch::Receiver<Option<cachet::app::msg::Progress>>;

fn demo_directory(
    seed: u64,
) -> anyhow::Result<(cachet::directory::DirectoryHandle, Option<Gauge>)> {
    let base = std::env::temp_dir().join(format!(
        "cachet-demo-directory-{}-{seed}",
        rustix::process::getuid().as_raw()
    ));
    let root = base.join("index");
    let handle = cachet::directory::DirectoryHandle::spawn(root.clone())
        .map_err(|e| anyhow::anyhow!("the demo directory: {e}"))?;
    if cachet::directory::Index::open(&root).is_ok() {
        return Ok((handle, None));
    }
    let (tx, rx) = tokio::sync::watch::channel(None);
    let done = tx.clone();
    let report = move |done: u64| {
        let label = cachet::app::i18n::T::ProgressDemoDirectory;
        let _ = tx.send(Some(cachet::app::msg::Progress {
            label,
            done,
            total: 1000,
        }));
    };
    let owner = handle.clone();
    std::thread::Builder::new()
        .name("demo-directory".into())
        .spawn(move || {
            report(0);
            let generated =
                cachet::directory::generate::generate(20_000, seed, &base.join("files"));
            let imported = generated.map(|g| {
                cachet::directory::import_files(
                    &root,
                    &[g.activity_file, g.mailbox_file],
                    &cachet::directory::ImportOptions {
                        max_malformed_details: 10,
                    },
                    &mut |p| {
                        let file = p.bytes_read as f64 / p.bytes_total.max(1) as f64;
                        let overall = (p.file as f64 + file) / p.files.max(1) as f64;
                        report(100 + (overall * 900.0) as u64);
                    },
                )
            });
            if !matches!(imported, Ok(Ok(_))) {
                tracing::error!("the demo directory could not be built");
            }
            let _ = futures::executor::block_on(owner.reload());
            let _ = done.send(None); // finished: the gauge goes away
        })
        .context("starting the demo directory builder")?;
    Ok((handle, Some(rx)))
}

fn load_settings(paths: &Paths) -> anyhow::Result<Settings> {
    Settings::load(&paths.config_file).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The demo's throwaway profile folder, removed when the demo ends.
struct DemoProfile {
    root: std::path::PathBuf,
}

impl DemoProfile {
    fn new() -> anyhow::Result<DemoProfile> {
        let root = std::env::temp_dir().join(format!("cachet-demo-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).context("creating the demo profile folder")?;
        Ok(DemoProfile { root })
    }
}

impl Drop for DemoProfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// What the interface starts with.
struct Launch {
    services: Services,
    card_events: Option<tokio::sync::mpsc::UnboundedReceiver<cachet::card::CardEvent>>,
    /// The card already in the reader, if known.
    card: Option<cachet::card::CardInfo>,
    /// The session is already open (the demo): start in the mailbox.
    logged_in: bool,
    demo: bool,
}

fn run_tui(
    settings: &Settings,
    paths: &Paths,
    lang: Option<LangArg>,
    session: SessionInfo,
    launch: Launch,
    utc_offset: time::UtcOffset,
) -> anyhow::Result<u8> {
    let Launch {
        mut services,
        card_events,
        card,
        logged_in,
        demo,
    } = launch;
    let has_mail = services.mail.is_some() || services.session.is_some();
    let mut built = startup::build(settings, paths, session, has_mail, ColorDepth::from_env());
    if let Some(lang) = lang {
        built.texts = Texts::new(match lang {
            LangArg::Fr => Lang::Fr,
            LangArg::En => Lang::En,
        });
    }
    let state = &mut built.state;
    if demo {
        state.login.demo_pin = Some(cachet::demo::DEMO_PIN.to_string());
        state.records.test_profile = true;
        state.records.demo_ins = Some(cachet::demo::records::demo_patient_ins());
    }
    if let Some(info) = &card {
        state.login.holder = Some(info.holder.display_name.clone());
        state.login.card_holder_id = info
            .holder
            .national_id
            .clone()
            .or_else(|| Some(info.holder.display_name.clone()));
        state.login.card_present = true;
        state.login.reader_present = true;
    }
    if logged_in {
        state.login.session_holder = state.login.card_holder_id.clone();
    } else {
        state.screen = cachet::app::state::Screen::Login;
        state.login.reader_present = card_events.is_some();
    }
    state.records.available = services.records.is_some();
    state.directory.available = services.directory.is_some();
    state.directory.api_configured = services.directory_api.is_some();
    state.audit.available = services.store.is_some();
    state.records.test_profile |= settings.records.as_ref().is_some_and(|r| r.test_profile);
    state.compose.accounts = compose_accounts(settings, state.session.account.as_deref(), demo);
    services.test_profile = state.records.test_profile;
    let ui = UiContext {
        theme: built.theme,
        texts: built.texts,
        utc_offset,
        now: 0,
    };
    let initial = if has_mail && logged_in {
        vec![cachet::app::msg::Effect::LoadFolders]
    } else {
        Vec::new()
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    if demo && let Some(store) = services.store.as_ref().and_then(|s| s.handle()) {
        // No server in the demo: sent messages wait in the (throwaway)
        // profile's encrypted outbox.
        let _inside = runtime.enter();
        services.outbox = Some(cachet::app::mail_service::offline_outbox(
            cachet::mail::outbox::StoreOutboxStore::new(store),
        ));
    }
    built.state.outbox.available = services.outbox.is_some() || services.session.is_some();
    runtime.block_on(runtime::run(
        built.state,
        ui,
        services,
        card_events,
        initial,
    ))?;
    Ok(exit::OK)
}

/// The composer's From choices: the configured accounts (the demo's own).
fn compose_accounts(
    settings: &Settings,
    session_account: Option<&str>,
    demo: bool,
) -> Vec<cachet::ui::screens::compose::Account> {
    let mut accounts: Vec<_> = settings
        .accounts
        .iter()
        .map(|a| cachet::ui::screens::compose::Account {
            name: Some(a.name.clone()).filter(|n| !n.is_empty()),
            address: a.address.clone(),
            signature: a.signature.clone(),
        })
        .collect();
    if demo && let Some(address) = session_account {
        accounts = vec![cachet::ui::screens::compose::Account {
            name: Some("Dr Alice Martin".into()),
            address: address.to_string(),
            signature: Some("Dr Alice Martin, médecin généraliste".into()),
        }];
    }
    accounts
}

/// Logs go to a file in the XDG state folder, never to the terminal the TUI
/// owns. Secrets and message content are never logged (by construction: they
/// have no `Debug`/`Display` that reveals them, and no log call takes them).
fn init_logging(paths: &Paths) {
    if std::fs::create_dir_all(&paths.state_dir).is_err() {
        return;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.state_dir.join("cachet.log"));
    if let Ok(file) = file {
        let filter = tracing_subscriber::EnvFilter::try_from_env("CACHET_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    }
}
