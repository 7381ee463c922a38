//! The encrypted store: per-practitioner profiles in sled, with a key
//! hierarchy rooted in the CPS card. Only this module knows sled.
//!
//! A profile is a folder named by a keyed hash of the holder identifier
//! ([`Profiles`]). Its random 256-bit data key is wrapped to the card's
//! authentication key (RSA PKCS#1 v1.5, unwrapped by PSO DECIPHER, see
//! [`card`]) and optionally to a recovery code (Argon2id). Sub-keys derived
//! by HKDF seal every value with XChaCha20-Poly1305 (associated data: format
//! version, tree and key) and turn identifiers into keyed hashes, so neither
//! keys nor values on disk reveal content. Invariants: nothing is readable
//! while locked; every multi-key update is one atomic batch; a crash leaves a
//! store that verifies (see [`db`] for the flush policy). Other modules reach
//! the store through [`StoreHandle`], whose thread owns it.

pub mod cache;
pub mod card;
pub mod crypto;
pub mod db;
pub mod error;
pub mod handle;
pub mod header;
pub mod layout;
pub mod mail;
pub mod outbox;
pub mod profiles;
pub mod recovery;
#[cfg(test)]
pub(crate) mod testing;
pub mod verify;
pub mod xchacha;

pub use cache::EnvelopePage;
pub use card::{KeyUnwrapper, SoftwareUnwrapper, WRAP_SCHEME, WRAP_VERSION};
pub use db::{Batch, CheckpointAfter, Durability, Entry, FLUSH_EVERY_MS, Order, Store, TailRange};
pub use error::Error;
pub use handle::{Pending, StoreHandle};
pub use layout::{FolderId, FolderRef, Tree};
pub use profiles::{CreateOptions, Profiles};
pub use recovery::RecoveryCode;
pub use verify::{Problem, VerifyReport};
