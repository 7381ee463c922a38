//! `update(&mut State, Msg) -> Vec<Effect>`: the only place state changes.
//!
//! Synchronous and free of I/O: everything slow is returned as an [`Effect`]
//! and comes back later as a [`Msg`]. Input goes to whoever owns it, in this
//! order: the PIN field on the login/lock screens, the open palette, then the
//! keymap of the focused screen.

use super::command::{AppCmd, Command, GoCmd, ListCmd};
use super::i18n::T;
use super::keymap::Resolution;
use super::keys::KeyPress;
use super::msg::{Effect, MouseInput, Msg};
use super::palette::{self, PaletteOutcome};
use super::state::{Level, Notification, PaletteState, Screen, State};
use crate::ui::layout::{Areas, MailboxAreas, row_at};
use crate::ui::screens::{
    audit, compose, directory, help, login, mailbox, outbox, reader, receipt, records,
};
use std::time::Instant;

/// Applies one message. `now` is the clock reading for this message (an input,
/// so tests control time).
pub fn update(state: &mut State, msg: Msg, now: Instant) -> Vec<Effect> {
    if matches!(msg, Msg::Key(_) | Msg::Mouse(_) | Msg::Paste(_)) {
        state.last_input = Some(now);
    }
    let mut effects = match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Mouse(input) => on_mouse(state, input),
        Msg::Paste(text) if mailbox::prompt::on_paste(state, &text) => Vec::new(),
        Msg::Paste(text) => {
            if let Some(palette) = &mut state.palette {
                palette.input.push_str(text.lines().next().unwrap_or(""));
            } else if state.screen == Screen::Compose {
                compose::on_paste(state, &text, now);
            }
            Vec::new()
        }
        Msg::Resize { width, height } => {
            state.size = (width, height);
            let (len, page) = (state.mailbox.entries.len(), mailbox::page_height(state));
            state.mailbox.cursor.clamp(len, page);
            Vec::new()
        }
        Msg::Command(command) => run(state, command),
        Msg::Tick(_) => {
            let idle = state
                .idle_lock
                .zip(state.last_input)
                .is_some_and(|(delay, last)| now >= last + delay);
            if idle && state.screen.needs_session() {
                login::lock(state)
            } else {
                compose::on_tick(state, now)
            }
        }
        Msg::Notify(notification) => {
            state.notify(notification);
            Vec::new()
        }
        Msg::Progress(progress) => {
            state.progress = progress;
            Vec::new()
        }
        Msg::Mail(event) => {
            let opened = matches!(event, super::mail_msg::MailEvent::Opened { .. });
            let effects = super::mail_update::on_event(state, event);
            if opened {
                receipt::offer(state);
            }
            effects
        }
        Msg::EditorFinished(result) => {
            compose::on_editor_finished(state, result, now);
            Vec::new()
        }
        Msg::Unlocked => login::on_unlocked(state),
        Msg::Card(event) => login::on_card_event(state, event),
        Msg::PinRejected { tries_left } => {
            state.login.tries_left = Some(tries_left);
            Vec::new()
        }
        Msg::DirectoryResults {
            generation,
            result,
            online_error,
        } => {
            directory::on_results(state, generation, result, online_error);
            Vec::new()
        }
        Msg::AuditLoaded { generation, result } => {
            audit::on_loaded(state, generation, result);
            Vec::new()
        }
        Msg::RecordsListed {
            generation,
            result,
            offline,
        } => {
            records::on_listed(state, generation, result, offline);
            Vec::new()
        }
        Msg::RecordOpened {
            generation,
            result,
            offline,
        } => {
            records::on_opened(state, generation, result, offline);
            Vec::new()
        }
        Msg::Compose(msg) => super::compose_update::on_mail(state, msg, now),
    };
    effects.extend(mailbox::ensure_rows(state));
    effects.extend(schedule_ticks(state, now));
    effects
}

