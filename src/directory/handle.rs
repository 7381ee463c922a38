//! The directory service: one thread owns the open [`Index`]; callers hold a
//! cloneable [`DirectoryHandle`] and send requests that carry a oneshot reply.
//! Searches carry the caller's generation number, echoed in the reply, so a
//! screen typing ahead drops answers to older keystrokes. After an import the
//! owner reopens the index between two requests: a search runs entirely on one
//! generation.

use std::path::PathBuf;
use std::sync::mpsc;

use tokio::sync::oneshot;

use super::error::Error;
use super::fhir::{FhirClient, OnlineQuery, merge_online};
use super::index::{Index, IndexStats};
use super::model::Entry;
use super::search::{Completion, Query};

/// The answer to [`DirectoryHandle::search`] and [`DirectoryHandle::search_online`].
#[derive(Debug)]
pub struct SearchReply {
    pub generation: u64,
    pub result: Result<Vec<Entry>, Error>,
    /// Set when the online part failed while local results could still be given.
    pub online_error: Option<Error>,
}

enum Request {
    Search {
        query: Query,
        generation: u64,
        reply: oneshot::Sender<SearchReply>,
    },
    Complete {
        prefix: String,
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Completion>, Error>>,
    },
    Domains {
        reply: oneshot::Sender<Result<Vec<String>, Error>>,
    },
    Stats {
        reply: oneshot::Sender<Result<IndexStats, Error>>,
    },
    Reload {
        reply: oneshot::Sender<Result<(), Error>>,
    },
}

#[derive(Clone)]
pub struct DirectoryHandle {
    tx: mpsc::Sender<Request>,
}

impl std::fmt::Debug for DirectoryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectoryHandle")
    }
}

impl DirectoryHandle {
    /// Starts the owner thread on the index under `root`. A missing index is
    /// not an error here: requests answer `NoIndex` until an import and a reload.
    pub fn spawn(root: PathBuf) -> Result<DirectoryHandle, Error> {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("directory".into())
            .spawn(move || owner(root, rx))
            .map_err(|source| Error::Read {
                path: PathBuf::from("<directory thread>"),
                source,
            })?;
        Ok(DirectoryHandle { tx })
    }

    pub async fn search(&self, query: Query, generation: u64) -> SearchReply {
        let (reply, rx) = oneshot::channel();
        if self
            .tx
            .send(Request::Search {
                query,
                generation,
                reply,
            })
            .is_err()
        {
            return SearchReply {
                generation,
                result: Err(Error::Closed),
                online_error: None,
            };
        }
        rx.await.unwrap_or(SearchReply {
            generation,
            result: Err(Error::Closed),
            online_error: None,
        })
    }

    /// The local search, completed by the Annuaire Santé API: online results
    /// pass the same filters, entries found both ways are marked
    /// [`Origin::Both`](super::Origin::Both), online-only ones come last. If the
    /// API fails, the local results are still returned with `online_error` set.
    pub async fn search_online(
        &self,
        query: Query,
        generation: u64,
        client: &FhirClient,
    ) -> SearchReply {
        let online = OnlineQuery::from_text(&query.text);
        let (local, remote) = tokio::join!(
            self.search(query.clone(), generation),
            client.search(&online)
        );
        let local_entries = match local.result {
            Ok(v) => v,
            Err(Error::NoIndex(_)) => Vec::new(),
            Err(e) => {
                return SearchReply {
                    generation,
                    result: Err(e),
                    online_error: None,
                };
            }
        };
        match remote {
            Ok(found) => {
                let found = found
                    .into_iter()
                    .filter(|e| query.filters_accept(e))
                    .collect();
                SearchReply {
                    generation,
                    result: Ok(merge_online(local_entries, found)),
                    online_error: None,
                }
            }
            Err(e) => SearchReply {
                generation,
                result: Ok(local_entries),
                online_error: Some(e),
            },
        }
    }

    pub async fn completions(&self, prefix: &str, limit: usize) -> Result<Vec<Completion>, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Complete {
                prefix: prefix.to_string(),
                limit,
                reply,
            })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// The MSSanté domains known to the directory (for the trust-space warning).
    pub async fn domains(&self) -> Result<Vec<String>, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Domains { reply })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    pub async fn stats(&self) -> Result<IndexStats, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Stats { reply })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Reopens the current generation (after an import).
    pub async fn reload(&self) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Reload { reply })
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }
}

fn owner(root: PathBuf, rx: mpsc::Receiver<Request>) {
    let mut index = Index::open(&root);
    // The thread ends when every handle is dropped.
    while let Ok(req) = rx.recv() {
        let missing = || Error::NoIndex(root.clone());
        match req {
            Request::Search {
                query,
                generation,
                reply,
            } => {
                let result = match &index {
                    Ok(ix) => ix.search(&query),
                    Err(_) => Err(missing()),
                };
                let _ = reply.send(SearchReply {
                    generation,
                    result,
                    online_error: None,
                });
            }
            Request::Complete {
                prefix,
                limit,
                reply,
            } => {
                let r = match &index {
                    Ok(ix) => ix.completions(&prefix, limit),
                    Err(_) => Err(missing()),
                };
                let _ = reply.send(r);
            }
            Request::Domains { reply } => {
                let r = match &index {
                    Ok(ix) => Ok(ix.domains().to_vec()),
                    Err(_) => Err(missing()),
                };
                let _ = reply.send(r);
            }
            Request::Stats { reply } => {
                let r = match &index {
                    Ok(ix) => Ok(ix.stats().clone()),
                    Err(_) => Err(missing()),
                };
                let _ = reply.send(r);
            }
            Request::Reload { reply } => {
                match Index::open(&root) {
                    Ok(ix) => {
                        index = Ok(ix);
                        let _ = reply.send(Ok(()));
                    }
                    // Keep serving the old generation if the new one cannot open.
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
        }
    }
}
