//! The login and lock screens: card state, holder, masked PIN entry.
//!
//! The PIN typed here lives in a zeroizing buffer inside this state only; on
//! Enter it is moved (not copied) into the effect that carries it to the card.
//! It never appears in a `Msg`, a log line or `Debug` output.

pub mod view;

use crate::app::msg::{Effect, Pin};
use crate::app::state::{Screen, State};
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
        Key::Enter if !state.login.pin.is_empty() => {
            let pin = std::mem::replace(&mut state.login.pin, Zeroizing::new(String::new()));
            Some(vec![Effect::VerifyPin(Pin(pin))])
        }
        _ => None,
    }
}

/// Locks the session: patient data leave the state and the screen, secrets are dropped.
pub fn lock(state: &mut State) -> Vec<Effect> {
    if state.screen == Screen::Lock {
        return Vec::new();
    }
    state.mailbox.keep_selected = state.mailbox.selected_row().map(|r| r.id);
    state.mailbox.rows.clear();
    state.mailbox.folders.clear();
    state.reader.clear();
    crate::ui::screens::records::clear(state);
    state.login.pin.clear();
    state.login.tries_left = None;
    state.history.push(state.screen);
    state.screen = Screen::Lock;
    state.pending_keys.clear();
    state.palette = None;
    vec![Effect::DropSecrets]
}

/// The card accepted the PIN: back exactly where the user was.
pub fn on_unlocked(state: &mut State) -> Vec<Effect> {
    state.login.tries_left = None;
    if matches!(state.screen, Screen::Lock | Screen::Login) {
        state.screen = state.history.pop().unwrap_or(Screen::Mailbox);
    }
    let mut effects = vec![Effect::LoadFolders];
    if let Some((id, _)) = state.reader.requested {
        let generation = state.generation();
        state.reader.requested = Some((id, generation));
        effects.push(Effect::OpenMessage { id, generation });
    }
    effects.extend(crate::ui::screens::records::refresh(state));
    effects
}

#[cfg(test)]
mod tests;
