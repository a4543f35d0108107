//! Minimal, allocation-friendly XML text output.
//!
//! What [`Out`] and [`crate::Element::write_into`] write is already in its
//! exclusive canonical form (C14N): explicit end tags, one namespace
//! declaration per qualified element that introduces it and no attributes,
//! and text escaped exactly as C14N escapes it (`&`, `<`, `>` and CR; quotes
//! literal). The response signer relies on it to digest a Body without
//! parsing it again (urna-security `wss/sign.rs`, checked against libxml2's
//! C14N in its tests).

use std::fmt::Write;

pub(crate) struct Out(pub String);

impl Out {
    pub fn with_capacity(n: usize) -> Self {
        Out(String::with_capacity(n))
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub fn open_ns(&mut self, name: &str, prefix: &str, uri: &str) -> &mut Self {
        let _ = write!(self.0, "<{name} xmlns:{prefix}=\"{uri}\">");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// An element without content, with an explicit end tag (its canonical
    /// form).
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.open(name).close(name)
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        escape_text_into(&mut self.0, s);
        self
    }

    pub fn leaf(&mut self, name: &str, value: &str) -> &mut Self {
        self.open(name).text(value).close(name)
    }

    pub fn opt_leaf(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.leaf(name, v);
        }
        self
    }
}

/// `s` escaped for XML text and attribute values (quotes escaped too).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            c => push_text_char(&mut out, c),
        }
    }
    out
}

/// `s` escaped for text content, in its canonical form: `&`, `<`, `>` and
/// CR as C14N writes them, everything else literal.
pub(crate) fn escape_text_into(out: &mut String, s: &str) {
    match s.find(['<', '>', '&', '\r']) {
        None => out.push_str(s),
        Some(first) => {
            out.push_str(&s[..first]);
            for c in s[first..].chars() {
                push_text_char(out, c);
            }
        }
    }
}

fn push_text_char(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '\r' => out.push_str("&#xD;"),
        c => out.push(c),
    }
}
