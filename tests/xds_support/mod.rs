//! A loopback DMP responder for the XDS.b client tests.
//!
//! No DMP test server can run here (the DMP qualification platform needs a
//! homologated software and real cards), so this is a hand-written HTTPS
//! responder. It requires a client certificate from the test CA (the
//! simulated card), and checks every request against the structures of the
//! specification: a SOAP 1.2 envelope, the WS-Addressing Action of the
//! transaction for the service called (mustUnderstand), MessageID and To, a
//! VIHF in `wsse:Security` whose XML signature verifies with the card's
//! certificate (checked independently with this folder's own exclusive
//! c14n and ring) and whose certificate is the TLS client's, and the
//! transaction's parameters (TD0.2 patient identifier and TEST_EXST; TD3.1
//! FindDocuments id, `$XDSDocumentEntryPatientId` with the INS OID and
//! `$XDSDocumentEntryStatus`; TD3.2 repository and document ids). It answers
//! with spec-shaped responses: a list holding a MASQUE_PS entry, a registry
//! error, a missing record, an MTOM document and an inline document whose
//! hash does not match its metadata.

#![allow(dead_code)]

pub mod c14n;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use c14n::{Child, Node, exc_c14n, parse};

pub const INS_OK: &str = "279035121518989";
/// NIRs with a valid key for the other cases.
pub const FIND_REPOSITORY: &str = "1.2.250.1.213.1.1.1.1";
pub const DOC_GOOD: &str = "1.2.250.1.999.42.1";
pub const DOC_MASKED: &str = "1.2.250.1.999.42.2";
pub const DOC_BAD_HASH: &str = "1.2.250.1.999.42.3";
pub const DOC_PDF: &str = "1.2.250.1.999.42.4";

/// What a valid VIHF asserted.
#[derive(Debug, Clone)]
pub struct Vihf {
    pub name_id: String,
    pub issuer: String,
    pub resource_id: String,
    pub purpose: String,
    pub roles: Vec<String>,
    pub certificate: Vec<u8>,
}

fn attribute_values<'a>(assertion: &'a Node, name: &str) -> Vec<&'a Node> {
    let mut attrs = Vec::new();
    assertion.find_all("Attribute", &mut attrs);
    attrs
        .into_iter()
        .filter(|a| a.attr("Name") == Some(name))
        .flat_map(|a| a.elements().filter(|v| v.local() == "AttributeValue"))
        .collect()
}

