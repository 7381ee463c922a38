//! A bounded XML reader that builds a small element tree, for untrusted
//! documents (CDA, XDS metadata) received by mail or from servers.
//!
//! Invariants: a document with a DOCTYPE is refused outright, so no entity
//! can be declared (no billion laughs, no external entity); only the five
//! predefined entities and character references are resolved. Input size,
//! nesting depth, attribute and text sizes and the node count are bounded by
//! [`Limits`]; the reader is a single linear pass, so time is bounded by size.
//! Names are kept as local names (prefix dropped): the documents we read use
//! prefixes inconsistently and sometimes without declaring them.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// Hard bounds on an XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_attribute_len: usize,
    pub max_text_len: usize,
    pub max_nodes: usize,
}

impl Limits {
    /// For CDA documents: level 1 documents carry a base64 PDF in one text
    /// node, so text may be large, attributes may not.
    pub const CDA: Limits = Limits {
        max_bytes: 48 * 1024 * 1024,
        max_depth: 256,
        max_attribute_len: 64 * 1024,
        max_text_len: 40 * 1024 * 1024,
        max_nodes: 2_000_000,
    };

    /// For XDS metadata (a few kilobytes in practice).
    pub const METADATA: Limits = Limits {
        max_bytes: 4 * 1024 * 1024,
        max_depth: 64,
        max_attribute_len: 64 * 1024,
        max_text_len: 256 * 1024,
        max_nodes: 200_000,
    };
}

/// Why a document was refused.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("the document is {size} bytes, more than the {limit} allowed")]
    TooLarge { size: usize, limit: usize },
    #[error("the document declares a DOCTYPE, which is refused (entity declarations)")]
    Doctype,
    #[error("the document nests deeper than {limit} elements")]
    TooDeep { limit: usize },
    #[error("an attribute value is longer than {limit} bytes")]
    AttributeTooLarge { limit: usize },
    #[error("a text node is longer than {limit} bytes")]
    TextTooLarge { limit: usize },
    #[error("the document has more than {limit} nodes")]
    TooManyNodes { limit: usize },
    #[error("the document uses the undeclared entity &{name};")]
    UnknownEntity { name: String },
    #[error("the document is not in a supported character encoding ({encoding})")]
    Encoding { encoding: String },
    #[error("the document has no root element")]
    NoRoot,
    #[error("malformed XML at byte {position}")]
    Malformed {
        position: u64,
        #[source]
        source: quick_xml::Error,
    },
    #[error("malformed XML: {reason}")]
    Structure { reason: &'static str },
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An element with its local name, attributes (local names) and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// Follows a path of child names (first match at each step).
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, name| e.child(name))
    }

    /// All descendant text, concatenated, whitespace collapsed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        collapse_whitespace(&out)
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => {
                    e.collect_text(out);
                    out.push(' ');
                }
            }
        }
    }

    /// Depth-first search for descendants named `name`.
    pub fn descendants_named<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for e in self.elements() {
            if e.name == name {
                out.push(e);
            }
            e.descendants_named(name, out);
        }
    }
}

