//! The login and lock screens: card state, holder, masked PIN entry.
//!
//! The PIN typed here lives in a zeroizing buffer inside this state only; on
//! Enter it is moved (not copied) into the effect that carries it to the card.
//! It never appears in a `Msg`, a log line or `Debug` output.

pub mod view;

use crate::app::i18n::T;
use crate::app::msg::{Effect, Pin};
use crate::app::state::{Level, Notification, Screen, State};
use crate::card::CardEvent;
use zeroize::Zeroizing;

/// The longest PIN a CPS accepts is 8 digits (the unblock code); the
/// cardholder PIN is 4.
const MAX_PIN_LEN: usize = 8;

#[derive(Default)]
pub struct LoginState {
    pin: Zeroizing<String>,
    pub tries_left: Option<u8>,
    /// The holder read from the card, shown before the PIN is asked.
    pub holder: Option<String>,
    /// In the demo only: the simulated card's PIN, shown on screen.
    pub demo_pin: Option<String>,
    /// A reader is present.
    pub reader_present: bool,
    /// Readers seen, in the order they appeared.
    pub readers: Vec<String>,
    /// A card is in a reader and was recognised as a CPS card.
    pub card_present: bool,
    /// The card refused further PIN tries.
    pub blocked: bool,
    /// Why the card in the reader cannot be used, in one sentence.
    pub problem: Option<String>,
    /// The national identifier of the holder whose session is open (or was,
    /// before the lock): another card must not resume it.
    pub session_holder: Option<String>,
    /// The holder of the card now in the reader.
    pub card_holder_id: Option<String>,
    /// Each reader holding a recognised card, with its holder (name, identifier).
    pub cards: Vec<(String, String, Option<String>)>,
    /// The reader chosen with Tab when several hold a card.
    pub chosen_reader: Option<String>,
}

impl Clone for LoginState {
    /// A copy never carries the PIN being typed.
    fn clone(&self) -> Self {
        LoginState {
            pin: Zeroizing::new(String::new()),
            tries_left: self.tries_left,
            holder: self.holder.clone(),
            demo_pin: self.demo_pin.clone(),
            reader_present: self.reader_present,
            readers: self.readers.clone(),
            card_present: self.card_present,
            blocked: self.blocked,
            problem: self.problem.clone(),
            session_holder: self.session_holder.clone(),
            card_holder_id: self.card_holder_id.clone(),
            cards: self.cards.clone(),
            chosen_reader: self.chosen_reader.clone(),
        }
    }
}

impl std::fmt::Debug for LoginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginState")
            .field("pin_len", &self.pin.len())
            .field("tries_left", &self.tries_left)
            .field("holder", &self.holder)
            .finish()
    }
}

impl LoginState {
    pub fn pin_len(&self) -> usize {
        self.pin.chars().count()
    }
}

/// A key typed on the login or lock screen; true when it was consumed.
pub fn on_key(state: &mut State, key: &crate::app::keys::KeyPress) -> Option<Vec<Effect>> {
    use crate::app::keys::Key;
    if key.mods.ctrl || key.mods.alt {
        return None;
    }
    match key.key {
        Key::Char(c) if c.is_ascii_digit() => {
            if state.login.pin.len() < MAX_PIN_LEN {
                state.login.pin.push(c);
            }
            Some(Vec::new())
        }
        Key::Backspace => {
            state.login.pin.pop();
            Some(Vec::new())
        }
        Key::Esc => {
            state.login.pin.clear();
            Some(Vec::new())
        }
        Key::Tab if state.login.cards.len() > 1 => {
            let login = &mut state.login;
            let current = login
                .chosen_reader
                .as_ref()
                .and_then(|r| login.cards.iter().position(|c| &c.0 == r));
            let next = current.map_or(1, |i| (i + 1) % login.cards.len());
            let reader = login.cards[next].0.clone();
            login.chosen_reader = Some(reader.clone());
            show_chosen_holder(login);
            Some(vec![Effect::PreferReader { reader }])
        }
        Key::Enter if !state.login.pin.is_empty() => {
            let typed = std::mem::replace(&mut state.login.pin, Zeroizing::new(String::new()));
            if state.login.blocked {
                return Some(Vec::new()); // never send a PIN to a blocked card
            }
            match Pin::new(typed) {
                Ok(pin) => Some(vec![Effect::VerifyPin(pin)]),
                Err(_) => {
                    state.notify(Notification::new(Level::Warn, T::LoginPinFormat));
                    Some(Vec::new())
                }
            }
        }
        _ => None,
    }
}

