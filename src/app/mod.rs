//! The application core: messages, commands, update, effects, keymaps, themes, i18n.
//!
//! The flow of one keypress: terminal event → [`keymap`] → [`command::Command`]
//! → `update(&mut State, Msg) -> Vec<Effect>` (synchronous, no I/O) → the
//! runtime runs each effect as a task → results come back as `Msg` → one
//! coalesced redraw of the pure view.

pub mod attachment_io;
pub mod audit_log;
pub mod card_store;
pub mod command;
pub mod compose_update;
pub mod editor;
pub mod i18n;
pub mod keymap;
pub mod keys;
pub mod mail_effects;
pub mod mail_msg;
pub mod mail_service;
pub mod mail_tasks;
pub mod mail_update;
pub mod msg;
pub mod palette;
pub mod records_service;
pub mod runtime;
pub mod session_store;
pub mod startup;
pub mod state;
pub mod testing;
pub mod theme;
pub mod update;
#[cfg(test)]
mod update_tests;
