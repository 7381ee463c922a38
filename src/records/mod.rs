//! The shared patient record (DMP): INS, CDA rendering, MHD and XDS.b clients.
//!
//! Headless: nothing here imports `app` or `ui`. Untrusted input (CDA files,
//! server answers) goes through bounded parsers ([`xml`]) and never panics.

pub mod backend;
pub mod cda;
pub mod content;
pub mod error;
mod http;
pub mod ins;
pub mod mhd;
pub mod offline;
pub mod pdf;
pub mod xds;
pub mod xml;

pub use error::Error;
