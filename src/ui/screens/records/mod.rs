//! The shared-record screen. Until a patient is chosen by INS (issue 8) it
//! shows how to start; it never shows invented documents.

pub mod view;

#[cfg(test)]
mod tests;
