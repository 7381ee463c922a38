//! SOAP 1.2 envelopes with WS-Addressing and the VIHF in `wsse:Security`,
//! and the parts of an answer every transaction shares: the body, a SOAP
//! fault, an ebRS registry error list.

use super::c14n::{XmlNode, canonical};
use crate::records::Error;
use crate::records::xml::{self, Element, Limits};

pub const SOAP_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";

/// Bounds on an answer's XML (a document list, or a retrieved document inline).
pub const RESPONSE_LIMITS: Limits = Limits {
    max_bytes: 80 * 1024 * 1024,
    max_depth: 64,
    max_attribute_len: 64 * 1024,
    max_text_len: 72 * 1024 * 1024,
    max_nodes: 400_000,
};

/// The WS-Addressing header fields of one request.
#[derive(Debug, Clone)]
pub struct Addressing<'a> {
    pub action: &'a str,
    pub to: &'a str,
    pub message_id: String,
}

/// The whole request envelope, as sent (canonical form, no XML declaration).
pub fn envelope(addressing: &Addressing<'_>, vihf: XmlNode, body: XmlNode) -> String {
    let wsa = |name: &str| XmlNode::new(&format!("wsa:{name}")).ns("wsa", WSA_NS);
    let header = XmlNode::new("soap:Header")
        .child(
            wsa("Action")
                .attr("soap:mustUnderstand", "true")
                .text(addressing.action),
        )
        .child(wsa("MessageID").text(&addressing.message_id))
        .child(wsa("ReplyTo").child(XmlNode::new("wsa:Address").text(ANONYMOUS)))
        .child(
            wsa("To")
                .attr("soap:mustUnderstand", "true")
                .text(addressing.to),
        )
        .child(
            XmlNode::new("wsse:Security")
                .ns("wsse", WSSE_NS)
                .attr("soap:mustUnderstand", "true")
                .child(vihf),
        );
    let envelope = XmlNode::new("soap:Envelope")
        .ns("soap", SOAP_NS)
        .child(header)
        .child(XmlNode::new("soap:Body").child(body));
    canonical(&envelope)
}

/// Parses an answer envelope and returns its Body's first element, or the
/// SOAP fault as a typed error.
pub fn body(bytes: &[u8]) -> Result<Element, Error> {
    let root = xml::parse(bytes, &RESPONSE_LIMITS)?;
    if root.name != "Envelope" {
        return Err(Error::Protocol {
            reason: format!("expected a SOAP Envelope, got <{}>", root.name),
        });
    }
    let body = root.child("Body").ok_or_else(|| Error::Protocol {
        reason: "the SOAP envelope has no Body".to_string(),
    })?;
    let first = body
        .elements()
        .next()
        .cloned()
        .ok_or_else(|| Error::Protocol {
            reason: "the SOAP Body is empty".to_string(),
        })?;
    if first.name == "Fault" {
        return Err(fault(&first));
    }
    Ok(first)
}

/// A SOAP 1.2 fault: its code (subcode when present) and reason text.
fn fault(f: &Element) -> Error {
    let code = f
        .path(&["Code", "Subcode", "Value"])
        .or_else(|| f.path(&["Code", "Value"]))
        .map(Element::text)
        .unwrap_or_else(|| "soap:Receiver".to_string());
    let reason = f
        .path(&["Reason", "Text"])
        .map(Element::text)
        .unwrap_or_default();
    Error::SoapFault {
        code,
        reason: crate::domain::text::terminal_safe(&reason)
            .chars()
            .take(500)
            .collect(),
    }
}

/// Checks an ebRS `status` and turns a Failure into the first registry
/// error (its `errorCode`, e.g. `XDSRegistryError`, and `codeContext`).
/// PartialSuccess is accepted: what came back is used, errors are logged.
pub fn registry_status(response: &Element) -> Result<(), Error> {
    let status = response.attr("status").unwrap_or_default();
    let mut errors = Vec::new();
    response.descendants_named("RegistryError", &mut errors);
    if status.ends_with(":Success") {
        return Ok(());
    }
    if status.ends_with(":PartialSuccess") {
        for e in &errors {
            tracing::warn!(
                code = e.attr("errorCode").unwrap_or_default(),
                "registry warning with a partial success"
            );
        }
        return Ok(());
    }
    let first = errors
        .iter()
        .find(|e| e.attr("severity").is_none_or(|s| s.ends_with(":Error")))
        .or(errors.first());
    match first {
        Some(e) => Err(Error::Registry {
            code: e.attr("errorCode").unwrap_or("unknown").to_string(),
            context: crate::domain::text::terminal_safe(e.attr("codeContext").unwrap_or(""))
                .chars()
                .take(500)
                .collect(),
        }),
        None => Err(Error::Protocol {
            reason: format!("the registry answered status {status:?} without an error"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_and_registry_errors_are_typed() {
        let fault = br#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>wsse:FailedAuthentication</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="fr">VIHF invalide</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"#;
        match body(fault) {
            Err(Error::SoapFault { code, reason }) => {
                assert_eq!(code, "wsse:FailedAuthentication");
                assert_eq!(reason, "VIHF invalide");
            }
            other => panic!("{other:?}"),
        }
        let failure = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><q:AdhocQueryResponse xmlns:q="urn:q" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:RegistryErrorList xmlns:rs="urn:rs"><rs:RegistryError errorCode="DMPAccessDenied" codeContext="Accès refusé" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></q:AdhocQueryResponse></s:Body></s:Envelope>"#;
        let response = body(failure.as_bytes()).unwrap();
        match registry_status(&response) {
            Err(Error::Registry { code, context }) => {
                assert_eq!(code, "DMPAccessDenied");
                assert_eq!(context, "Accès refusé");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(body(b"<html/>"), Err(Error::Protocol { .. })));
        assert!(body(b"not xml").is_err());
    }
}
