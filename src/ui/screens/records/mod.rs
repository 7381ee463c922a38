//! The shared-record screen: choose a patient by INS, list the documents a
//! professional may see, open one as readable text. Break-glass (emergency
//! purpose of use) is a deliberate flow: a typed reason, then a banner that
//! stays on screen while the emergency context lasts.
//!
//! The INS is checked here, synchronously (key, OID policy) before any request;
//! the search and the retrieval run as effects, and their answers carry a
//! generation so a late answer for another patient is dropped.

pub mod view;

use crate::app::command::{ListCmd, RecordsCmd};
use crate::app::i18n::T;
use crate::app::keys::{Key, KeyPress};
use crate::app::msg::Effect;
use crate::app::state::{Level, Notification, State};
use crate::domain::text::RichText;
use crate::records::backend::{
    DocumentEntry, DocumentQuery, EmergencyKind, EmergencyReason, PatientSelector, PurposeOfUse,
};
use crate::records::ins::{Ins, InsOid, InsPolicy};
use crate::ui::layout::{Areas, inner_height};
use crate::ui::list::ListCursor;

/// What the text field is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Ins,
    EmergencyReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub field: Field,
    pub text: String,
}

/// An opened document.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub title: String,
    pub text: RichText,
    pub scroll: usize,
}

#[derive(Debug, Clone, Default)]
pub struct RecordsState {
    /// A configured backend exists (the demo counts).
    pub available: bool,
    /// Test INS OIDs are accepted (test profiles and the demo).
    pub test_profile: bool,
    /// The demo patient's INS, shown as a hint in the demo.
    pub demo_ins: Option<String>,
    pub input: Option<Input>,
    pub patient: Option<Ins>,
    pub emergency: Option<EmergencyReason>,
    pub documents: Vec<DocumentEntry>,
    pub cursor: ListCursor,
    /// The generation of the request in flight (list or open).
    pub loading: Option<u64>,
    pub viewer: Option<Viewer>,
    /// What is shown came from the local cache (the server is out of reach).
    pub offline: bool,
}

pub fn page_height(state: &State) -> usize {
    // Two lines of patient context and a header row above the list.
    inner_height(Areas::new(state.size.0, state.size.1).body).saturating_sub(3)
}

fn policy(state: &State) -> InsPolicy {
    InsPolicy {
        test_profile: state.records.test_profile,
    }
}

pub fn refresh(state: &mut State) -> Vec<Effect> {
    let Some(ins) = state.records.patient.clone() else {
        return Vec::new();
    };
    let mut query = DocumentQuery::for_patient(PatientSelector::Ins(ins));
    if let Some(reason) = &state.records.emergency {
        query.purpose = PurposeOfUse::Emergency {
            reason: reason.clone(),
        };
    }
    let generation = state.generation();
    state.records.loading = Some(generation);
    state.records.documents.clear();
    state.records.cursor = ListCursor::default();
    vec![Effect::FindRecords {
        query: Box::new(query),
        generation,
    }]
}

pub fn on_command(state: &mut State, command: RecordsCmd) -> Vec<Effect> {
    if !state.records.available {
        state.notify(Notification::new(Level::Warn, T::RecordsUnavailable));
        return Vec::new();
    }
    let field = match command {
        RecordsCmd::ChoosePatient => Field::Ins,
        RecordsCmd::BreakGlass if state.records.patient.is_some() => Field::EmergencyReason,
        RecordsCmd::BreakGlass => Field::Ins,
    };
    state.records.input = Some(Input {
        field,
        text: String::new(),
    });
    Vec::new()
}

/// Keys typed into the field; `None` when there is no field (the keymap decides).
pub fn on_key(state: &mut State, key: &KeyPress) -> Option<Vec<Effect>> {
    let input = state.records.input.as_mut()?;
    if key.mods.ctrl || key.mods.alt {
        return (key.key == Key::Char('c')).then(|| {
            state.records.input = None;
            Vec::new()
        });
    }
    match key.key {
        Key::Char(c) => {
            let limit = if input.field == Field::Ins { 15 } else { 200 };
            if input.text.chars().count() < limit {
                input.text.push(c);
            }
        }
        Key::Backspace => {
            input.text.pop();
        }
        Key::Esc => state.records.input = None,
        Key::Enter => return Some(submit(state)),
        _ => {}
    }
    Some(Vec::new())
}

