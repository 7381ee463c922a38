//! A headless harness: the real `update` and `view`, with effects run
//! synchronously against a mail source. Used by the screen snapshots and the
//! key-sequence flow tests, so they exercise exactly what the runtime does,
//! minus the terminal.

use super::i18n::{Lang, Texts};
use super::keymap::Keymap;
use super::keys::KeyPress;
use super::msg::{Effect, Msg};
use super::runtime::{CardSession, PinOutcome};
use super::state::{Connectivity, SessionInfo, State};
use super::theme::{ColorDepth, Theme};
use super::update::update;
use crate::demo::DEMO_PIN;
use crate::domain::mailbox::MailSource;
use crate::ui::{UiContext, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;

/// A card session for headless tests: PIN 1234, three tries, blocking.
/// (The demo binary and the card tests use the real CPS simulator.)
pub struct ScriptedCard {
    tries_left: std::sync::Mutex<u8>,
}

impl Default for ScriptedCard {
    fn default() -> Self {
        ScriptedCard {
            tries_left: std::sync::Mutex::new(3),
        }
    }
}

impl CardSession for ScriptedCard {
    fn verify(&self, pin: crate::card::Pin) -> PinOutcome {
        let Ok(mut tries) = self.tries_left.lock() else {
            return PinOutcome::Blocked;
        };
        if *tries == 0 {
            return PinOutcome::Blocked;
        }
        if pin.bytes() == DEMO_PIN.as_bytes() {
            *tries = 3;
            PinOutcome::Accepted
        } else {
            *tries -= 1;
            if *tries == 0 {
                PinOutcome::Blocked
            } else {
                PinOutcome::Rejected { tries_left: *tries }
            }
        }
    }

    fn lock(&self) {}
}

/// The fixed clock of the harness: 2026-11-18 in UTC.
pub const NOW: i64 = 1_795_000_000;

pub struct Harness {
    pub state: State,
    pub ui: UiContext,
    /// The mail source the effects run against (the demo unless a test swaps it).
    pub mail: std::sync::Arc<dyn MailSource>,
    /// Every mail effect performed, in order (tests check what was asked).
    pub mail_log: Vec<super::mail_msg::MailEffect>,
    pub card: ScriptedCard,
    pub records: crate::demo::records::DemoRecords,
    /// A generated directory index, when the test asked for one.
    pub directory: Option<(crate::directory::Index, tempfile_free::Folder)>,
    pub clock: Instant,
    /// Effects that a real runtime would have performed outside `update`.
    pub outside: Vec<String>,
    /// Runs the mail effects (outbox, drafts, completion) as the runtime would.
    pub sending: MailHarness,
}

/// The services behind the composer and the outbox in the harness: an
/// in-memory outbox whose records tests can read, an optional encrypted
/// store opened with a software key, the directory when asked for.
pub struct MailHarness {
    pub runtime: tokio::runtime::Runtime,
    pub context: super::mail_service::MailContext,
    pub outbox_store: crate::mail::outbox::MemoryOutboxStore,
    /// The key that opens the store again after a lock.
    pub store_key: Option<std::sync::Arc<crate::store::SoftwareUnwrapper>>,
    pub store_folder: Option<tempfile_free::Folder>,
}

impl MailHarness {
    fn new() -> MailHarness {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("harness runtime: {e}"),
        };
        let outbox_store = crate::mail::outbox::MemoryOutboxStore::new();
        let outbox =
            runtime.block_on(async { super::mail_service::offline_outbox(outbox_store.clone()) });
        MailHarness {
            runtime,
            context: super::mail_service::MailContext {
                outbox: Some(outbox),
                ..Default::default()
            },
            outbox_store,
            store_key: None,
            store_folder: None,
        }
    }

    fn perform(&self, effect: super::mail_effects::ComposeEffect) -> Vec<Msg> {
        self.runtime
            .block_on(super::mail_service::perform(effect, &self.context, NOW))
            .into_iter()
            .map(Msg::Compose)
            .collect()
    }

    /// The store thread, if the harness has a store.
    pub fn store(&self) -> Option<crate::store::StoreHandle> {
        self.context.store.as_ref().and_then(|s| s.handle())
    }
}

impl Harness {
    /// The demo mailbox, loaded, in `lang`, at `width`x`height`.
    pub fn demo(lang: Lang, width: u16, height: u16) -> Harness {
        Harness::with_mail(
            lang,
            width,
            height,
            std::sync::Arc::new(crate::demo::generate(NOW, 2026)),
        )
    }

