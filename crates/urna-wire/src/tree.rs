//! A plain, `Send` element tree: the payload as the XSD gate validated it.
//!
//! The security crate builds it from the very DOM node it parsed and validated
//! ("verified == consumed"); everything after that stage reads this tree only.

use sha2::{Digest, Sha256};

use crate::xml::escape_text_into;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI; `None` for unqualified (local) elements.
    pub ns: Option<String>,
    pub name: String,
    /// Concatenated character data of a leaf (empty for containers).
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }

    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text of the first child with this name.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Text at a `/`-separated path of child names.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path).map(|e| e.text.as_str())
    }

    /// Element at a `/`-separated path of child names.
    pub fn at(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |e, step| e.child(step))
    }

    /// Serialises the subtree with its children unqualified, in canonical form
    /// (explicit end tags, text escaped as C14N escapes it).
    pub fn write_into(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        out.push('>');
        escape_text_into(out, &self.text);
        for c in &self.children {
            c.write_into(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The children serialised (unqualified), without the element's own tags:
    /// the stored form of a section, written back verbatim inside `sezioni`.
    pub fn inner_xml(&self) -> String {
        let mut out = String::with_capacity(1024);
        escape_text_into(&mut out, &self.text);
        for c in &self.children {
            c.write_into(&mut out);
        }
        out
    }

    /// SHA-256 over a canonical form of the subtree (names, namespaces and text,
    /// independent of prefixes and insignificant white space), skipping the
    /// subtrees for which `skip` returns true.
    pub fn digest(&self, skip: &dyn Fn(&Element) -> bool) -> [u8; 32] {
        fn feed(e: &Element, h: &mut Sha256, skip: &dyn Fn(&Element) -> bool) {
            if skip(e) {
                return;
            }
            h.update(b"<");
            if let Some(ns) = &e.ns {
                h.update(ns.as_bytes());
                h.update(b"|");
            }
            h.update(e.name.as_bytes());
            h.update(b">");
            h.update((e.text.len() as u64).to_le_bytes());
            h.update(e.text.as_bytes());
            for c in &e.children {
                feed(c, h, skip);
            }
            h.update(b"/");
        }
        let mut h = Sha256::new();
        feed(self, &mut h, skip);
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Element {
        Element {
            ns: Some("urn:x".into()),
            name: "root".into(),
            text: String::new(),
            children: vec![
                Element::leaf("a", "1 < 2 & \"q\""),
                Element::new("b").with_child(Element::leaf("c", "x")),
                Element::new("empty"),
            ],
        }
    }

    #[test]
    fn paths_and_text() {
        let e = sample();
        assert_eq!(e.text_of("a"), Some("1 < 2 & \"q\""));
        assert_eq!(e.text_at("b/c"), Some("x"));
        assert!(e.at("b/zz").is_none());
    }

    #[test]
    fn writes_escaped_unqualified_children() {
        let mut s = String::new();
        sample().children[0].write_into(&mut s);
        assert_eq!(s, "<a>1 &lt; 2 &amp; \"q\"</a>");
        let mut s = String::new();
        sample().children[2].write_into(&mut s);
        assert_eq!(s, "<empty></empty>");
    }

    #[test]
    fn digest_changes_with_content_and_honours_skip() {
        let a = sample();
        let mut b = sample();
        b.children[1].children[0].text = "y".into();
        let none = |_: &Element| false;
        assert_ne!(a.digest(&none), b.digest(&none));
        let skip_b = |e: &Element| e.name == "b";
        assert_eq!(a.digest(&skip_b), b.digest(&skip_b));
        // Text boundaries matter: "ab"+"" differs from "a"+"b".
        let x = Element::new("r")
            .with_child(Element::leaf("p", "ab"))
            .with_child(Element::leaf("q", ""));
        let y = Element::new("r")
            .with_child(Element::leaf("p", "a"))
            .with_child(Element::leaf("q", "b"));
        assert_ne!(x.digest(&none), y.digest(&none));
    }
}
