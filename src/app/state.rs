//! The whole application state: plain data that `update` changes and `view` reads.

use super::i18n::T;
use super::keymap::{Keymap, Scope};
use super::keys::KeyPress;
use super::msg::Progress;
use crate::ui::screens::{
    audit::AuditState, compose::ComposeState, directory::DirectoryState, help::HelpState,
    login::LoginState, mailbox::MailboxState, outbox::OutboxScreen, reader::ReaderState,
    receipt::ReceiptState, records::RecordsState,
};
use std::time::{Duration, Instant};

/// The screens, one per folder under `ui/screens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Login,
    Lock,
    Mailbox,
    Reader,
    Compose,
    Directory,
    Records,
    Audit,
    Help,
    Outbox,
}

impl Screen {
    pub const ALL: &'static [Screen] = &[
        Screen::Login,
        Screen::Lock,
        Screen::Mailbox,
        Screen::Reader,
        Screen::Compose,
        Screen::Directory,
        Screen::Records,
        Screen::Audit,
        Screen::Help,
        Screen::Outbox,
    ];

    pub fn title(self) -> T {
        match self {
            Screen::Login => T::ScreenLogin,
            Screen::Lock => T::ScreenLock,
            Screen::Mailbox => T::ScreenMailbox,
            Screen::Reader => T::ScreenReader,
            Screen::Compose => T::ScreenCompose,
            Screen::Directory => T::ScreenDirectory,
            Screen::Records => T::ScreenRecords,
            Screen::Audit => T::ScreenAudit,
            Screen::Help => T::ScreenHelp,
            Screen::Outbox => T::ScreenOutbox,
        }
    }

    /// Keymap scopes, most specific first.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Screen::Mailbox => &[Scope::Mailbox, Scope::List, Scope::Global],
            Screen::Reader => &[Scope::Reader, Scope::Global],
            Screen::Compose => &[Scope::Compose, Scope::Global],
            Screen::Directory => &[Scope::Directory, Scope::List, Scope::Global],
            Screen::Records => &[Scope::Records, Scope::List, Scope::Global],
            Screen::Audit => &[Scope::Audit, Scope::List, Scope::Global],
            Screen::Help => &[Scope::Help, Scope::List, Scope::Global],
            Screen::Outbox => &[Scope::Outbox, Scope::List, Scope::Global],
            Screen::Login | Screen::Lock => &[Scope::Login],
        }
    }

    /// Screens that show patient data are hidden by the lock.
    pub fn needs_session(self) -> bool {
        !matches!(self, Screen::Login | Screen::Lock)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// A message for the user, shown in the status bar until it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub level: Level,
    pub text: T,
    pub args: Vec<(&'static str, String)>,
    pub expires: Option<Instant>,
}

impl Notification {
    pub fn new(level: Level, text: T) -> Notification {
        Notification {
            level,
            text,
            args: Vec::new(),
            expires: None,
        }
    }
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Notification {
        self.args.push((name, value.into()));
        self
    }
    /// How long it stays: errors stay longer than information.
    pub fn lifetime(&self) -> Duration {
        match self.level {
            Level::Info => Duration::from_secs(4),
            Level::Warn => Duration::from_secs(8),
            Level::Error => Duration::from_secs(15),
        }
    }
}

/// Whether the session has a live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    Online,
    Offline,
    Demo,
}

/// Who is logged in and where, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub profile: Option<String>,
    pub account: Option<String>,
    pub connectivity: Connectivity,
}

/// The command palette (`:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaletteState {
    pub input: String,
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct State {
    pub screen: Screen,
    pub history: Vec<Screen>,
    pub session: SessionInfo,
    pub keymap: Keymap,
    pub pending_keys: Vec<KeyPress>,
    pub palette: Option<PaletteState>,
    pub notifications: Vec<Notification>,
    pub progress: Option<Progress>,
    pub size: (u16, u16),
    pub login: LoginState,
    pub mailbox: MailboxState,
    pub reader: ReaderState,
    pub compose: ComposeState,
    pub help: HelpState,
    pub audit: AuditState,
    pub records: RecordsState,
    pub directory: DirectoryState,
    pub outbox: OutboxScreen,
    /// The read-receipt prompt of the message being read.
    pub receipt: ReceiptState,
    /// Counter for requests whose answers may come back out of order.
    pub next_generation: u64,
    pub quitting: bool,
    /// Whether a mail source is configured (the demo counts).
    pub has_mail: bool,
    /// Lock after this long without input (`None`: never).
    pub idle_lock: Option<Duration>,
    /// When the user last typed or clicked.
    pub last_input: Option<Instant>,
}

impl State {
    pub fn new(keymap: Keymap, session: SessionInfo, has_mail: bool) -> State {
        State {
            screen: Screen::Mailbox,
            history: Vec::new(),
            session,
            keymap,
            pending_keys: Vec::new(),
            palette: None,
            notifications: Vec::new(),
            progress: None,
            size: (80, 24),
            login: LoginState::default(),
            mailbox: MailboxState::default(),
            reader: ReaderState::default(),
            compose: ComposeState::default(),
            help: HelpState::default(),
            audit: AuditState::default(),
            records: RecordsState::default(),
            directory: DirectoryState::default(),
            outbox: OutboxScreen::default(),
            receipt: ReceiptState::default(),
            next_generation: 1,
            quitting: false,
            has_mail,
            idle_lock: None,
            last_input: None,
        }
    }

    pub fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Switches screen, remembering where we came from.
    pub fn go(&mut self, screen: Screen) {
        if self.screen != screen {
            self.history.push(self.screen);
            self.history.retain(|s| *s != screen);
            self.screen = screen;
        }
    }

    /// Back to the previous screen; false when there is none.
    pub fn back(&mut self) -> bool {
        match self.history.pop() {
            Some(previous) => {
                self.screen = previous;
                true
            }
            None => false,
        }
    }

    pub fn notify(&mut self, notification: Notification) {
        self.notifications.push(notification);
        if self.notifications.len() > 5 {
            self.notifications.remove(0);
        }
    }
}
