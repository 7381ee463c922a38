//! The event loop: terminal events and task results in, one coalesced redraw out.
//!
//! Only this task touches the terminal. Each [`Effect`] runs as a tokio task
//! (blocking sources on the blocking pool) whose result comes back as a
//! [`Msg`]. Drawing happens on demand: after a batch of messages has been
//! applied, never on a timer.

use super::editor;
use super::i18n::T;
use super::msg::{Effect, MouseInput, Msg, Pin, Progress};
use super::state::{Level, Notification, State};
use super::update::update;
use crate::app::keys::KeyPress;
use crate::domain::mailbox::MailSource;
use crate::ui::{UiContext, view};
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};

/// What the card says about a PIN.
pub enum PinOutcome {
    Accepted,
    Rejected {
        tries_left: u8,
    },
    Blocked,
    /// The card could not be asked (removed, reader error): one sentence.
    Failed(String),
}

/// The session's link to the card: PIN checks and the lock.
pub trait CardSession: Send + Sync {
    /// Consumes the PIN; it is zeroized when dropped.
    fn verify(&self, pin: Pin) -> PinOutcome;
    /// Drops keys and closes authenticated connections.
    fn lock(&self);
    /// The card in this reader is the one to use.
    fn prefer_reader(&self, _reader: &str) {}
}

/// The services the effects run against.
#[derive(Clone, Default)]
pub struct Services {
    pub mail: Option<Arc<dyn MailSource>>,
    pub card: Option<Arc<dyn CardSession>>,
    pub records: Option<Arc<super::records_service::RecordsService>>,
    pub directory: Option<crate::directory::DirectoryHandle>,
    /// The Annuaire Santé FHIR API, when configured.
    pub directory_api: Option<Arc<crate::directory::fhir::FhirClient>>,
    /// The practitioner's encrypted profile: cache and audit trail.
    pub store: Option<Arc<super::session_store::SessionStore>>,
    /// In the demo: the simulated card, which F12 pulls out and puts back.
    pub demo_card: Option<crate::card::sim::Simulator>,
    /// Background work reports here; the status bar shows it as a gauge.
    pub progress: Option<watch::Receiver<Option<Progress>>>,
    /// The outbox owner task (the demo's keeps messages in memory).
    pub outbox: Option<crate::mail::outbox::OutboxHandle>,
    /// Test INS may go into packaged documents (a test profile).
    pub test_profile: bool,
}

impl Services {
    /// What the composer's and outbox's effects run against.
    pub fn mail_context(&self) -> super::mail_service::MailContext {
        super::mail_service::MailContext {
            outbox: self.outbox.clone(),
            store: self.store.clone(),
            directory: self.directory.clone(),
            test_profile: self.test_profile,
        }
    }
}

/// How often the outbox retries what is due.
const OUTBOX_PASS_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("terminal error: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Turns a terminal event into a message, if it means anything to Cachet.
pub fn event_to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            KeyPress::from_event(&key).map(Msg::Key)
        }
        Event::Mouse(mouse) => {
            let (column, row) = (mouse.column, mouse.row);
            match mouse.kind {
                MouseEventKind::Down(_) => Some(Msg::Mouse(MouseInput::Click { column, row })),
                MouseEventKind::ScrollUp => Some(Msg::Mouse(MouseInput::ScrollUp { column, row })),
                MouseEventKind::ScrollDown => {
                    Some(Msg::Mouse(MouseInput::ScrollDown { column, row }))
                }
                _ => None,
            }
        }
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        Event::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}

fn enter_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::event::EnableMouseCapture,
        crossterm::event::EnableBracketedPaste
    )?;
    Ok(terminal)
}

fn leave_terminal() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::event::DisableBracketedPaste
    );
    ratatui::restore();
}

