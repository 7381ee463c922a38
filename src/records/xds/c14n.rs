//! The XML we send, as a small tree, and its serialisation in Exclusive XML
//! Canonicalization 1.0 without comments (`http://www.w3.org/2001/10/xml-exc-c14n#`).
//!
//! Everything the XDS client sends is built as an [`XmlNode`] tree and
//! written by [`canonical`], so the bytes on the wire *are* the canonical
//! form: the VIHF digest and signature are computed over exactly what the
//! server receives, and no general-purpose canonicaliser is needed.
//!
//! What is implemented (exc-c14n §3 over this tree): namespace declarations
//! are rendered on the element where their prefix is visibly utilised (the
//! element's own prefix or one of its attributes' prefixes) and not already
//! rendered with the same URI by an output ancestor; declarations are sorted
//! by prefix, then attributes by (namespace URI, local name) with
//! unqualified attributes first; empty elements are written as start/end
//! pairs; text and attribute values use the c14n escapes (`&amp; &lt; &gt;
//! &#xD;` in text, `&amp; &lt; &quot; &#x9; &#xA; &#xD;` in attributes).
//!
//! Limits (by construction, not checked at run time beyond what is said):
//! no comments, processing instructions, CDATA or DOCTYPE (the tree cannot
//! hold them); no default namespace (`xmlns="…"`) and no `xml:` attributes;
//! no InclusiveNamespaces PrefixList, so a prefix used only inside an
//! attribute *value* (e.g. `xsi:type="xs:string"`) is not rendered, which is
//! why the VIHF uses no QName-valued attributes; every prefix must be
//! declared on the element or an ancestor in the tree (an undeclared prefix
//! is emitted as is and would not canonicalise: [`XmlNode::check_prefixes`]
//! is run by the tests over everything we build).

use std::collections::BTreeMap;

/// An element of the tree: `prefix:local`, its namespace declarations,
/// its attributes (`prefix:local` or `local`) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlNode {
    pub name: String,
    pub namespaces: Vec<(String, String)>,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<XmlContent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlContent {
    Element(XmlNode),
    Text(String),
}

