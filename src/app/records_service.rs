//! The shared-record backend the runtime talks to: the demo's generated
//! record or an IHE MHD server. (The backend trait uses `async fn`, so the
//! choice is an enum rather than a trait object.)

use crate::demo::records::DemoRecords;
use crate::domain::text::RichText;
use crate::error::HasKind;
use crate::records::backend::{DocumentEntry, DocumentQuery, RecordsBackend};
use crate::records::mhd::MhdClient;

pub enum RecordsService {
    Demo(DemoRecords),
    Mhd(MhdClient),
}

/// One sentence for the user, with the error's kind for context.
fn describe(error: &crate::records::Error) -> String {
    format!("{error} ({:?})", error.kind())
}

impl RecordsService {
    pub async fn find(&self, query: &DocumentQuery) -> Result<Vec<DocumentEntry>, String> {
        match self {
            RecordsService::Demo(demo) => Ok(demo.find(query)),
            RecordsService::Mhd(client) => {
                client.find_documents(query).await.map_err(|e| describe(&e))
            }
        }
    }

    pub async fn open(&self, entry: &DocumentEntry) -> Result<(String, RichText), String> {
        let bytes = match self {
            RecordsService::Demo(demo) => demo.fetch(&entry.id).map_err(|e| describe(&e))?,
            RecordsService::Mhd(client) => client
                .fetch_document(entry)
                .await
                .map_err(|e| describe(&e))?,
        };
        render_document(entry, &bytes)
    }
}

/// A fetched document as the viewer shows it.
pub fn render_document(entry: &DocumentEntry, bytes: &[u8]) -> Result<(String, RichText), String> {
    let document = crate::records::cda::parse(bytes).map_err(|e| describe(&e))?;
    let title = entry.title.clone().unwrap_or_else(|| entry.id.clone());
    Ok((title, crate::records::cda::render(&document)))
}
