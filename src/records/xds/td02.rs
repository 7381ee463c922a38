//! TD0.2 "test d'existence / autorisation": an HL7v3 PRPA_IN201307UV02
//! query with reasonCode `TEST_EXST`, sent to the `patients` service before
//! listing documents. Request after DRIMbox's `VerifyAuthorizationRequest`.
//!
//! The answer (PRPA_IN201308UV02) is read for what matters here: the
//! acknowledgement (`AA` accepted; `AE`/`AR` with a detail code: an error)
//! and the query response code (`OK`: the record exists and may be opened;
//! `NF`: no DMP for this patient). The DMP's finer authorisation statuses
//! are not modelled: [`super::XdsClient`] goes on to TD3.1, whose answer
//! says what may be seen.

use super::c14n::XmlNode;
use super::vihf::{instant, random_uuid};
use crate::records::Error;
use crate::records::ins::Ins;
use crate::records::xml::Element;

pub const ACTION: &str = "urn:hl7-org:v3:PRPA_IN201307UV02";
pub const REASON_SYSTEM: &str = "1.2.250.1.213.1.1.4.11";
const HL7_NS: &str = "urn:hl7-org:v3";

fn el(name: &str) -> XmlNode {
    XmlNode::new(&format!("hl7:{name}"))
}

fn device(element: &str, type_code: &str, root: &str, name: &str) -> XmlNode {
    el(element).attr("typeCode", type_code).child(
        el("device")
            .attr("classCode", "DEV")
            .attr("determinerCode", "INSTANCE")
            .child(el("id").attr("root", root))
            .child(el("softwareName").text(name)),
    )
}

/// The PRPA_IN201307UV02 body for `ins`.
pub fn request(ins: &Ins, now: time::OffsetDateTime) -> XmlNode {
    let created = instant(now)
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    el("PRPA_IN201307UV02")
        .ns("hl7", HL7_NS)
        .attr("ITSVersion", "XML_1.0")
        .child(
            el("id")
                .attr("root", "1.2.250.1.213.1.1.9")
                .attr("extension", &random_uuid()),
        )
        .child(el("creationTime").attr("value", &created))
        .child(
            el("interactionId")
                .attr("root", "2.16.840.1.113883.1.6")
                .attr("extension", "PRPA_IN201307UV02"),
        )
        .child(el("processingCode").attr("code", "P"))
        .child(el("processingModeCode").attr("code", "T"))
        .child(el("acceptAckCode").attr("code", "AL"))
        .child(device("receiver", "RCV", "1.2.250.1.213.4.1.1.1", "DMP"))
        .child(device("sender", "SND", "1.2.250.1.213.1.1.9", "Cachet"))
        .child(
            el("controlActProcess")
                .attr("classCode", "CACT")
                .attr("moodCode", "EVN")
                .child(
                    el("reasonCode")
                        .attr("code", "TEST_EXST")
                        .attr("codeSystem", REASON_SYSTEM)
                        .attr("displayName", "Test d'existence de dossier"),
                )
                .child(
                    el("queryByParameter")
                        .child(
                            el("queryId")
                                .attr("root", "1.2.250.1.213.1.1.9")
                                .attr("extension", &random_uuid()),
                        )
                        .child(el("statusCode").attr("code", "new"))
                        .child(
                            el("parameterList").child(
                                el("patientIdentifier")
                                    .child(
                                        el("value")
                                            .attr("root", ins.oid().as_str())
                                            .attr("extension", ins.number().as_str()),
                                    )
                                    .child(el("semanticsText").text("Patient.id")),
                            ),
                        ),
                ),
        )
}

/// Reads the answer: `Ok` when the record exists and access is accepted.
pub fn check(response: &Element) -> Result<(), Error> {
    let ack = response
        .child("acknowledgement")
        .and_then(|a| a.attr("typeCode"))
        .unwrap_or("");
    if ack != "AA" && ack != "CA" {
        let detail = response.path(&["acknowledgement", "acknowledgementDetail"]);
        let code = detail
            .and_then(|d| d.child("code"))
            .and_then(|c| c.attr("code"))
            .unwrap_or(if ack.is_empty() {
                "no-acknowledgement"
            } else {
                ack
            });
        let text = detail
            .and_then(|d| d.child("text"))
            .map(Element::text)
            .unwrap_or_default();
        return Err(Error::Registry {
            code: code.to_string(),
            context: crate::domain::text::terminal_safe(&text)
                .chars()
                .take(500)
                .collect(),
        });
    }
    let code = response
        .path(&["controlActProcess", "queryAck", "queryResponseCode"])
        .and_then(|c| c.attr("code"))
        .unwrap_or("");
    match code {
        "OK" => Ok(()),
        "NF" => Err(Error::NoRecord),
        other => Err(Error::Registry {
            code: if other.is_empty() {
                "no-query-response-code".to_string()
            } else {
                other.to_string()
            },
            context: String::new(),
        }),
    }
}