/// Locks the session: patient data leave the state and the screen, secrets are dropped.
pub fn lock(state: &mut State) -> Vec<Effect> {
    if state.screen == Screen::Lock {
        return Vec::new();
    }
    // The draft is saved before the key goes, then forgotten with the rest.
    let mut effects = crate::ui::screens::compose::on_lock(state);
    crate::ui::screens::outbox::clear(state);
    state.receipt.prompt = None;
    state.mailbox.forget();
    state.reader.clear();
    crate::ui::screens::records::clear(state);
    state.directory.results.clear();
    state.audit.entries.clear();
    state.login.pin.clear();
    state.login.tries_left = None;
    state.history.push(state.screen);
    state.screen = Screen::Lock;
    state.pending_keys.clear();
    state.palette = None;
    effects.push(Effect::DropSecrets);
    effects
}

/// What the card thread reports. Removal locks at once; the holder shows
/// before any PIN is asked.
pub fn on_card_event(state: &mut State, event: CardEvent) -> Vec<Effect> {
    let login = &mut state.login;
    match event {
        CardEvent::ReaderAdded { reader } => {
            if !login.readers.contains(&reader) {
                login.readers.push(reader);
            }
            login.reader_present = true;
        }
        CardEvent::ReaderRemoved { reader } => {
            login.readers.retain(|r| *r != reader);
            login.reader_present = !login.readers.is_empty();
        }
        CardEvent::Inserted { reader, .. } => {
            if !login.readers.contains(&reader) {
                login.readers.push(reader);
            }
            login.reader_present = true;
            login.problem = None;
        }
        CardEvent::Recognized { reader, info } => {
            login.card_present = true;
            login.blocked = false;
            login.problem = None;
            let id = info
                .holder
                .national_id
                .clone()
                .or_else(|| Some(info.holder.display_name.clone()));
            login.cards.retain(|c| c.0 != reader);
            login
                .cards
                .push((reader, info.holder.display_name.clone(), id));
            show_chosen_holder(login);
        }
        CardEvent::Unrecognized { reason, .. } => {
            login.card_present = false;
            login.holder = None;
            login.problem = Some(reason);
        }
        CardEvent::Removed { reader } => {
            // The card in use: the chosen reader's, else the first one's.
            let in_use = login
                .chosen_reader
                .clone()
                .or_else(|| login.cards.first().map(|c| c.0.clone()));
            login.cards.retain(|c| c.0 != reader);
            let chosen_left = in_use.is_none_or(|r| r == reader);
            if !chosen_left {
                // Another reader's card went: the chosen session goes on.
                return Vec::new();
            }
            login.chosen_reader = None;
            login.card_present = false;
            login.holder = None;
            login.card_holder_id = None;
            login.tries_left = None;
            login.blocked = false;
            login.pin.clear();
            if state.screen.needs_session() {
                return lock(state);
            }
        }
        CardEvent::PinBlocked { .. } => {
            login.blocked = true;
            login.tries_left = Some(0);
        }
        // The PIN outcome comes back with the verification itself.
        CardEvent::PinVerified { .. } | CardEvent::PinRefused { .. } => {}
    }
    Vec::new()
}

/// The holder shown is the one of the chosen reader's card, else the first.
fn show_chosen_holder(login: &mut LoginState) {
    let chosen = login
        .chosen_reader
        .as_ref()
        .and_then(|r| login.cards.iter().find(|c| &c.0 == r))
        .or_else(|| login.cards.first())
        .cloned();
    if let Some((_, name, id)) = chosen {
        login.holder = Some(name);
        login.card_holder_id = id;
    }
}

/// The card accepted the PIN: back exactly where the user was — unless this
/// is another practitioner's card, whose session starts fresh.
pub fn on_unlocked(state: &mut State) -> Vec<Effect> {
    let holder = state.login.card_holder_id.clone();
    if state.login.session_holder.is_some()
        && holder.is_some()
        && state.login.session_holder != holder
    {
        state.history.clear();
        state.history.push(Screen::Mailbox);
        state.mailbox = Default::default();
        state.reader = Default::default();
        state.compose = state.compose.fresh();
        state.records.patient = None;
        state.records.emergency = None;
    }
    if holder.is_some() {
        state.login.session_holder = holder;
        state.session.profile = state.login.holder.clone();
    }
    state.login.tries_left = None;
    if matches!(state.screen, Screen::Lock | Screen::Login) {
        state.screen = state.history.pop().unwrap_or(Screen::Mailbox);
    }
    let mut effects = vec![Effect::LoadFolders];
    effects.extend(crate::ui::screens::reader::reopen(state));
    effects.extend(crate::ui::screens::records::refresh(state));
    effects.extend(crate::ui::screens::compose::on_unlock(state));
    effects
}

#[cfg(test)]
mod tests;