/// Runs the TUI until the user quits. The terminal is restored on every exit
/// path, panics included (ratatui's hook).
pub async fn run(
    mut state: State,
    mut ui: UiContext,
    services: Services,
    mut card_events: Option<mpsc::UnboundedReceiver<crate::card::CardEvent>>,
    initial: Vec<Effect>,
) -> Result<(), RuntimeError> {
    let mut terminal = enter_terminal()?;
    state.reader.lang = ui.texts.lang();
    state.mailbox.utc_offset = Some(ui.utc_offset);
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    let mut progress = services.progress.clone();
    let mut mail_changes = services.mail.as_ref().and_then(|m| m.changes());
    let mut tick_at: Option<tokio::time::Instant> = None;
    let mut pending = initial;
    let mut dirty = true;
    super::mail_service::spawn_timer(services.mail_context(), OUTBOX_PASS_EVERY, &tx);
    if services.outbox.is_some() {
        pending.push(Effect::Compose(
            super::mail_effects::ComposeEffect::ProcessOutbox,
        ));
    }

    let result = loop {
        // Run what the last batch asked for.
        for effect in std::mem::take(&mut pending) {
            match effect {
                Effect::Quit => {}
                Effect::Suspend => {
                    leave_terminal();
                    suspend_self();
                    terminal = enter_terminal()?;
                    terminal.clear()?;
                    events = EventStream::new();
                    dirty = true;
                }
                Effect::EditText { initial } => {
                    let Some(dir) = editor::runtime_dir() else {
                        let _ = tx.send(Msg::Notify(Notification::new(
                            Level::Error,
                            T::NotifyEditorUnavailable,
                        )));
                        continue;
                    };
                    // The event reader would steal the editor's keystrokes: drop it meanwhile.
                    drop(events);
                    leave_terminal();
                    let outcome = editor::edit_in(&dir, &editor::editor_command(), &initial)
                        .map_err(|e| e.to_string());
                    terminal = enter_terminal()?;
                    terminal.clear()?;
                    events = EventStream::new();
                    let _ = tx.send(Msg::EditorFinished(outcome));
                }
                Effect::TickAfter(delay) => {
                    let at = tokio::time::Instant::now() + delay;
                    tick_at = Some(tick_at.map_or(at, |t| t.min(at)));
                }
                other => spawn_effect(other, &services, &tx),
            }
        }
        if state.quitting {
            break Ok(());
        }
        if dirty {
            ui.now = time::OffsetDateTime::now_utc().unix_timestamp();
            terminal.draw(|frame| view(frame, &state, &ui))?;
            dirty = false;
        }
        let tick = async {
            match tick_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let progress_changed = async {
            match progress.as_mut() {
                Some(rx) => match rx.changed().await {
                    Ok(()) => rx.borrow_and_update().clone(),
                    Err(_) => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        let first = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => event_to_msg(event),
                Some(Err(e)) => break Err(RuntimeError::Terminal(e)),
                None => break Ok(()),
            },
            Some(msg) = rx.recv() => Some(msg),
            () = tick => {
                tick_at = None;
                Some(Msg::Tick(Instant::now()))
            }
            value = progress_changed => Some(Msg::Progress(value)),
            () = async {
                match mail_changes.as_mut() {
                    Some(rx) => {
                        if rx.changed().await.is_err() {
                            // The source dropped its sender: it will not change again.
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending().await,
                }
            } => Some(Msg::Mail(super::mail_msg::MailEvent::Changed)),
            Some(event) = async {
                match card_events.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => Some(Msg::Card(event)),
        };
        // Coalesce: apply everything already waiting before the next draw.
        let mut batch: Vec<Msg> = first.into_iter().collect();
        while let Ok(msg) = rx.try_recv() {
            batch.push(msg);
        }
        // Polled inside the task (never with a no-op waker: crossterm's stream
        // would then lose its wake-up and stall).
        loop {
            tokio::select! {
                biased;
                Some(Ok(event)) = events.next() => batch.extend(event_to_msg(event)),
                () = std::future::ready(()) => break,
            }
        }
        for msg in batch {
            pending.extend(update(&mut state, msg, Instant::now()));
            dirty = true;
        }
    };
    leave_terminal();
    result
}

/// Appends to the audit trail off the UI task; a failure is logged, never
/// shown as success.
fn audit(services: &Services, event: crate::audit::AuditEvent) {
    let Some(store) = services.store.as_ref().and_then(|s| s.handle()) else {
        return;
    };
    tokio::task::spawn_blocking(move || {
        let action = event.action;
        match store.call(move |s| crate::audit::append(s, &event)) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(?action, error = %e, "audit append failed"),
            Err(e) => tracing::error!(?action, error = %e, "audit append failed"),
        }
    });
}

/// Runs an effect that does not need the terminal as a task.
fn spawn_effect(effect: Effect, services: &Services, tx: &mpsc::UnboundedSender<Msg>) {
    let tx = tx.clone();
    for event in super::audit_log::event_for(&effect) {
        audit(services, event);
    }
    match effect {
        Effect::LoadFolders => {
            let Some(mail) = services.mail.clone() else {
                return;
            };
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Msg::Mail(super::mail_tasks::load_folders(mail.as_ref())));
            });
        }
        Effect::Mail(effect) => {
            let Some(mail) = services.mail.clone() else {
                return;
            };
            let session = services.clone();
            tokio::task::spawn_blocking(move || {
                let event = super::mail_tasks::perform(effect, mail.as_ref());
                if let super::mail_msg::MailEvent::Opened {
                    result: Ok(Some(doc)),
                    ..
                } = &event
                {
                    let target = doc
                        .message_id
                        .clone()
                        .unwrap_or_else(|| format!("{}:{}", doc.folder, doc.id.0));
                    audit(&session, super::audit_log::read(&target));
                }
                let _ = tx.send(Msg::Mail(event));
            });
        }
        Effect::VerifyPin(pin) => {
            let Some(card) = services.card.clone() else {
                return;
            };
            let session = services.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = card.verify(pin);
                audit(
                    &session,
                    super::audit_log::unlock(matches!(outcome, PinOutcome::Accepted)),
                );
                let msg = match outcome {
                    PinOutcome::Accepted => Msg::Unlocked,
                    PinOutcome::Rejected { tries_left } => Msg::PinRejected { tries_left },
                    PinOutcome::Blocked => Msg::Card(crate::card::CardEvent::PinBlocked {
                        reader: String::new(),
                    }),
                    PinOutcome::Failed(reason) => Msg::Notify(
                        Notification::new(Level::Error, T::LoginCardProblem).arg("reason", reason),
                    ),
                };
                let _ = tx.send(msg);
            });
        }
        Effect::DropSecrets => {
            tracing::info!("session locked");
            if let Some(card) = services.card.clone() {
                card.lock();
            }
            if let Some(store) = services.store.clone() {
                // The data key is zeroized; the profile reopens with the card.
                tokio::task::spawn_blocking(move || store.lock());
            }
        }
        Effect::SearchDirectory {
            query,
            online,
            generation,
        } => {
            let Some(directory) = services.directory.clone() else {
                return;
            };
            let api = if online {
                services.directory_api.clone()
            } else {
                None
            };
            tokio::spawn(async move {
                let reply = match api {
                    Some(client) => directory.search_online(*query, generation, &client).await,
                    None => directory.search(*query, generation).await,
                };
                let result = reply.result.map_err(|e| e.to_string());
                let online_error = reply.online_error.map(|e| e.to_string());
                let _ = tx.send(Msg::DirectoryResults {
                    generation,
                    result,
                    online_error,
                });
            });
        }
        Effect::FindRecords { query, generation } => {
            let Some(records) = services.records.clone() else {
                return;
            };
            let store = services.store.as_ref().and_then(|s| s.handle());
            tokio::spawn(async move {
                let (result, offline) = match records.find_or_cached(&query, store).await {
                    Ok(fetched) => (Ok(fetched.value), fetched.offline),
                    Err(e) => (Err(e), false),
                };
                let _ = tx.send(Msg::RecordsListed {
                    generation,
                    result,
                    offline,
                });
            });
        }
        Effect::OpenRecord {
            entry,
            patient,
            emergency,
            generation,
        } => {
            let Some(records) = services.records.clone() else {
                return;
            };
            tracing::info!(emergency, "record opened");
            let store = services.store.as_ref().and_then(|s| s.handle());
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            tokio::spawn(async move {
                let (result, offline) = match records.open_cached(&entry, patient, store, now).await
                {
                    Ok(fetched) => (Ok(fetched.value), fetched.offline),
                    Err(e) => (Err(e), false),
                };
                let _ = tx.send(Msg::RecordOpened {
                    generation,
                    result,
                    offline,
                });
            });
        }
        Effect::LoadAudit { query, generation } => {
            let Some(store) = services.store.as_ref().and_then(|s| s.handle()) else {
                return;
            };
            tokio::task::spawn_blocking(move || {
                let result = match store.call(move |s| crate::audit::query(s, &query)) {
                    Ok(Ok(page)) => Ok(page.entries),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = tx.send(Msg::AuditLoaded { generation, result });
            });
        }
        Effect::Compose(effect) => super::mail_service::spawn(effect, services.mail_context(), &tx),
        Effect::PreferReader { reader } => {
            if let Some(card) = services.card.clone() {
                card.prefer_reader(&reader);
            }
        }
        Effect::ToggleDemoCard => match &services.demo_card {
            Some(sim) if sim.is_present() => sim.remove(),
            Some(sim) => sim.insert(),
            None => {
                let _ = tx.send(Msg::Notify(Notification::new(
                    Level::Info,
                    T::NotifyDemoOnly,
                )));
            }
        },
        Effect::Quit | Effect::Suspend | Effect::EditText { .. } | Effect::TickAfter(_) => {}
    }
}

