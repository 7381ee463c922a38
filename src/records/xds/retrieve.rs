//! TD3.2: ITI-43 RetrieveDocumentSet by repository and document unique ids,
//! and its answer, inline (base64 in `Document`) or MTOM/XOP (a
//! `multipart/related` body whose root part refers to the document's part
//! with `xop:Include href="cid:…"`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::c14n::XmlNode;
use super::soap;
use crate::records::Error;
use crate::records::xml::Element;

pub const ACTION: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";
pub const XDSB_NS: &str = "urn:ihe:iti:xds-b:2007";
const MAX_PARTS: usize = 16;

/// The RetrieveDocumentSetRequest body for one document.
pub fn request(repository_id: &str, document_id: &str) -> XmlNode {
    XmlNode::new("xdsb:RetrieveDocumentSetRequest")
        .ns("xdsb", XDSB_NS)
        .child(
            XmlNode::new("xdsb:DocumentRequest")
                .child(XmlNode::new("xdsb:RepositoryUniqueId").text(repository_id))
                .child(XmlNode::new("xdsb:DocumentUniqueId").text(document_id)),
        )
}

/// One MIME part of a multipart body.
#[derive(Debug)]
struct Part<'a> {
    content_id: Option<String>,
    body: &'a [u8],
}

fn header_param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn strip_cid(id: &str) -> String {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let id = id.strip_prefix("cid:").unwrap_or(id);
    // hrefs are URL-encoded content ids (RFC 2392).
    let mut out = Vec::with_capacity(id.len());
    let bytes = id.as_bytes();
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match decoded {
            Some(b) => {
                out.push(b as u8);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a multipart/related body into its parts.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, Error> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let bad = |reason: &str| Error::Protocol {
        reason: format!("MTOM answer: {reason}"),
    };
    let mut pos = find(body, delimiter, 0).ok_or_else(|| bad("no boundary"))?;
    let mut out = Vec::new();
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            break;
        }
        let headers_start = find(body, b"\r\n", pos).ok_or_else(|| bad("truncated part"))? + 2;
        let headers_end =
            find(body, b"\r\n\r\n", headers_start).ok_or_else(|| bad("part without headers"))?;
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let content_start = headers_end + 4;
        let next = find(body, delimiter, content_start).ok_or_else(|| bad("unterminated part"))?;
        let content_end = if next >= 2 && &body[next - 2..next] == b"\r\n" {
            next - 2
        } else {
            next
        };
        let content_id = headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-id")
                .then(|| strip_cid(v))
        });
        out.push(Part {
            content_id,
            body: &body[content_start..content_end.max(content_start)],
        });
        if out.len() > MAX_PARTS {
            return Err(bad("too many parts"));
        }
        pos = next;
    }
    Ok(out)
}

/// The retrieved document's bytes from an answer with its content type.
pub fn document(
    content_type: Option<&str>,
    body: &[u8],
    document_id: &str,
) -> Result<Vec<u8>, Error> {
    let content_type = content_type.unwrap_or("");
    let is_multipart = content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/related");
    let (root, attachments) = if is_multipart {
        let boundary = header_param(content_type, "boundary").ok_or_else(|| Error::Protocol {
            reason: "MTOM answer without a boundary".to_string(),
        })?;
        let all = parts(body, &boundary)?;
        let start = header_param(content_type, "start").map(|s| strip_cid(&s));
        let root_index = start
            .as_ref()
            .and_then(|s| all.iter().position(|p| p.content_id.as_ref() == Some(s)))
            .unwrap_or(0);
        let root = all
            .get(root_index)
            .map(|p| p.body)
            .ok_or_else(|| Error::Protocol {
                reason: "MTOM answer without parts".to_string(),
            })?;
        (root, all)
    } else {
        (body, Vec::new())
    };
    let response = soap::body(root)?;
    if response.name != "RetrieveDocumentSetResponse" {
        return Err(Error::Protocol {
            reason: format!(
                "expected a RetrieveDocumentSetResponse, got <{}>",
                response.name
            ),
        });
    }
    if let Some(status) = response.child("RegistryResponse") {
        soap::registry_status(status)?;
    }
    let doc = response
        .children_named("DocumentResponse")
        .find(|d| d.child("DocumentUniqueId").map(Element::text).as_deref() == Some(document_id))
        .ok_or_else(|| Error::NotFound {
            id: document_id.to_string(),
        })?;
    let content = doc.child("Document").ok_or_else(|| Error::Protocol {
        reason: "DocumentResponse without Document".to_string(),
    })?;
    if let Some(include) = content.child("Include") {
        let href = strip_cid(include.attr("href").unwrap_or_default());
        let part = attachments
            .iter()
            .find(|p| p.content_id.as_deref() == Some(href.as_str()))
            .ok_or_else(|| Error::Protocol {
                reason: "the xop:Include points to no MIME part".to_string(),
            })?;
        return Ok(part.body.to_vec());
    }
    let text: String = content
        .text()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    B64.decode(text.as_bytes()).map_err(|_| Error::Protocol {
        reason: "the inline document is not base64".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE_HEAD: &str = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x:RetrieveDocumentSetResponse xmlns:x="urn:ihe:iti:xds-b:2007"><r:RegistryResponse xmlns:r="urn:r" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/><x:DocumentResponse><x:RepositoryUniqueId>1.2.3</x:RepositoryUniqueId><x:DocumentUniqueId>1.2.3.4</x:DocumentUniqueId><x:mimeType>text/xml</x:mimeType><x:Document>"#;
    const ENVELOPE_TAIL: &str =
        "</x:Document></x:DocumentResponse></x:RetrieveDocumentSetResponse></s:Body></s:Envelope>";

    #[test]
    fn inline_and_mtom_answers_give_the_bytes() {
        let inline = format!("{ENVELOPE_HEAD}aGVs\nbG8={ENVELOPE_TAIL}");
        assert_eq!(
            document(Some("application/soap+xml"), inline.as_bytes(), "1.2.3.4").unwrap(),
            b"hello"
        );
        let root = format!(
            "{ENVELOPE_HEAD}<xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:doc%401\"/>{ENVELOPE_TAIL}"
        );
        let body = format!(
            "--B\r\nContent-Type: application/xop+xml\r\nContent-ID: <root@1>\r\n\r\n{root}\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-ID: <doc@1>\r\n\r\n\x00binary\r\n--B--\r\n"
        );
        let ct =
            "multipart/related; type=\"application/xop+xml\"; boundary=\"B\"; start=\"<root@1>\"";
        assert_eq!(
            document(Some(ct), body.as_bytes(), "1.2.3.4").unwrap(),
            b"\x00binary"
        );
        assert!(matches!(
            document(Some(ct), body.as_bytes(), "9.9"),
            Err(Error::NotFound { .. })
        ));
        assert!(document(Some("multipart/related; boundary=B"), b"--B\r\nX", "1").is_err());
    }
}