/// Gives new notifications a deadline, drops expired ones, and asks for a
/// tick at the next deadline, notification or idle lock (no periodic redraw).
fn schedule_ticks(state: &mut State, now: Instant) -> Vec<Effect> {
    for note in &mut state.notifications {
        if note.expires.is_none() {
            note.expires = Some(now + note.lifetime());
        }
    }
    state
        .notifications
        .retain(|n| n.expires.is_some_and(|t| t > now));
    let idle_deadline = match (state.idle_lock, state.screen.needs_session()) {
        (Some(delay), true) => Some(state.last_input.unwrap_or(now) + delay),
        _ => None,
    };
    state
        .notifications
        .iter()
        .filter_map(|n| n.expires)
        .chain(idle_deadline)
        .chain(compose::autosave_deadline(state))
        .min()
        .map(|next| vec![Effect::TickAfter(next.saturating_duration_since(now))])
        .unwrap_or_default()
}

fn on_key(state: &mut State, key: KeyPress) -> Vec<Effect> {
    if matches!(state.screen, Screen::Login | Screen::Lock)
        && let Some(effects) = login::on_key(state, &key)
    {
        return effects;
    }
    if matches!(state.screen, Screen::Mailbox | Screen::Reader)
        && let Some(effects) = mailbox::prompt::on_key(state, &key)
    {
        return effects;
    }
    if state.screen == Screen::Records
        && let Some(effects) = records::on_key(state, &key)
    {
        return effects;
    }
    if let Some(effects) = receipt::on_key(state, &key)
        .or_else(|| outbox::on_key(state, &key))
        .or_else(|| {
            let now = state.last_input?;
            compose::on_key(state, &key, now)
        })
    {
        return effects;
    }
    if state.screen == Screen::Directory
        && state.palette.is_none()
        && state.pending_keys.is_empty()
        && let Some(effects) = directory::on_key(state, &key)
    {
        return effects;
    }
    if let Some(palette_state) = &mut state.palette {
        return match palette::on_key(palette_state, &key) {
            PaletteOutcome::Stay => Vec::new(),
            PaletteOutcome::Close => {
                state.palette = None;
                Vec::new()
            }
            PaletteOutcome::Run(Msg::Command(command)) => {
                state.palette = None;
                run(state, command)
            }
            PaletteOutcome::Run(_) => Vec::new(),
            PaletteOutcome::Unknown(name) => {
                state.palette = None;
                state.notify(
                    Notification::new(Level::Warn, T::NotifyUnknownCommand).arg("name", name),
                );
                Vec::new()
            }
        };
    }
    state.pending_keys.push(key);
    match state
        .keymap
        .resolve(state.screen.scopes(), &state.pending_keys)
    {
        Resolution::Command(command) => {
            state.pending_keys.clear();
            run(state, command)
        }
        Resolution::Pending(_) => Vec::new(),
        Resolution::NoMatch => {
            // Esc (or any unbound key) abandons a pending chord.
            state.pending_keys.clear();
            Vec::new()
        }
    }
}