/// Collapses runs of XML whitespace to one space and trims.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `bytes` into a tree under `limits`.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = decode(bytes)?;
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;

    // The stack of open elements; the root ends up alone at the bottom.
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut nodes = 0usize;
    loop {
        let event = reader.read_event().map_err(|source| XmlError::Malformed {
            position: reader.error_position(),
            source,
        })?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(_) | Event::Empty(_) if stack.len() >= limits.max_depth => {
                return Err(XmlError::TooDeep {
                    limit: limits.max_depth,
                });
            }
            Event::Start(start) => {
                count(&mut nodes, limits)?;
                stack.push(element(&start, limits)?);
            }
            Event::Empty(start) => {
                count(&mut nodes, limits)?;
                let e = element(&start, limits)?;
                attach(&mut stack, &mut root, e)?;
            }
            Event::End(_) => {
                let e = stack.pop().ok_or(XmlError::Structure {
                    reason: "unbalanced end tag",
                })?;
                attach(&mut stack, &mut root, e)?;
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &t.xml10_content(), limits, &mut nodes)?;
                }
            }
            Event::CData(t) => {
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &t.xml10_content(), limits, &mut nodes)?;
                }
            }
            Event::GeneralRef(r) => {
                let resolved: Cow<'_, str> = match r.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => {
                        let name = r.xml10_content();
                        match predefined(&name) {
                            Some(s) => Cow::Borrowed(s),
                            None => {
                                return Err(XmlError::UnknownEntity {
                                    name: name.into_owned(),
                                });
                            }
                        }
                    }
                    Err(source) => {
                        return Err(XmlError::Malformed {
                            position: reader.buffer_position(),
                            source,
                        });
                    }
                };
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, &resolved, limits, &mut nodes)?;
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Structure {
            reason: "unclosed element at end of document",
        });
    }
    root.ok_or(XmlError::NoRoot)
}

fn predefined(name: &str) -> Option<&'static str> {
    match name {
        "amp" => Some("&"),
        "lt" => Some("<"),
        "gt" => Some(">"),
        "quot" => Some("\""),
        "apos" => Some("'"),
        _ => None,
    }
}

fn count(nodes: &mut usize, limits: &Limits) -> Result<(), XmlError> {
    *nodes += 1;
    if *nodes > limits.max_nodes {
        return Err(XmlError::TooManyNodes {
            limit: limits.max_nodes,
        });
    }
    Ok(())
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, e: Element) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(e)),
        None if root.is_none() => *root = Some(e),
        None => {
            return Err(XmlError::Structure {
                reason: "more than one root element",
            });
        }
    }
    Ok(())
}

fn push_text(
    parent: &mut Element,
    text: &str,
    limits: &Limits,
    nodes: &mut usize,
) -> Result<(), XmlError> {
    // Adjacent text and references merge into one node, so the size bound
    // applies to the whole run and not to each fragment.
    if let Some(Node::Text(last)) = parent.children.last_mut() {
        if last.len() + text.len() > limits.max_text_len {
            return Err(XmlError::TextTooLarge {
                limit: limits.max_text_len,
            });
        }
        last.push_str(text);
        return Ok(());
    }
    if text.len() > limits.max_text_len {
        return Err(XmlError::TextTooLarge {
            limit: limits.max_text_len,
        });
    }
    count(nodes, limits)?;
    parent.children.push(Node::Text(text.to_string()));
    Ok(())
}

fn element(start: &BytesStart<'_>, limits: &Limits) -> Result<Element, XmlError> {
    let name = local(start.name().as_ref());
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Malformed {
            position: 0,
            source: quick_xml::Error::InvalidAttr(e),
        })?;
        if attr.value.len() > limits.max_attribute_len {
            return Err(XmlError::AttributeTooLarge {
                limit: limits.max_attribute_len,
            });
        }
        let key = local(attr.key.as_ref());
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|source| XmlError::Malformed {
                position: 0,
                source,
            })?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
    })
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((prefix, local)) if prefix != "xmlns" => local.to_string(),
        _ => name.to_string(),
    }
}

/// Decodes to UTF-8: a BOM or the XML declaration may name another encoding
/// (ISO-8859-1 and windows-1252 still occur in French hospital exports).
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(XmlError::Encoding {
                encoding: encoding.name().to_string(),
            });
        }
        return Ok(text);
    }
    let declared = declared_encoding(bytes);
    let encoding = match declared.as_deref() {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
            XmlError::Encoding {
                encoding: label.to_string(),
            }
        })?,
    };
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|_| XmlError::Encoding {
                encoding: "invalid UTF-8".to_string(),
            });
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(XmlError::Encoding {
            encoding: encoding.name().to_string(),
        });
    }
    Ok(text)
}

fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(256))?;
    let head = std::str::from_utf8(head).ok().or_else(|| {
        // A non-UTF-8 declaration is ASCII up to its end.
        let end = head.iter().position(|b| !b.is_ascii())?;
        std::str::from_utf8(&head[..end]).ok()
    })?;
    let decl = head.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next()?;
    let rest = &after[quote.len_utf8()..];
    Some(rest[..rest.find(quote)?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_tree_with_entities_and_prefixes() {
        let xml = br#"<?xml version="1.0"?><ns3:root xmlns:ns3="x" a="1&amp;2"><b>t&lt;u&#233;</b><c/><![CDATA[<raw>]]></ns3:root>"#;
        let root = parse(xml, &Limits::METADATA).unwrap();
        assert_eq!(root.name, "root");
        assert_eq!(root.attr("a"), Some("1&2"));
        assert_eq!(root.child("b").unwrap().text(), "t<ué");
        assert!(root.child("c").is_some());
        assert!(root.text().contains("<raw>"));
    }

    #[test]
    fn latin1_declaration_is_transcoded() {
        let mut xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>".to_vec();
        xml.push(0xE9);
        xml.extend_from_slice(b"</r>");
        assert_eq!(parse(&xml, &Limits::METADATA).unwrap().text(), "é");
    }

    #[test]
    fn odd_declarations_do_not_panic() {
        for decl in [
            "<?xml encoding=\u{e9}x\u{e9}?><r/>",
            "<?xml encoding=?><r/>",
            "<?xml encoding",
            "<?xml version=\"1.0\" encoding=\"nope\"?><r/>",
        ] {
            let _ = parse(decl.as_bytes(), &Limits::METADATA);
        }
        assert!(matches!(
            parse(
                b"<?xml version=\"1.0\" encoding=\"nope\"?><r/>",
                &Limits::METADATA
            ),
            Err(XmlError::Encoding { .. })
        ));
    }

    #[test]
    fn billion_laughs_is_refused_as_doctype() {
        let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"#;
        assert!(matches!(parse(xml, &Limits::CDA), Err(XmlError::Doctype)));
    }

    #[test]
    fn undeclared_entity_is_refused() {
        assert!(matches!(
            parse(b"<r>&lol;</r>", &Limits::CDA),
            Err(XmlError::UnknownEntity { name }) if name == "lol"
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let depth = 100_000;
        let mut xml = "<a>".repeat(depth);
        xml.push_str(&"</a>".repeat(depth));
        assert!(matches!(
            parse(xml.as_bytes(), &Limits::CDA),
            Err(XmlError::TooDeep { limit: 256 })
        ));
    }

    #[test]
    fn huge_attribute_is_refused() {
        let xml = format!("<r a=\"{}\"/>", "x".repeat(10 * 1024 * 1024));
        assert!(matches!(
            parse(xml.as_bytes(), &Limits::CDA),
            Err(XmlError::AttributeTooLarge { .. })
        ));
    }

    #[test]
    fn size_text_and_node_bounds() {
        let small = Limits {
            max_bytes: 64,
            max_depth: 8,
            max_attribute_len: 8,
            max_text_len: 4,
            max_nodes: 3,
        };
        assert!(matches!(
            parse(&[b' '; 65], &small),
            Err(XmlError::TooLarge { .. })
        ));
        assert!(matches!(
            parse(b"<r>hello</r>", &small),
            Err(XmlError::TextTooLarge { .. })
        ));
        assert!(matches!(
            parse(b"<r>he&amp;lo</r>", &small),
            Err(XmlError::TextTooLarge { .. })
        ));
        assert!(matches!(
            parse(b"<r><a/><a/><a/></r>", &small),
            Err(XmlError::TooManyNodes { .. })
        ));
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            &b"<a><b></a>"[..],
            b"<a>",
            b"",
            b"<a/><b/>",
            b"\xff\xfe\xff",
        ] {
            assert!(parse(bad, &Limits::CDA).is_err(), "{bad:?}");
        }
    }
}
