//! Command-line subcommands. Each domain has its own file with its clap
//! `Subcommand`/`Args` types and a `run` function; `main.rs` only dispatches.

pub mod audit;
pub mod store;
