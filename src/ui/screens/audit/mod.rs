//! The audit screen. The trail lives in the practitioner's encrypted profile
//! (issue 4); until a card session opens it, the screen says so.

pub mod view;

#[derive(Debug, Clone, Default)]
pub struct AuditState {}

#[cfg(test)]
mod tests;