fn submit(state: &mut State) -> Vec<Effect> {
    let Some(input) = state.records.input.take() else {
        return Vec::new();
    };
    match input.field {
        Field::Ins => {
            let oid = if state.records.test_profile {
                InsOid::TestNir
            } else {
                InsOid::Nir
            };
            match Ins::parse(input.text.trim(), oid.as_str(), policy(state)) {
                Ok(ins) => {
                    state.records.patient = Some(ins);
                    state.records.emergency = None;
                    state.records.viewer = None;
                    refresh(state)
                }
                Err(error) => {
                    state.notify(
                        Notification::new(Level::Error, T::RecordsInvalidIns)
                            .arg("reason", error.to_string()),
                    );
                    state.records.input = Some(input);
                    Vec::new()
                }
            }
        }
        Field::EmergencyReason => match EmergencyReason::new(EmergencyKind::VitalRisk, &input.text)
        {
            Ok(reason) => {
                state.records.emergency = Some(reason);
                refresh(state)
            }
            Err(_) => {
                state.notify(Notification::new(Level::Warn, T::RecordsReasonTooShort));
                state.records.input = Some(input);
                Vec::new()
            }
        },
    }
}

pub fn on_list(state: &mut State, command: ListCmd) -> Vec<Effect> {
    let height = page_height(state);
    if let Some(viewer) = &mut state.records.viewer {
        match command {
            ListCmd::Down => viewer.scroll = viewer.scroll.saturating_add(1),
            ListCmd::Up => viewer.scroll = viewer.scroll.saturating_sub(1),
            ListCmd::PageDown => viewer.scroll = viewer.scroll.saturating_add(height),
            ListCmd::PageUp => viewer.scroll = viewer.scroll.saturating_sub(height),
            ListCmd::Top => viewer.scroll = 0,
            ListCmd::Bottom => viewer.scroll = usize::MAX / 2,
            ListCmd::Open => {}
        }
        return Vec::new();
    }
    let len = state.records.documents.len();
    if !state.records.cursor.apply(command, len, height) {
        return Vec::new();
    }
    let Some(entry) = state
        .records
        .documents
        .get(state.records.cursor.selected)
        .cloned()
    else {
        return Vec::new();
    };
    let generation = state.generation();
    state.records.loading = Some(generation);
    let purpose = state.records.emergency.clone();
    vec![Effect::OpenRecord {
        entry: Box::new(entry),
        patient: state.records.patient.clone(),
        emergency: purpose.is_some(),
        generation,
    }]
}

/// Closes the open document; true when there was one (Back stays on the screen).
pub fn close_viewer(state: &mut State) -> bool {
    state.records.viewer.take().is_some()
}

pub fn on_listed(
    state: &mut State,
    generation: u64,
    result: Result<Vec<DocumentEntry>, String>,
    offline: bool,
) {
    if state.records.loading != Some(generation) {
        return;
    }
    state.records.loading = None;
    match result {
        Ok(documents) => {
            state.records.documents = documents;
            state.records.offline = offline;
        }
        Err(reason) => {
            state.notify(Notification::new(Level::Error, T::RecordsFailed).arg("reason", reason))
        }
    }
}

pub fn on_opened(
    state: &mut State,
    generation: u64,
    result: Result<(String, RichText), String>,
    offline: bool,
) {
    if state.records.loading != Some(generation) {
        return;
    }
    state.records.loading = None;
    match result {
        Ok((title, text)) => {
            state.records.offline = offline;
            state.records.viewer = Some(Viewer {
                title,
                text,
                scroll: 0,
            })
        }
        Err(reason) => {
            state.notify(Notification::new(Level::Error, T::RecordsFailed).arg("reason", reason))
        }
    }
}

/// Patient data leave with the lock.
pub fn clear(state: &mut State) {
    state.records.documents.clear();
    state.records.viewer = None;
    state.records.offline = false;
    state.records.input = None;
}

#[cfg(test)]
mod tests;