    /// Like [`Harness::demo`] with another mail source (a generated 100k
    /// folder, a source that fails or is offline).
    pub fn with_mail(
        lang: Lang,
        width: u16,
        height: u16,
        mail: std::sync::Arc<dyn MailSource>,
    ) -> Harness {
        let keymap = Keymap::builtin("default").unwrap_or_default();
        let session = SessionInfo {
            profile: Some("Dr Alice Martin".into()),
            account: Some("alice.martin@cabinet-exemple.mssante.test".into()),
            connectivity: Connectivity::Demo,
        };
        let mut state = State::new(keymap, session, true);
        state.size = (width, height);
        state.reader.lang = lang;
        state.mailbox.utc_offset = Some(time::UtcOffset::UTC);
        state.login.demo_pin = Some(DEMO_PIN.into());
        state.records.available = true;
        state.records.test_profile = true;
        state.records.demo_ins = Some(crate::demo::records::demo_patient_ins());
        let theme = Theme::builtin("default", ColorDepth::None).unwrap_or_else(|_| Theme::plain());
        let ui = UiContext {
            theme,
            texts: Texts::new(lang),
            utc_offset: time::UtcOffset::UTC,
            now: NOW,
        };
        let mut harness = Harness {
            state,
            ui,
            mail,
            mail_log: Vec::new(),
            card: ScriptedCard::default(),
            records: crate::demo::records::DemoRecords::new(),
            directory: None,
            clock: Instant::now(),
            outside: Vec::new(),
            sending: MailHarness::new(),
        };
        harness.state.compose.accounts = vec![crate::ui::screens::compose::Account {
            name: Some("Dr Alice Martin".into()),
            address: "alice.martin@cabinet-exemple.mssante.test".into(),
            signature: Some("Dr Alice Martin, médecin généraliste".into()),
        }];
        harness.state.outbox.available = true;
        harness.settle(vec![Effect::LoadFolders]);
        harness
    }

    /// Sends a message and runs every effect it causes, to completion.
    pub fn send(&mut self, msg: Msg) {
        let effects = update(&mut self.state, msg, self.clock);
        self.settle(effects);
    }

    /// Adds a generated directory of `rows` activity rows (fictional people).
    pub fn with_directory(mut self, rows: u64) -> Harness {
        let folder = tempfile_free::Folder::new("harness-directory");
        let generated = crate::directory::generate::generate(rows, 7, &folder.path.join("files"));
        let index = generated.ok().and_then(|g| {
            let root = folder.path.join("index");
            let options = crate::directory::ImportOptions {
                max_malformed_details: 1,
            };
            crate::directory::import_files(
                &root,
                &[g.activity_file, g.mailbox_file],
                &options,
                &mut |_| {},
            )
            .ok()?;
            crate::directory::Index::open(&root).ok()
        });
        if let Some(index) = index {
            self.sending.context.directory =
                crate::directory::DirectoryHandle::spawn(folder.path.join("index")).ok();
            self.directory = Some((index, folder));
            self.state.directory.available = true;
        }
        self
    }

