//! Minimal, allocation-friendly XML text output.

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

    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push_str("/>");
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.0, s);
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

/// `s` escaped for XML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}