/// Stops this process like a shell's Ctrl-Z; returns when the shell resumes it.
fn suspend_self() {
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP);
}

/// The real card behind a PC/SC (or simulated) reader, as the session sees
/// it. After a right PIN it reopens the practitioner's encrypted profile
/// (the data key is unwrapped on the card); the lock closes it again.
pub struct CardHandleSession {
    pub handle: crate::card::CardHandle,
    pub store: Option<Arc<super::session_store::SessionStore>>,
}

impl CardSession for CardHandleSession {
    fn verify(&self, pin: Pin) -> PinOutcome {
        match self.handle.verify(pin) {
            Ok(()) => match &self.store {
                None => PinOutcome::Accepted,
                Some(store) => {
                    let info = match self.handle.card() {
                        Ok(info) => info,
                        Err(e) => return PinOutcome::Failed(e.to_string()),
                    };
                    let card = super::card_store::CardUnwrapper {
                        handle: self.handle.clone(),
                        info,
                    };
                    match store.open_for(card) {
                        Ok(()) => PinOutcome::Accepted,
                        Err(reason) => PinOutcome::Failed(reason),
                    }
                }
            },
            Err(crate::card::Error::WrongPin { tries_left: 0 })
            | Err(crate::card::Error::Blocked) => PinOutcome::Blocked,
            Err(crate::card::Error::WrongPin { tries_left }) => PinOutcome::Rejected { tries_left },
            Err(other) => PinOutcome::Failed(other.to_string()),
        }
    }

    fn lock(&self) {
        // The card keeps its keys; the store's key is dropped by DropSecrets.
    }

    fn prefer_reader(&self, reader: &str) {
        self.handle.prefer_reader(Some(reader.to_string()));
    }
}
