//! MSSanté `X-MSS-*` header values for a message carrying CDA documents in
//! an `IHE_XDM.ZIP` (Référentiel socle MSSanté #2, ECO.2.4.1 and ECO.2.4.2).
//!
//! `X-MSS-CODECDA` is the CDA header `code` of each document (multi-valued
//! when several; absent without a CDA). `X-MSS-INS` is `O` when a CDA of the
//! archive carries the patient's INS; a test INS outside a test profile does
//! not count, since it must never reach a production recipient.

use crate::records::cda::CdaDocument;
use crate::records::ins::InsPolicy;

pub const X_MSS_CODECDA: &str = "X-MSS-CODECDA";
pub const X_MSS_INS: &str = "X-MSS-INS";

/// Header values to add to the message; `None` means "do not set".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MssHeaders {
    pub codecda: Option<String>,
    pub ins: Option<String>,
}

impl MssHeaders {
    /// The headers as (name, value) pairs, in a stable order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.codecda {
            out.push((X_MSS_CODECDA, v.clone()));
        }
        if let Some(v) = &self.ins {
            out.push((X_MSS_INS, v.clone()));
        }
        out
    }
}

/// The header values for the CDA documents packaged in the message's XDM.
///
/// Several codes are joined with `", "`: the référentiel says "multi-valué"
/// without naming a separator; a comma list is the RFC 5322 convention for
/// multi-valued structured headers.
pub fn mss_headers(cdas: &[&CdaDocument], policy: InsPolicy) -> MssHeaders {
    let mut codes: Vec<String> = Vec::new();
    for doc in cdas {
        if let Some(code) = doc
            .header
            .code
            .as_ref()
            .filter(|c| !codes.contains(&c.code))
        {
            codes.push(code.code.clone());
        }
    }
    let has_ins = cdas
        .iter()
        .any(|d| matches!(d.header.patient.ins(policy), Ok(Some(_))));
    MssHeaders {
        codecda: (!codes.is_empty()).then(|| codes.join(", ")),
        ins: has_ins.then(|| "O".to_string()),
    }
}
