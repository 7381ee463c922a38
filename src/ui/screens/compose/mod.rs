//! The composer. This first version holds recipients, subject and body and
//! hands the body to `$EDITOR`; sending arrives with the outbox (issue 6).

pub mod view;

use crate::app::command::ComposeCmd;
use crate::app::i18n::T;
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, State};
use crate::ui::screens::reader::document::ReaderDoc;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeState {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl ComposeState {
    /// A reply: to the sender, `RE:` once, the original quoted.
    pub fn reply_to(message: &ReaderDoc) -> ComposeState {
        let subject = if message.subject.to_lowercase().starts_with("re:") {
            message.subject.clone()
        } else {
            format!("RE: {}", message.subject)
        };
        let quoted: String = message
            .body
            .to_plain_string(72)
            .lines()
            .map(|l| format!("> {l}\n"))
            .collect();
        ComposeState {
            to: message.from.clone(),
            subject,
            body: format!("\n\n{quoted}"),
        }
    }
}

pub fn on_command(state: &mut State, command: ComposeCmd) -> Vec<Effect> {
    match command {
        ComposeCmd::EditBody => vec![Effect::EditText {
            initial: state.compose.body.clone(),
        }],
    }
}

pub fn on_editor_finished(state: &mut State, result: Result<String, String>) {
    match result {
        Ok(body) => {
            state.compose.body = body;
            state.notify(Notification::new(Level::Info, T::NotifyDraftUpdated));
        }
        Err(reason) => state
            .notify(Notification::new(Level::Error, T::NotifyEditorFailed).arg("reason", reason)),
    }
}

#[cfg(test)]
mod tests;