impl XmlNode {
    /// An element `prefix:local` (or `local`).
    pub fn new(name: &str) -> XmlNode {
        XmlNode {
            name: name.to_string(),
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Declares `xmlns:prefix="uri"` on this element.
    pub fn ns(mut self, prefix: &str, uri: &str) -> XmlNode {
        self.namespaces.push((prefix.to_string(), uri.to_string()));
        self
    }

    pub fn attr(mut self, name: &str, value: &str) -> XmlNode {
        self.attributes.push((name.to_string(), value.to_string()));
        self
    }

    pub fn child(mut self, child: XmlNode) -> XmlNode {
        self.children.push(XmlContent::Element(child));
        self
    }

    pub fn children(mut self, children: impl IntoIterator<Item = XmlNode>) -> XmlNode {
        self.children
            .extend(children.into_iter().map(XmlContent::Element));
        self
    }

    pub fn text(mut self, text: &str) -> XmlNode {
        self.children.push(XmlContent::Text(text.to_string()));
        self
    }

    /// Inserts `child` at `index` among the children (clamped).
    pub fn insert_child(&mut self, index: usize, child: XmlNode) {
        let index = index.min(self.children.len());
        self.children.insert(index, XmlContent::Element(child));
    }

    /// Prefixes used in this tree that no element declares in scope.
    pub fn check_prefixes(&self) -> Vec<String> {
        let mut missing = Vec::new();
        self.check_in(&BTreeMap::new(), &mut missing);
        missing
    }

    fn check_in(&self, scope: &BTreeMap<String, String>, missing: &mut Vec<String>) {
        let mut scope = scope.clone();
        for (p, u) in &self.namespaces {
            scope.insert(p.clone(), u.clone());
        }
        for prefix in self.used_prefixes() {
            if !scope.contains_key(&prefix) {
                missing.push(prefix);
            }
        }
        for c in &self.children {
            if let XmlContent::Element(e) = c {
                e.check_in(&scope, missing);
            }
        }
    }

    fn used_prefixes(&self) -> Vec<String> {
        let mut used: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if let Some((p, _)) = name.split_once(':')
                && !used.iter().any(|u| u == p)
            {
                used.push(p.to_string());
            }
        };
        add(&self.name);
        for (name, _) in &self.attributes {
            add(name);
        }
        used
    }
}

/// The exclusive canonical form of `node` as the apex of the document
/// subset (ancestors' declarations are not inherited, as for an enveloped
/// signature's reference to an element by ID).
pub fn canonical(node: &XmlNode) -> String {
    let mut out = String::new();
    write_node(node, &BTreeMap::new(), &BTreeMap::new(), &mut out);
    out
}

/// `scope`: prefixes declared by ancestors in the tree; `rendered`: what
/// output ancestors already rendered.
fn write_node(
    node: &XmlNode,
    scope: &BTreeMap<String, String>,
    rendered: &BTreeMap<String, String>,
    out: &mut String,
) {
    let mut scope = scope.clone();
    for (p, u) in &node.namespaces {
        scope.insert(p.clone(), u.clone());
    }
    let mut rendered = rendered.clone();
    let mut declarations: Vec<(String, String)> = Vec::new();
    for prefix in node.used_prefixes() {
        let Some(uri) = scope.get(&prefix) else {
            continue;
        };
        if rendered.get(&prefix) != Some(uri) {
            declarations.push((prefix.clone(), uri.clone()));
            rendered.insert(prefix, uri.clone());
        }
    }
    declarations.sort();
    let mut attributes: Vec<(String, String, &str, &str)> = node
        .attributes
        .iter()
        .map(|(name, value)| match name.split_once(':') {
            Some((p, local)) => (
                scope.get(p).cloned().unwrap_or_default(),
                local.to_string(),
                name.as_str(),
                value.as_str(),
            ),
            None => (String::new(), name.clone(), name.as_str(), value.as_str()),
        })
        .collect();
    attributes.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));

    out.push('<');
    out.push_str(&node.name);
    for (prefix, uri) in &declarations {
        out.push_str(" xmlns:");
        out.push_str(prefix);
        out.push_str("=\"");
        escape_attribute(uri, out);
        out.push('"');
    }
    for (_, _, name, value) in &attributes {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_attribute(value, out);
        out.push('"');
    }
    out.push('>');
    for child in &node.children {
        match child {
            XmlContent::Element(e) => write_node(e, &scope, &rendered, out),
            XmlContent::Text(t) => escape_text(t, out),
        }
    }
    out.push_str("</");
    out.push_str(&node.name);
    out.push('>');
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_go_where_prefixes_are_used() {
        let tree = XmlNode::new("a:root")
            .ns("a", "urn:a")
            .ns("b", "urn:b")
            .ns("z", "urn:z")
            .child(
                XmlNode::new("b:child")
                    .attr("z:flag", "1")
                    .attr("id", "x")
                    .text("1 < 2 & \r"),
            )
            .child(XmlNode::new("a:empty").attr("v", "\"q\"\t\n"));
        assert!(tree.check_prefixes().is_empty());
        assert_eq!(
            canonical(&tree),
            "<a:root xmlns:a=\"urn:a\"><b:child xmlns:b=\"urn:b\" xmlns:z=\"urn:z\" id=\"x\" \
             z:flag=\"1\">1 &lt; 2 &amp; &#xD;</b:child><a:empty v=\"&quot;q&quot;&#x9;&#xA;\">\
             </a:empty></a:root>"
        );
    }

    #[test]
    fn attributes_sort_by_namespace_uri_then_local_name() {
        // urn:a < urn:b even though the prefixes sort the other way round.
        let tree = XmlNode::new("p:e")
            .ns("p", "urn:p")
            .ns("y", "urn:a")
            .ns("x", "urn:b")
            .attr("x:k", "1")
            .attr("y:k", "2")
            .attr("b", "3")
            .attr("a", "4");
        assert_eq!(
            canonical(&tree),
            "<p:e xmlns:p=\"urn:p\" xmlns:x=\"urn:b\" xmlns:y=\"urn:a\" a=\"4\" b=\"3\" y:k=\"2\" \
             x:k=\"1\"></p:e>"
        );
    }

    #[test]
    fn a_subtree_is_canonical_without_its_ancestors() {
        let inner = XmlNode::new("s:Assertion")
            .ns("s", "urn:s")
            .attr("ID", "_1");
        let outer = XmlNode::new("e:Envelope")
            .ns("e", "urn:e")
            .ns("s", "urn:s")
            .child(inner.clone());
        let whole = canonical(&outer);
        // Within the whole document the subtree's bytes are its own canonical form.
        assert!(whole.contains(&canonical(&inner)), "{whole}");
        assert_eq!(XmlNode::new("q:x").check_prefixes(), vec!["q".to_string()]);
    }
}