    /// Adds an encrypted store (a fresh profile opened with a software key):
    /// drafts, addresses already used and the audit trail go there; the
    /// lock locks it and a right PIN opens it again.
    pub fn with_store(mut self) -> Harness {
        let folder = tempfile_free::Folder::new("harness-store");
        let key = match crate::store::SoftwareUnwrapper::generate("harness") {
            Ok(key) => std::sync::Arc::new(key),
            Err(e) => panic!("harness key: {e}"),
        };
        let created = crate::store::Profiles::new(&folder.path).create(
            key.as_ref(),
            crate::store::CreateOptions {
                with_recovery_code: false,
            },
        );
        let handle = match created.map(|(store, _)| crate::store::StoreHandle::spawn(store)) {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) | Err(e) => panic!("harness store: {e}"),
        };
        self.sending.context.store = Some(std::sync::Arc::new(
            super::session_store::SessionStore::fixed("harness".into(), handle),
        ));
        self.sending.store_key = Some(key);
        self.sending.store_folder = Some(folder);
        self
    }

    pub fn key(&mut self, key: &str) {
        match KeyPress::parse(key) {
            Ok(key) => self.send(Msg::Key(key)),
            Err(e) => panic!("bad key in test: {e}"),
        }
    }

    /// Types keys separated by spaces (`"j j enter"`).
    pub fn keys(&mut self, keys: &str) {
        for key in keys.split_whitespace() {
            self.key(key);
        }
    }

    fn settle(&mut self, mut effects: Vec<Effect>) {
        while let Some(effect) = effects.pop() {
            let msgs: Vec<Msg> = match effect {
                Effect::Compose(effect) => self.sending.perform(effect),
                Effect::DropSecrets => {
                    // As in the runtime, the lock's draft is written before the key goes.
                    let mut msgs = Vec::new();
                    while let Some(i) = effects.iter().position(|e| {
                        matches!(
                            e,
                            Effect::Compose(super::mail_effects::ComposeEffect::SaveDraft {
                                on_lock: true,
                                ..
                            })
                        )
                    }) {
                        if let Effect::Compose(save) = effects.remove(i) {
                            msgs.extend(self.sending.perform(save));
                        }
                    }
                    if let Some(store) = &self.sending.context.store {
                        store.lock();
                    }
                    self.outside.push("DropSecrets".into());
                    msgs
                }
                other => self.settle_one(other).into_iter().collect(),
            };
            for msg in msgs {
                effects.extend(update(&mut self.state, msg, self.clock));
            }
        }
    }

    fn settle_one(&mut self, effect: Effect) -> Option<Msg> {
        {
            match effect {
                Effect::LoadFolders => Some(Msg::Mail(super::mail_tasks::load_folders(
                    self.mail.as_ref(),
                ))),
                Effect::Mail(effect) => {
                    self.mail_log.push(effect.clone());
                    Some(Msg::Mail(super::mail_tasks::perform(
                        effect,
                        self.mail.as_ref(),
                    )))
                }
                Effect::SearchDirectory {
                    query, generation, ..
                } => self
                    .directory
                    .as_ref()
                    .map(|(index, _)| Msg::DirectoryResults {
                        generation,
                        result: index.search(&query).map_err(|e| e.to_string()),
                        online_error: None,
                    }),
                Effect::FindRecords { query, generation } => Some(Msg::RecordsListed {
                    generation,
                    result: Ok(self.records.find(&query)),
                    offline: false,
                }),
                Effect::OpenRecord {
                    entry, generation, ..
                } => {
                    let result = self
                        .records
                        .fetch(&entry.id)
                        .map_err(|e| e.to_string())
                        .and_then(|bytes| super::records_service::render_document(&entry, &bytes));
                    Some(Msg::RecordOpened {
                        generation,
                        result,
                        offline: false,
                    })
                }
                Effect::VerifyPin(pin) => Some(match self.card.verify(pin) {
                    PinOutcome::Accepted => {
                        if let (Some(store), Some(key)) =
                            (self.sending.store(), self.sending.store_key.clone())
                        {
                            let _ = store.call(move |s| s.unlock(key.as_ref()));
                        }
                        Msg::Unlocked
                    }
                    PinOutcome::Rejected { tries_left } => Msg::PinRejected { tries_left },
                    PinOutcome::Blocked => Msg::Card(crate::card::CardEvent::PinBlocked {
                        reader: String::new(),
                    }),
                    PinOutcome::Failed(reason) => Msg::Card(crate::card::CardEvent::Unrecognized {
                        reader: String::new(),
                        reason,
                    }),
                }),
                other => {
                    self.outside.push(format!("{other:?}"));
                    None
                }
            }
        }
    }

    /// The screen as text, as a terminal of the harness size would show it.
    pub fn render(&self) -> String {
        let (width, height) = self.state.size;
        let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
        let _ = terminal.draw(|frame| view(frame, &self.state, &self.ui));
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..height {
            for x in 0..width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}

/// The four snapshot variants every screen is checked in: 80x24 and 60x20,
/// French and English. `setup` brings the demo to the screen under test.
pub fn variants(setup: impl Fn(&mut Harness)) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (lang, code) in [(Lang::Fr, "fr"), (Lang::En, "en")] {
        for (width, height) in [(80, 24), (60, 20)] {
            let mut harness = Harness::demo(lang, width, height);
            setup(&mut harness);
            out.push((format!("{code}_{width}x{height}"), harness.render()));
        }
    }
    out
}

/// A scratch folder removed on drop (the library has no tempfile dependency).
pub mod tempfile_free {
    use std::path::PathBuf;

    pub struct Folder {
        pub path: PathBuf,
    }

    impl Folder {
        pub fn new(label: &str) -> Folder {
            let path = std::env::temp_dir().join(format!(
                "cachet-{label}-{}-{:x}",
                std::process::id(),
                fastrand::u64(..)
            ));
            let _ = std::fs::create_dir_all(&path);
            Folder { path }
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
