//! Routes answers from the mail source to the screen that asked.

use super::i18n::T;
use super::mail_msg::{ActionKind, MailEvent};
use super::msg::Effect;
use super::state::{Level, Notification, State};
use crate::ui::screens::{mailbox, reader};

pub fn on_event(state: &mut State, event: MailEvent) -> Vec<Effect> {
    match event {
        MailEvent::Folders { result, offline } => mailbox::on_folders(state, result, offline),
        MailEvent::Listed {
            generation,
            result,
            offline,
        } => {
            mailbox::on_listed(state, generation, result, offline);
            Vec::new()
        }
        MailEvent::Rows { generation, result } => {
            mailbox::on_rows(state, generation, result);
            Vec::new()
        }
        MailEvent::Opened { generation, result } => {
            reader::on_opened(state, generation, result);
            Vec::new()
        }
        MailEvent::ActionDone { kind, result } => match result {
            Ok(_) if kind == ActionKind::Flags => Vec::new(),
            Ok(count) => {
                if kind == ActionKind::Expunge {
                    state.notify(
                        Notification::new(Level::Info, T::NotifyExpunged)
                            .arg("count", count.to_string()),
                    );
                }
                let mut effects = vec![Effect::LoadFolders];
                effects.extend(mailbox::reload(state));
                effects
            }
            Err(error) => {
                mailbox::mail_error(state, &error);
                // The local change may be wrong: show the source's truth again.
                let mut effects = vec![Effect::LoadFolders];
                effects.extend(mailbox::reload(state));
                effects
            }
        },
        MailEvent::Changed => {
            // Counts and the list again, the selection kept; nothing while locked.
            if !state.screen.needs_session() {
                return Vec::new();
            }
            let mut effects = vec![Effect::LoadFolders];
            if state.mailbox.loading.is_none() && state.mailbox.folder_name().is_some() {
                effects.extend(mailbox::reload(state));
            }
            effects
        }
        MailEvent::Searched { generation, result } => {
            mailbox::actions::on_searched(state, generation, result);
            Vec::new()
        }
        MailEvent::Saved { result } => {
            reader::attachments::on_saved(state, result);
            Vec::new()
        }
        MailEvent::Viewed { result } => {
            reader::attachments::on_viewed(state, result);
            Vec::new()
        }
        MailEvent::XdmListed { generation, result } => {
            reader::attachments::on_xdm_listed(state, generation, result);
            Vec::new()
        }
        MailEvent::XdmDocument { generation, result } => {
            reader::attachments::on_xdm_document(state, generation, result);
            Vec::new()
        }
    }
}
