//! IHE XDM (`IHE_XDM.ZIP`) attachments: reading with hostile-archive
//! defences and hash/size verification, writing from a CDA or a PDF, and the
//! MSSanté `X-MSS-*` header values.
//!
//! Invariants: archives stay in memory (no health data on disk outside the
//! encrypted store); an archive that could escape its folder, is encrypted,
//! or expands beyond [`ZipLimits`] is refused before anything is
//! decompressed; a document whose bytes do not match the metadata's size or
//! SHA-1 is an [`ErrorKind::Integrity`](crate::error::ErrorKind) error.

pub mod archive;
pub mod attach;
pub mod error;
pub mod headers;
pub mod metadata;
pub mod package;
pub mod write;

pub use archive::ZipLimits;
pub use attach::{XDM_NAME, XdmAttachment, attach_cda, conventional_subject};
pub use error::Error;
pub use headers::{MssHeaders, mss_headers};
pub use metadata::{CodedValue, DocumentEntry, SubmissionSet, SubmitObjects, XdsAuthor};
pub use package::{PackagedDocument, VerifiedDocument, XdmPackage, sha1_hex};
pub use write::{PackageOptions, PackagedXdm, cda_entry, package, package_cda, package_pdf};
