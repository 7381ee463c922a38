//! Message-ID generation. The id is the outbox's key for "was this already
//! sent?", so it must be unique across restarts and machines: 128 random bits
//! from the OS plus the time, in the sender's domain (RFC 5322 §3.6.4).

use std::time::{SystemTime, UNIX_EPOCH};

/// A new Message-ID without angle brackets, e.g. `1764390000.3f2a…@example.test`.
pub fn new_message_id(sender_domain: &str) -> String {
    let mut random = [0u8; 16];
    if getrandom::fill(&mut random).is_err() {
        // The OS generator failing is exceptional; fall back to a
        // non-cryptographic source rather than refusing to send, since the
        // id only needs uniqueness, not secrecy.
        for b in &mut random {
            *b = fastrand::u8(..);
        }
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let domain = if sender_domain.is_empty() {
        "localhost"
    } else {
        sender_domain
    };
    format!("{secs}.{}@{domain}", hex::encode(random))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_in_the_sender_domain() {
        let ids: HashSet<String> = (0..1000).map(|_| new_message_id("example.test")).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert!(id.ends_with("@example.test"));
            assert!(!id.contains(['<', '>', ' ']));
        }
    }
}
