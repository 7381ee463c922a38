//! Performs the mailbox's effects against a [`MailSource`]: one blocking
//! function per effect, called by the runtime on the blocking pool and by
//! the headless harness directly, so tests run exactly the runtime's code.

use super::mail_msg::{ActionKind, MailEffect, MailEvent};
use crate::domain::mailbox::MailSource;
use crate::ui::screens::reader::document;

/// Folders and counts, with the source's offline state.
pub fn load_folders(source: &dyn MailSource) -> MailEvent {
    MailEvent::Folders {
        result: source.folders(),
        offline: source.offline(),
    }
}

/// Runs one effect to completion and returns its answer.
pub fn perform(effect: MailEffect, source: &dyn MailSource) -> MailEvent {
    match effect {
        MailEffect::List { query, generation } => MailEvent::Listed {
            generation,
            result: source.list(&query),
            offline: source.offline(),
        },
        MailEffect::Rows {
            folder,
            ids,
            generation,
        } => MailEvent::Rows {
            generation,
            result: source.rows(&folder, &ids),
        },
        MailEffect::Open {
            folder,
            id,
            options,
            generation,
        } => {
            let result = source.open(&folder, id).and_then(|opened| {
                opened
                    .map(|m| document::build(&folder, &m, options).map(Box::new))
                    .transpose()
            });
            MailEvent::Opened { generation, result }
        }
        MailEffect::SetFlags {
            folder,
            ids,
            change,
        } => MailEvent::ActionDone {
            kind: ActionKind::Flags,
            result: source.set_flags(&folder, &ids, change).map(|()| ids.len()),
        },
        MailEffect::Move {
            folder,
            ids,
            target,
        } => MailEvent::ActionDone {
            kind: ActionKind::Move,
            result: source.move_to(&folder, &ids, &target).map(|()| ids.len()),
        },
        MailEffect::Delete { folder, ids } => MailEvent::ActionDone {
            kind: ActionKind::Delete,
            result: source.delete(&folder, &ids).map(|()| ids.len()),
        },
        MailEffect::Expunge { folder } => MailEvent::ActionDone {
            kind: ActionKind::Expunge,
            result: source.expunge(&folder),
        },
        MailEffect::Search {
            folder,
            query,
            generation,
        } => MailEvent::Searched {
            generation,
            result: source.search(&folder, &query),
        },
        MailEffect::SaveAttachment {
            folder,
            id,
            index,
            path,
            overwrite,
        } => MailEvent::Saved {
            result: super::attachment_io::save(source, &folder, id, index, &path, overwrite),
        },
        MailEffect::ViewAttachment { folder, id, index } => MailEvent::Viewed {
            result: super::attachment_io::view(source, &folder, id, index),
        },
        MailEffect::OpenXdm {
            folder,
            id,
            index,
            generation,
        } => MailEvent::XdmListed {
            generation,
            result: super::attachment_io::xdm_listing(source, &folder, id, index),
        },
        MailEffect::OpenXdmDocument {
            folder,
            id,
            index,
            document,
            generation,
        } => MailEvent::XdmDocument {
            generation,
            result: super::attachment_io::xdm_document(source, &folder, id, index, document),
        },
    }
}
