//! The reader's attachments: save to a typed path (confirmed before any
//! existing file is replaced), open with the system viewer, and the
//! documents of an IHE XDM package, a CDA opening in the records viewer.

use super::XdmView;
use crate::app::i18n::T;
use crate::app::mail_msg::{MailEffect, SaveError};
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, Screen, State};
use crate::domain::text::RichText;
use crate::ui::screens::mailbox::prompt::{Prompt, PromptKind};
use std::path::PathBuf;

/// `~/x` and `$HOME/x` to the home folder; anything else as typed.
pub fn expand_path(text: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (text.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => match (text.strip_prefix("$HOME/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(text),
        },
    }
}

/// A file name suggested for saving: the attachment's name without any
/// folder part, control characters or leading dots.
pub fn suggested_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = crate::domain::text::terminal_safe(base)
        .chars()
        .filter(|c| !c.is_control() && *c != '\u{FFFD}')
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "piece-jointe".to_string()
    } else {
        clean
    }
}

/// Opens the save prompt for the highlighted attachment, with a suggested path.
pub fn start_save(state: &mut State) -> Vec<Effect> {
    let Some(attachment) = state.reader.current_attachment() else {
        state.notify(Notification::new(Level::Info, T::NotifyNoAttachment));
        return Vec::new();
    };
    let index = attachment.index;
    let suggestion = format!("~/{}", suggested_name(&attachment.name));
    state.mailbox.prompt = Some(Prompt::new(PromptKind::SavePath { index }, suggestion));
    Vec::new()
}

/// The effect that writes attachment `index` to `path`.
pub fn save_effect(state: &mut State, index: usize, path: PathBuf, overwrite: bool) -> Vec<Effect> {
    let Some(id) = state.reader.message.as_ref().map(|m| m.id) else {
        return Vec::new();
    };
    if path.as_os_str().is_empty() {
        return Vec::new();
    }
    vec![Effect::Mail(MailEffect::SaveAttachment {
        folder: state.reader.folder.clone(),
        id,
        index,
        path,
        overwrite,
    })]
}

pub fn on_saved(state: &mut State, result: Result<PathBuf, SaveError>) {
    match result {
        Ok(path) => state.notify(
            Notification::new(Level::Info, T::NotifySaved).arg("path", path.display().to_string()),
        ),
        Err(SaveError::Exists(path)) => {
            let index = match &state.mailbox.prompt {
                Some(_) => return,
                None => state.reader.current_attachment().map_or(0, |a| a.index),
            };
            state.mailbox.prompt = Some(Prompt::new(
                PromptKind::ConfirmOverwrite {
                    index,
                    path: path.clone(),
                },
                path.display().to_string(),
            ));
        }
        Err(SaveError::Failed(reason)) => {
            state.notify(Notification::new(Level::Error, T::NotifySaveFailed).arg("reason", reason))
        }
    }
}

/// Hands the highlighted attachment to the system viewer.
pub fn view(state: &mut State) -> Vec<Effect> {
    let Some(attachment) = state.reader.current_attachment() else {
        state.notify(Notification::new(Level::Info, T::NotifyNoAttachment));
        return Vec::new();
    };
    let index = attachment.index;
    let Some(id) = state.reader.message.as_ref().map(|m| m.id) else {
        return Vec::new();
    };
    vec![Effect::Mail(MailEffect::ViewAttachment {
        folder: state.reader.folder.clone(),
        id,
        index,
    })]
}

pub fn on_viewed(state: &mut State, result: Result<(), String>) {
    if let Err(reason) = result {
        state.notify(Notification::new(Level::Error, T::NotifyViewFailed).arg("reason", reason));
    }
}

/// Opens the XDM listing, or inside it the highlighted CDA document.
pub fn xdm(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.reader.message.as_ref().map(|m| m.id) else {
        return Vec::new();
    };
    let folder = state.reader.folder.clone();
    if let Some(view) = &state.reader.xdm {
        let Some(listing) = &view.listing else {
            return Vec::new(); // still loading
        };
        let (index, document) = (listing.attachment, view.selected);
        if !listing.documents.get(document).is_some_and(|d| d.is_cda) {
            state.notify(Notification::new(Level::Info, T::NotifyNotCda));
            return Vec::new();
        }
        let generation = state.generation();
        state.records.loading = Some(generation);
        return vec![Effect::Mail(MailEffect::OpenXdmDocument {
            folder,
            id,
            index,
            document,
            generation,
        })];
    }
    let Some(attachment) = state.reader.current_attachment() else {
        state.notify(Notification::new(Level::Info, T::NotifyNoAttachment));
        return Vec::new();
    };
    let index = match state.reader.message.as_ref() {
        // The highlighted one if it is a package, else the first package.
        Some(m) if !attachment.is_xdm => match m.attachments.iter().find(|a| a.is_xdm) {
            Some(a) => a.index,
            None => {
                state.notify(Notification::new(Level::Info, T::NotifyNotXdm));
                return Vec::new();
            }
        },
        _ => attachment.index,
    };
    let generation = state.generation();
    state.reader.xdm = Some(XdmView {
        generation,
        listing: None,
        selected: 0,
    });
    vec![Effect::Mail(MailEffect::OpenXdm {
        folder,
        id,
        index,
        generation,
    })]
}

pub fn on_xdm_listed(
    state: &mut State,
    generation: u64,
    result: Result<super::document::XdmListing, String>,
) {
    let Some(view) = state
        .reader
        .xdm
        .as_mut()
        .filter(|v| v.generation == generation)
    else {
        return;
    };
    match result {
        Ok(listing) => view.listing = Some(listing),
        Err(reason) => {
            state.reader.xdm = None;
            state.notify(Notification::new(Level::Error, T::NotifyXdmFailed).arg("reason", reason));
        }
    }
}

/// A CDA from a package: shown by the records viewer.
pub fn on_xdm_document(
    state: &mut State,
    generation: u64,
    result: Result<(String, RichText), String>,
) {
    if state.records.loading != Some(generation) {
        return;
    }
    let ok = result.is_ok();
    crate::ui::screens::records::on_opened(state, generation, result, false);
    if ok {
        state.go(Screen::Records);
    }
}

/// Esc in the reader closes the XDM listing first; true when it did.
pub fn close_inside(state: &mut State) -> bool {
    state.screen == Screen::Reader && state.reader.xdm.take().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_names_have_no_folder_or_control_part() {
        assert_eq!(suggested_name("../../etc/passwd"), "passwd");
        assert_eq!(suggested_name("C:\\temp\\cr.pdf"), "cr.pdf");
        assert_eq!(suggested_name(".bashrc"), "bashrc");
        assert_eq!(suggested_name(""), "piece-jointe");
        assert!(!suggested_name("a\u{1b}[31mb.pdf").contains('\u{1b}'));
    }
}