/// Finds the assertion in an envelope and checks its enveloped signature:
/// Reference to the assertion's ID, the transforms and algorithms, the
/// SHA-256 digest of the assertion without its Signature, and the
/// RSA-SHA256 signature of the canonical SignedInfo with the certificate in
/// KeyInfo.
pub fn verify_vihf(envelope: &str) -> Result<Vihf, String> {
    let root = parse(envelope);
    if root.local() != "Envelope" {
        return Err("not an Envelope".into());
    }
    let mut scope: BTreeMap<String, String> = BTreeMap::new();
    let mut path = vec![&root];
    let mut node = &root;
    for step in ["Header", "Security", "Assertion"] {
        node = node.child(step).ok_or(format!("no {step}"))?;
        path.push(node);
    }
    // Declarations of the assertion's ancestors (exc-c14n renders only those used).
    for n in &path[..path.len() - 1] {
        for (p, u) in &n.ns {
            scope.insert(p.clone(), u.clone());
        }
    }
    let assertion = node;
    let signature = assertion.child("Signature").ok_or("unsigned assertion")?;
    let mut sig_scope = scope.clone();
    for (p, u) in assertion.ns.iter().chain(signature.ns.iter()) {
        sig_scope.insert(p.clone(), u.clone());
    }
    let info = signature.child("SignedInfo").ok_or("no SignedInfo")?;
    fn algorithm(n: Option<&Node>) -> &str {
        n.and_then(|n| n.attr("Algorithm")).unwrap_or("")
    }
    if algorithm(info.child("CanonicalizationMethod")) != "http://www.w3.org/2001/10/xml-exc-c14n#"
    {
        return Err("canonicalization is not exc-c14n".into());
    }
    if algorithm(info.child("SignatureMethod"))
        != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    {
        return Err("signature is not RSA-SHA256".into());
    }
    let reference = info.child("Reference").ok_or("no Reference")?;
    let id = assertion.attr("ID").ok_or("assertion without ID")?;
    if reference.attr("URI") != Some(&format!("#{id}")) {
        return Err("the Reference does not point at the assertion".into());
    }
    let transforms: Vec<&str> = reference
        .child("Transforms")
        .map(|t| t.elements().filter_map(|x| x.attr("Algorithm")).collect())
        .unwrap_or_default();
    if transforms
        != [
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
        ]
    {
        return Err(format!("transforms {transforms:?}"));
    }
    if algorithm(reference.child("DigestMethod")) != "http://www.w3.org/2001/04/xmlenc#sha256" {
        return Err("digest is not SHA-256".into());
    }
    // Enveloped-signature transform: the assertion without its Signature.
    let mut unsigned = assertion.clone();
    unsigned
        .children
        .retain(|c| !matches!(c, Child::E(e) if e.local() == "Signature"));
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        exc_c14n(&unsigned, &scope).as_bytes(),
    );
    let claimed = reference
        .child("DigestValue")
        .ok_or("no DigestValue")?
        .text();
    if B64.encode(digest.as_ref()) != claimed.trim() {
        return Err("digest mismatch: the assertion was altered".into());
    }
    let cert_b64: String = signature
        .find("X509Certificate")
        .ok_or("no certificate in KeyInfo")?
        .text()
        .split_whitespace()
        .collect();
    let certificate = B64.decode(cert_b64).map_err(|e| e.to_string())?;
    let (_, cert) = x509_parser::parse_x509_certificate(&certificate).map_err(|e| e.to_string())?;
    let key = cert.public_key().subject_public_key.data.to_vec();
    let value: String = signature
        .child("SignatureValue")
        .ok_or("no SignatureValue")?
        .text()
        .split_whitespace()
        .collect();
    let value = B64.decode(value).map_err(|e| e.to_string())?;
    let signed = exc_c14n(info, &sig_scope);
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(signed.as_bytes(), &value)
        .map_err(|_| "the signature does not verify with the certificate".to_string())?;

    let first = |name: &str| {
        attribute_values(assertion, name)
            .first()
            .map(|v| v.text())
            .unwrap_or_default()
    };
    let purpose = attribute_values(assertion, "PurposeOfUse")
        .first()
        .and_then(|v| v.child("PurposeOfUse"))
        .and_then(|p| p.attr("code"))
        .unwrap_or_default()
        .to_string();
    let roles = attribute_values(assertion, "urn:oasis:names:tc:xacml:2.0:subject:role")
        .iter()
        .filter_map(|v| v.child("Role"))
        .filter_map(|r| Some(format!("{}@{}", r.attr("code")?, r.attr("codeSystem")?)))
        .collect();
    Ok(Vihf {
        name_id: assertion
            .find("NameID")
            .map(|n| n.text())
            .unwrap_or_default(),
        issuer: assertion
            .child("Issuer")
            .map(|n| n.text())
            .unwrap_or_default(),
        resource_id: first("urn:oasis:names:tc:xacml:2.0:resource:resource-id"),
        purpose,
        roles,
        certificate,
    })
}

/// One request as the responder saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub service: String,
    pub action: String,
    pub vihf: Option<Vihf>,
    pub tls_client_certificate: Vec<u8>,
    /// Departures from the specification structures (must stay empty).
    pub problems: Vec<String>,
    pub envelope: String,
}

/// A document the responder serves.
#[derive(Debug, Clone)]
pub struct Served {
    pub unique_id: String,
    pub title: String,
    pub mime: String,
    pub bytes: Vec<u8>,
    /// The hash announced in the metadata (a wrong one for the mismatch case).
    pub announced_sha1: Vec<u8>,
    pub confidentiality: Vec<&'static str>,
    pub creation: String,
}

