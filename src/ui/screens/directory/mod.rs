//! The directory screen. Until the Annuaire index is imported (issue 7) it
//! shows how to import it; it never shows invented practitioners.

pub mod view;

#[cfg(test)]
mod tests;
