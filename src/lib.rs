//! Cachet: a terminal workstation for French health professionals.
//!
//! Layering (see `docs/design.md`): `domain`, `card`, `store`, `audit`, `mail`,
//! `directory` and `records` are headless and never import `app` or `ui`; the
//! command line, the tests and the TUI all drive them the same way.

pub mod allocator;
pub mod app;
pub mod audit;
pub mod card;
pub mod cli;
pub mod config;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod error;
pub mod mail;
pub mod records;
pub mod store;
pub mod tls;
pub mod ui;
