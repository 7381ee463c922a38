//! The quick filter of the message list (unread, flagged, sender, recipient,
//! date range, attachment), applied to envelopes without touching bodies.
//! Text criteria match accent- and case-insensitively on names and addresses.

use super::query::DateRange;
use crate::domain::envelope::{Address, Envelope};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub unread_only: bool,
    pub flagged_only: bool,
    pub with_attachment_only: bool,
    /// Substring of a sender's name or address.
    pub from: Option<String>,
    /// Substring of a To or Cc name or address.
    pub to: Option<String>,
    pub date: Option<DateRange>,
}

fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

fn any_matches(list: &[Address], needle: &str) -> bool {
    list.iter().any(|a| {
        fold(&a.email).contains(needle)
            || a.name.as_deref().is_some_and(|n| fold(n).contains(needle))
    })
}

impl MessageFilter {
    pub fn is_empty(&self) -> bool {
        *self == MessageFilter::default()
    }

    pub fn matches(&self, env: &Envelope) -> bool {
        if self.unread_only && env.flags.seen {
            return false;
        }
        if self.flagged_only && !env.flags.flagged {
            return false;
        }
        if self.with_attachment_only && !env.has_attachment {
            return false;
        }
        if let Some(from) = &self.from
            && !any_matches(&env.from, &fold(from))
        {
            return false;
        }
        if let Some(to) = &self.to {
            let needle = fold(to);
            if !any_matches(&env.to, &needle) && !any_matches(&env.cc, &needle) {
                return false;
            }
        }
        if let Some(range) = &self.date
            && !env.date.is_some_and(|d| range.contains(d.utc_seconds))
        {
            return false;
        }
        true
    }

    /// Indices of the matching envelopes, in order.
    pub fn apply(&self, envelopes: &[Envelope]) -> Vec<usize> {
        envelopes
            .iter()
            .enumerate()
            .filter(|(_, e)| self.matches(e))
            .map(|(i, _)| i)
            .collect()
    }
}