#[derive(Debug, Clone)]
pub struct Fixtures {
    /// INS → documents; an INS absent here has no DMP (TD0.2 NF).
    pub records: BTreeMap<String, Vec<Served>>,
    /// INS whose TD3.1 fails with a registry error.
    pub failing: Option<String>,
}

pub struct Responder {
    pub url: String,
    pub log: Arc<Mutex<Vec<Exchange>>>,
}

fn sha1(b: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b)
        .as_ref()
        .to_vec()
}

impl Served {
    pub fn new(unique_id: &str, title: &str, mime: &str, bytes: Vec<u8>, creation: &str) -> Self {
        Served {
            unique_id: unique_id.into(),
            title: title.into(),
            mime: mime.into(),
            announced_sha1: sha1(&bytes),
            bytes,
            confidentiality: vec!["N"],
            creation: creation.into(),
        }
    }
}

/// Starts the responder on 127.0.0.1 with the PKI's server certificate;
/// only clients with a certificate from the PKI's CA get through.
pub async fn start(pki_dir: &std::path::Path, ca_der: &[u8], fixtures: Fixtures) -> Responder {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca_der.to_vec())).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let chain = CertificateDer::pem_file_iter(pki_dir.join("server.crt"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(pki_dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("https://localhost:{port}/si-dmp-server/v2/services");
    let log = Arc::new(Mutex::new(Vec::new()));
    let fixtures = Arc::new(fixtures);
    let (log2, url2) = (log.clone(), url.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, log, fixtures, url) = (
                acceptor.clone(),
                log2.clone(),
                fixtures.clone(),
                url2.clone(),
            );
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                    .unwrap_or_default();
                while let Some((path, headers, body)) = read_request(&mut tls).await {
                    let (status, content_type, answer, exchange) =
                        handle(&url, &path, &headers, &body, &peer, &fixtures);
                    log.lock().unwrap().push(exchange);
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                        answer.len()
                    );
                    if tls.write_all(head.as_bytes()).await.is_err()
                        || tls.write_all(&answer).await.is_err()
                        || tls.flush().await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Responder { url, log }
}

async fn read_request<S: AsyncReadExt + Unpin>(
    s: &mut S,
) -> Option<(String, Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.ok()? == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await.ok()?;
    Some((path, headers, body))
}

const SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP}\" \
         xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"><soap:Header><wsa:Action>response</wsa:Action>\
         </soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

fn fault(code: &str, reason: &str) -> (u16, String, Vec<u8>) {
    (
        500,
        "application/soap+xml; charset=UTF-8".into(),
        envelope(&format!(
            "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>{code}</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang=\"fr\">{reason}</soap:Text></soap:Reason></soap:Fault>"
        ))
        .into_bytes(),
    )
}

fn slot_value(query: &Node, name: &str) -> Option<String> {
    query
        .elements()
        .find(|s| s.local() == "Slot" && s.attr("name") == Some(name))
        .and_then(|s| s.find("Value"))
        .map(|v| v.text())
}

fn handle(
    base: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    peer: &[u8],
    fixtures: &Fixtures,
) -> (u16, String, Vec<u8>, Exchange) {
    let mut problems = Vec::new();
    let text = String::from_utf8_lossy(body).into_owned();
    let service = path.rsplit('/').next().unwrap_or("").to_string();
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if !content_type.starts_with("application/soap+xml") {
        problems.push(format!("content type {content_type}"));
    }
    let root = parse(&text);
    if root.local() != "Envelope" || root.ns.iter().all(|(_, u)| u != SOAP) {
        problems.push("not a SOAP 1.2 Envelope".into());
    }
    let header = root.child("Header");
    let wsa = |name: &str| header.and_then(|h| h.child(name));
    let action = wsa("Action").map(|a| a.text()).unwrap_or_default();
    if wsa("Action").and_then(|a| a.attr("mustUnderstand")) != Some("true") {
        problems.push("Action without mustUnderstand".into());
    }
    let expected_action = match service.as_str() {
        "patients" => "urn:hl7-org:v3:PRPA_IN201307UV02",
        "registry" => "urn:ihe:iti:2007:RegistryStoredQuery",
        "repository" => "urn:ihe:iti:2007:RetrieveDocumentSet",
        _ => "?",
    };
    if action != expected_action {
        problems.push(format!("action {action} on service {service}"));
    }
    if !content_type.contains(&format!("action=\"{expected_action}\"")) {
        problems.push("the content type does not carry the action".into());
    }
    if !wsa("MessageID").is_some_and(|m| m.text().starts_with("urn:uuid:")) {
        problems.push("MessageID is not a urn:uuid".into());
    }
    if wsa("To").map(|t| t.text()) != Some(format!("{base}/{service}")) {
        problems.push("To is not the service URL".into());
    }
    let vihf = match verify_vihf(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("VIHF: {e}"));
            None
        }
    };
    if let Some(v) = &vihf
        && v.certificate != peer
    {
        problems.push("the VIHF is not signed by the TLS client's certificate".into());
    }
    let payload = root
        .child("Body")
        .and_then(|b| b.elements().next().cloned());
    let mut exchange = Exchange {
        service: service.clone(),
        action: action.clone(),
        vihf: vihf.clone(),
        tls_client_certificate: peer.to_vec(),
        problems: Vec::new(),
        envelope: text.clone(),
    };
    let Some(vihf) = vihf else {
        exchange.problems = problems;
        let (s, c, b) = fault("wsse:FailedAuthentication", "VIHF invalide");
        return (s, c, b, exchange);
    };
    let Some(payload) = payload else {
        problems.push("empty Body".into());
        exchange.problems = problems;
        let (s, c, b) = fault("soap:Sender", "corps vide");
        return (s, c, b, exchange);
    };
    let (status, ct, answer) = match service.as_str() {
        "patients" => td02(&payload, &vihf, fixtures, &mut problems),
        "registry" => td31(&payload, &vihf, fixtures, &mut problems),
        "repository" => td32(&payload, &vihf, fixtures, &mut problems),
        _ => fault("soap:Sender", "service inconnu"),
    };
    exchange.problems = problems;
    (status, ct, answer, exchange)
}

