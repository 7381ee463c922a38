//! The test's own XML reader and Exclusive XML Canonicalization, written
//! independently of `cachet::records::xds::c14n` (from the W3C exc-c14n
//! rules, over a tree read back from the bytes received), so that the VIHF
//! signature is checked the way a server would check it.

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Clone)]
pub struct Node {
    /// Qualified name as written (`prefix:local` or `local`).
    pub name: String,
    /// Namespace declarations on this element: prefix ("" = default) → URI.
    pub ns: Vec<(String, String)>,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Child>,
}

#[derive(Debug, Clone)]
pub enum Child {
    E(Node),
    T(String),
}

impl Node {
    pub fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name || k.rsplit(':').next() == Some(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Node> {
        self.children.iter().filter_map(|c| match c {
            Child::E(e) => Some(e),
            Child::T(_) => None,
        })
    }

    pub fn child(&self, local: &str) -> Option<&Node> {
        self.elements().find(|e| e.local() == local)
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            match c {
                Child::T(t) => s.push_str(t),
                Child::E(e) => s.push_str(&e.text()),
            }
        }
        s
    }

    /// Depth-first descendants with this local name.
    pub fn find_all<'a>(&'a self, local: &str, out: &mut Vec<&'a Node>) {
        for e in self.elements() {
            if e.local() == local {
                out.push(e);
            }
            e.find_all(local, out);
        }
    }

    pub fn find(&self, local: &str) -> Option<&Node> {
        let mut v = Vec::new();
        self.find_all(local, &mut v);
        v.into_iter().next()
    }
}

fn start(e: &BytesStart<'_>) -> Node {
    let qname = e.name();
    let raw: &str = qname.as_ref();
    let name = raw.to_string();
    let mut ns = Vec::new();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.unwrap();
        let raw: &str = a.key.as_ref();
        let key = raw.to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .unwrap()
            .into_owned();
        if key == "xmlns" {
            ns.push((String::new(), value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            ns.push((p.to_string(), value));
        } else {
            attrs.push((key, value));
        }
    }
    Node {
        name,
        ns,
        attrs,
        children: Vec::new(),
    }
}

fn push_text(stack: &mut [Node], t: &str) {
    if let Some(top) = stack.last_mut() {
        if let Some(Child::T(last)) = top.children.last_mut() {
            last.push_str(t);
        } else {
            top.children.push(Child::T(t.to_string()));
        }
    }
}

/// Reads a whole document (test input: panics on malformed XML).
pub fn parse(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(start(&e)),
            Event::Empty(e) => {
                let n = start(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(Child::E(n)),
                    None => return n,
                }
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(p) => p.children.push(Child::E(n)),
                    None => return n,
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let s = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("entity {other}"),
                    },
                };
                push_text(&mut stack, &s);
            }
            Event::Eof => panic!("no root element"),
            _ => {}
        }
    }
}

fn prefix_of(name: &str) -> &str {
    name.split_once(':').map(|(p, _)| p).unwrap_or("")
}

/// Exclusive c14n (no comments) of `node` as the apex, with `scope` the
/// namespace declarations in scope from its ancestors.
pub fn exc_c14n(node: &Node, scope: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    render(node, scope, &BTreeMap::new(), &mut out);
    out
}

fn render(
    node: &Node,
    scope: &BTreeMap<String, String>,
    rendered: &BTreeMap<String, String>,
    out: &mut String,
) {
    let mut scope = scope.clone();
    for (p, u) in &node.ns {
        scope.insert(p.clone(), u.clone());
    }
    let mut rendered = rendered.clone();
    // Visibly utilised: the element's prefix (or the default namespace) and
    // the prefixes of its attributes (unprefixed attributes use none).
    let mut used = vec![prefix_of(&node.name).to_string()];
    for (k, _) in &node.attrs {
        let p = prefix_of(k);
        if !p.is_empty() && !used.iter().any(|u| u == p) {
            used.push(p.to_string());
        }
    }
    let mut decls: Vec<(String, String)> = Vec::new();
    for p in used {
        let uri = scope.get(&p).cloned().unwrap_or_default();
        let already = rendered.get(&p).cloned().unwrap_or_default();
        if uri != already {
            decls.push((p.clone(), uri.clone()));
            rendered.insert(p, uri);
        }
    }
    decls.sort();
    let mut attrs: Vec<(String, String, &String, &String)> = node
        .attrs
        .iter()
        .map(|(k, v)| {
            let p = prefix_of(k);
            let uri = if p.is_empty() {
                String::new()
            } else {
                scope.get(p).cloned().unwrap_or_default()
            };
            let local = k.rsplit(':').next().unwrap_or(k).to_string();
            (uri, local, k, v)
        })
        .collect();
    attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out.push('<');
    out.push_str(&node.name);
    for (p, u) in decls {
        if p.is_empty() {
            out.push_str(&format!(" xmlns=\"{}\"", esc_attr(&u)));
        } else {
            out.push_str(&format!(" xmlns:{p}=\"{}\"", esc_attr(&u)));
        }
    }
    for (_, _, k, v) in attrs {
        out.push_str(&format!(" {k}=\"{}\"", esc_attr(v)));
    }
    out.push('>');
    for c in &node.children {
        match c {
            Child::E(e) => render(e, &scope, &rendered, out),
            Child::T(t) => out.push_str(&esc_text(t)),
        }
    }
    out.push_str(&format!("</{}>", node.name));
}

fn esc_text(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

fn esc_attr(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}