/// Runs a named command, whoever asked (key, palette, mouse).
pub fn run(state: &mut State, command: Command) -> Vec<Effect> {
    if matches!(state.screen, Screen::Login | Screen::Lock)
        && !matches!(
            command,
            Command::App(AppCmd::Quit | AppCmd::Suspend | AppCmd::ToggleDemoCard)
        )
    {
        return Vec::new(); // nothing behind the lock is reachable
    }
    match command {
        Command::App(app) => match app {
            AppCmd::Quit => {
                state.quitting = true;
                vec![Effect::Quit]
            }
            AppCmd::Suspend => vec![Effect::Suspend],
            AppCmd::ToggleDemoCard => vec![Effect::ToggleDemoCard],
            AppCmd::OpenPalette => {
                state.palette = Some(PaletteState::default());
                Vec::new()
            }
            AppCmd::OpenHelp => {
                state.go(Screen::Help);
                Vec::new()
            }
            AppCmd::Back if state.screen == Screen::Mailbox && state.mailbox.search.is_some() => {
                mailbox::actions::close_search(state)
            }
            AppCmd::Back => {
                // The innermost thing closes first: an open document, then the
                // directory's result list, then the screen.
                let closed_inside = (state.screen == Screen::Records
                    && records::close_viewer(state))
                    || directory::back_to_field(state)
                    || reader::attachments::close_inside(state);
                if !closed_inside {
                    state.back();
                }
                Vec::new()
            }
            AppCmd::Lock => login::lock(state),
        },
        Command::Go(GoCmd::Compose) => {
            compose::open(state);
            Vec::new()
        }
        Command::Go(GoCmd::Outbox) => outbox::open(state, outbox::Pane::Queue),
        Command::Go(GoCmd::Drafts) => outbox::open(state, outbox::Pane::Drafts),
        Command::Go(go) => {
            let screen = match go {
                GoCmd::Mailbox => Screen::Mailbox,
                GoCmd::Directory => Screen::Directory,
                GoCmd::Records => Screen::Records,
                GoCmd::Audit => Screen::Audit,
                GoCmd::Compose | GoCmd::Outbox | GoCmd::Drafts => return Vec::new(),
            };
            state.go(screen);
            if screen == Screen::Directory {
                state.directory.typing = true;
            }
            if screen == Screen::Audit {
                return audit::reload(state);
            }
            Vec::new()
        }
        Command::List(list) => match state.screen {
            Screen::Mailbox => mailbox::on_list(state, list),
            Screen::Help => help::on_list(state, list),
            Screen::Records => records::on_list(state, list),
            Screen::Directory => directory::on_list(state, list),
            Screen::Audit => audit::on_list(state, list),
            Screen::Outbox => outbox::on_list(state, list),
            _ => Vec::new(),
        },
        Command::Mailbox(cmd) => mailbox::on_command(state, cmd),
        Command::Reader(cmd) => reader::on_command(state, cmd),
        Command::Compose(cmd) => compose::on_command(state, cmd),
        Command::Outbox(cmd) => outbox::on_command(state, cmd),
        Command::Records(cmd) => records::on_command(state, cmd),
        Command::Directory(cmd) => directory::on_command(state, cmd),
        Command::Audit(cmd) => audit::on_command(state, cmd),
    }
}

fn on_mouse(state: &mut State, input: MouseInput) -> Vec<Effect> {
    let (MouseInput::Click { column, row }
    | MouseInput::ScrollUp { column, row }
    | MouseInput::ScrollDown { column, row }) = input;
    let body = Areas::new(state.size.0, state.size.1).body;
    match state.screen {
        Screen::Mailbox => {
            let list = MailboxAreas::new(body).messages;
            let (len, height) = (state.mailbox.entries.len(), mailbox::page_height(state));
            match input {
                MouseInput::Click { .. } => {
                    if let Some(offset) = row_at(list, column, row) {
                        let index = state.mailbox.cursor.offset + offset;
                        if index == state.mailbox.cursor.selected && index < len {
                            return mailbox::open_selected(state);
                        }
                        state.mailbox.cursor.select(index, len, height);
                    }
                }
                MouseInput::ScrollUp { .. } => state.mailbox.cursor.scroll(-3, len, height),
                MouseInput::ScrollDown { .. } => state.mailbox.cursor.scroll(3, len, height),
            }
            Vec::new()
        }
        Screen::Reader => match input {
            MouseInput::ScrollUp { .. } => {
                run(state, Command::Reader(super::command::ReaderCmd::ScrollUp))
            }
            MouseInput::ScrollDown { .. } => run(
                state,
                Command::Reader(super::command::ReaderCmd::ScrollDown),
            ),
            MouseInput::Click { .. } => Vec::new(),
        },
        Screen::Help => match input {
            MouseInput::ScrollUp { .. } => help::on_list(state, ListCmd::Up),
            MouseInput::ScrollDown { .. } => help::on_list(state, ListCmd::Down),
            MouseInput::Click { .. } => Vec::new(),
        },
        _ => Vec::new(),
    }
}