fn ins_of(vihf: &Vihf, problems: &mut Vec<String>) -> String {
    let Some(number) = vihf
        .resource_id
        .strip_suffix("^^^&1.2.250.1.213.1.4.8&ISO^NH")
    else {
        problems.push(format!("resource-id {}", vihf.resource_id));
        return String::new();
    };
    number.to_string()
}

fn soap_ok(body: String) -> (u16, String, Vec<u8>) {
    (
        200,
        "application/soap+xml; charset=UTF-8".into(),
        envelope(&body).into_bytes(),
    )
}

fn td02(
    p: &Node,
    vihf: &Vihf,
    fixtures: &Fixtures,
    problems: &mut Vec<String>,
) -> (u16, String, Vec<u8>) {
    if p.local() != "PRPA_IN201307UV02" {
        problems.push(format!("TD0.2 body {}", p.local()));
    }
    let reason = p.find("reasonCode");
    if reason.and_then(|r| r.attr("code")) != Some("TEST_EXST")
        || reason.and_then(|r| r.attr("codeSystem")) != Some("1.2.250.1.213.1.1.4.11")
    {
        problems.push("TD0.2 without TEST_EXST".into());
    }
    let value = p.find("patientIdentifier").and_then(|i| i.child("value"));
    let ins = ins_of(vihf, problems);
    if value.and_then(|v| v.attr("root")) != Some("1.2.250.1.213.1.4.8")
        || value.and_then(|v| v.attr("extension")) != Some(ins.as_str())
    {
        problems.push("TD0.2 patientIdentifier is not the VIHF's INS".into());
    }
    let code = if fixtures.records.contains_key(&ins) {
        "OK"
    } else {
        "NF"
    };
    soap_ok(format!(
        "<PRPA_IN201308UV02 xmlns=\"urn:hl7-org:v3\" ITSVersion=\"XML_1.0\"><id root=\"1.2.250.1.213.4.1.1.1\" extension=\"r1\"/>\
         <acknowledgement typeCode=\"AA\"><targetMessage><id root=\"x\"/></targetMessage></acknowledgement>\
         <controlActProcess classCode=\"CACT\" moodCode=\"EVN\"><queryAck><queryResponseCode code=\"{code}\"/></queryAck></controlActProcess>\
         </PRPA_IN201308UV02>"
    ))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn classification(scheme: &str, object: &str, code: &str, coding: &str, name: &str) -> String {
    format!(
        "<rim:Classification classificationScheme=\"{scheme}\" classifiedObject=\"{object}\" id=\"urn:uuid:c-{object}-{code}\" nodeRepresentation=\"{code}\">\
         <rim:Slot name=\"codingScheme\"><rim:ValueList><rim:Value>{coding}</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Name><rim:LocalizedString value=\"{name}\"/></rim:Name></rim:Classification>"
    )
}

fn extrinsic(doc: &Served, ins: &str) -> String {
    let id = format!("urn:uuid:{}", doc.unique_id.replace('.', "-"));
    let conf: String = doc
        .confidentiality
        .iter()
        .map(|c| {
            let coding = if *c == "N" {
                "2.16.840.1.113883.5.25"
            } else {
                "1.2.250.1.213.1.1.4.13"
            };
            classification(
                "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
                &id,
                c,
                coding,
                c,
            )
        })
        .collect();
    format!(
        "<rim:ExtrinsicObject id=\"{id}\" mimeType=\"{mime}\" objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\" status=\"urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\">\
         <rim:Slot name=\"creationTime\"><rim:ValueList><rim:Value>{creation}</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Slot name=\"hash\"><rim:ValueList><rim:Value>{hash}</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Slot name=\"size\"><rim:ValueList><rim:Value>{size}</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Slot name=\"repositoryUniqueId\"><rim:ValueList><rim:Value>{FIND_REPOSITORY}</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Name><rim:LocalizedString value=\"{title}\"/></rim:Name>\
         <rim:Classification classificationScheme=\"urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d\" classifiedObject=\"{id}\" id=\"urn:uuid:a-{id}\" nodeRepresentation=\"\">\
         <rim:Slot name=\"authorPerson\"><rim:ValueList><rim:Value>810002222222^DURAND^Paul^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS</rim:Value></rim:ValueList></rim:Slot>\
         <rim:Slot name=\"authorInstitution\"><rim:ValueList><rim:Value>Laboratoire Central^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^110000001</rim:Value></rim:ValueList></rim:Slot></rim:Classification>\
         {type_code}{conf}\
         <rim:ExternalIdentifier id=\"urn:uuid:p-{id}\" identificationScheme=\"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427\" registryObject=\"{id}\" value=\"{ins}^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry.patientId\"/></rim:Name></rim:ExternalIdentifier>\
         <rim:ExternalIdentifier id=\"urn:uuid:u-{id}\" identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" registryObject=\"{id}\" value=\"{uid}\"><rim:Name><rim:LocalizedString value=\"XDSDocumentEntry.uniqueId\"/></rim:Name></rim:ExternalIdentifier>\
         </rim:ExtrinsicObject>",
        mime = doc.mime,
        creation = doc.creation,
        hash = hex(&doc.announced_sha1),
        size = doc.bytes.len(),
        title = doc.title,
        type_code = classification(
            "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
            &id,
            "11502-2",
            "2.16.840.1.113883.6.1",
            "CR d'examens biologiques"
        ),
        uid = doc.unique_id,
    )
}

fn td31(
    p: &Node,
    vihf: &Vihf,
    fixtures: &Fixtures,
    problems: &mut Vec<String>,
) -> (u16, String, Vec<u8>) {
    if p.local() != "AdhocQueryRequest" {
        problems.push(format!("TD3.1 body {}", p.local()));
    }
    if p.child("ResponseOption").and_then(|r| r.attr("returnType")) != Some("LeafClass") {
        problems.push("returnType is not LeafClass".into());
    }
    let query = p.child("AdhocQuery");
    if query.and_then(|q| q.attr("id")) != Some("urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d") {
        problems.push("not the FindDocuments stored query".into());
    }
    let ins = ins_of(vihf, problems);
    let patient = query.and_then(|q| slot_value(q, "$XDSDocumentEntryPatientId"));
    if patient != Some(format!("'{ins}^^^&1.2.250.1.213.1.4.8&ISO^NH'")) {
        problems.push(format!("$XDSDocumentEntryPatientId {patient:?}"));
    }
    let status = query.and_then(|q| slot_value(q, "$XDSDocumentEntryStatus"));
    if status.as_deref() != Some("('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')") {
        problems.push(format!("$XDSDocumentEntryStatus {status:?}"));
    }
    if fixtures.failing.as_deref() == Some(ins.as_str()) {
        return soap_ok(
            "<query:AdhocQueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure\">\
             <rs:RegistryErrorList xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\"><rs:RegistryError errorCode=\"XDSRegistryBusy\" codeContext=\"Registre indisponible\" severity=\"urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error\" location=\"\"/></rs:RegistryErrorList>\
             </query:AdhocQueryResponse>".to_string(),
        );
    }
    let docs: String = fixtures
        .records
        .get(&ins)
        .map(|d| d.iter().map(|doc| extrinsic(doc, &ins)).collect())
        .unwrap_or_default();
    soap_ok(format!(
        "<query:AdhocQueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\" status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\">\
         <rim:RegistryObjectList>{docs}</rim:RegistryObjectList></query:AdhocQueryResponse>"
    ))
}

fn td32(
    p: &Node,
    vihf: &Vihf,
    fixtures: &Fixtures,
    problems: &mut Vec<String>,
) -> (u16, String, Vec<u8>) {
    if p.local() != "RetrieveDocumentSetRequest" {
        problems.push(format!("TD3.2 body {}", p.local()));
    }
    let request = p.child("DocumentRequest");
    let repository = request
        .and_then(|r| r.child("RepositoryUniqueId"))
        .map(|r| r.text());
    let unique = request
        .and_then(|r| r.child("DocumentUniqueId"))
        .map(|r| r.text())
        .unwrap_or_default();
    if repository.as_deref() != Some(FIND_REPOSITORY) {
        problems.push(format!("RepositoryUniqueId {repository:?}"));
    }
    let ins = ins_of(vihf, problems);
    let Some(doc) = fixtures
        .records
        .get(&ins)
        .and_then(|d| d.iter().find(|d| d.unique_id == unique))
    else {
        problems.push(format!("unknown document {unique}"));
        return fault("soap:Sender", "document inconnu");
    };
    let head = format!(
        "<xdsb:RetrieveDocumentSetResponse xmlns:xdsb=\"urn:ihe:iti:xds-b:2007\">\
         <rs:RegistryResponse xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>\
         <xdsb:DocumentResponse><xdsb:RepositoryUniqueId>{FIND_REPOSITORY}</xdsb:RepositoryUniqueId>\
         <xdsb:DocumentUniqueId>{unique}</xdsb:DocumentUniqueId><xdsb:mimeType>{}</xdsb:mimeType><xdsb:Document>",
        doc.mime
    );
    let tail = "</xdsb:Document></xdsb:DocumentResponse></xdsb:RetrieveDocumentSetResponse>";
    if doc.unique_id == DOC_GOOD || doc.unique_id == DOC_PDF {
        // MTOM/XOP: the document travels as a binary MIME part.
        let root = envelope(&format!(
            "{head}<xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:doc1%40cachet.test\"/>{tail}"
        ));
        let mut body = format!(
            "--MIMEBoundary_42\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n\
             Content-Transfer-Encoding: binary\r\nContent-ID: <root.message@cachet.test>\r\n\r\n{root}\r\n\
             --MIMEBoundary_42\r\nContent-Type: {}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <doc1@cachet.test>\r\n\r\n",
            doc.mime
        )
        .into_bytes();
        body.extend_from_slice(&doc.bytes);
        body.extend_from_slice(b"\r\n--MIMEBoundary_42--\r\n");
        (
            200,
            "multipart/related; boundary=MIMEBoundary_42; type=\"application/xop+xml\"; \
             start=\"<root.message@cachet.test>\"; start-info=\"application/soap+xml\""
                .into(),
            body,
        )
    } else {
        soap_ok(format!("{head}{}{tail}", B64.encode(&doc.bytes)))
    }
}
