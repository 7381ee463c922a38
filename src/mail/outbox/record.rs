//! One outbox entry and its states.

use crate::mail::compose::{BuiltMessage, Envelope};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OutboxState {
    /// Waiting for its (next) attempt.
    Queued,
    /// An attempt started; if found at startup, its outcome is unknown.
    Sending {
        attempt: u32,
    },
    /// Accepted by the server; a copy still has to be appended to Sent.
    Sent,
    /// Accepted and filed.
    Done,
    Failed {
        reason: String,
        permanent: bool,
    },
    Cancelled,
}

impl OutboxState {
    pub fn name(&self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending { .. } => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Done => "done",
            OutboxState::Failed { .. } => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxRecord {
    /// The key (without brackets): unique, and what the Sent check looks for.
    pub message_id: String,
    pub envelope: Envelope,
    /// Base64 in the stored JSON (a byte array would be four times larger).
    #[serde(with = "b64")]
    pub bytes: Vec<u8>,
    pub state: OutboxState,
    /// Attempts started so far.
    pub attempts: u32,
    /// Unix seconds before which no new attempt is made.
    pub next_attempt_at: i64,
    /// The previous attempt may have delivered the message.
    pub outcome_unknown: bool,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// Bumped by the store on every change; updates name the version they
    /// replace, so a stale writer fails instead of overwriting.
    pub version: u64,
}

impl OutboxRecord {
    pub fn new(built: BuiltMessage, now: i64) -> Self {
        Self {
            message_id: built.message_id,
            envelope: built.envelope,
            bytes: built.bytes,
            state: OutboxState::Queued,
            attempts: 0,
            next_attempt_at: now,
            outcome_unknown: false,
            last_error: None,
            created_at: now,
            version: 0,
        }
    }
}

impl std::fmt::Debug for OutboxRecord {
    // The content is health data: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRecord")
            .field("message_id", &self.message_id)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("outcome_unknown", &self.outcome_unknown)
            .field("len", &self.bytes.len())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What callers see of a record: no message content (it stays with the
/// owner), enough for a listing or `--json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxEntry {
    pub message_id: String,
    pub recipients: Vec<String>,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub size: usize,
    /// The decoded Subject, for listings.
    pub subject: String,
}

impl From<&OutboxRecord> for OutboxEntry {
    fn from(r: &OutboxRecord) -> Self {
        Self {
            message_id: r.message_id.clone(),
            recipients: r.envelope.recipients.clone(),
            state: r.state.clone(),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error.clone(),
            created_at: r.created_at,
            size: r.bytes.len(),
            subject: mail_parser::MessageParser::new()
                .parse_headers(&r.bytes)
                .and_then(|m| m.subject().map(str::to_string))
                .unwrap_or_default(),
        }
    }
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
