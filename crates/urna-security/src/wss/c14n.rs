//! Exclusive XML canonicalisation (libxml2's own engine, never hand-rolled)
//! and small tree helpers on libxml2 nodes.

use libxml::tree::{Node, NodeType};

use super::{Reason, SecurityError};

/// Exclusive C14N 1.0 without comments of the subtree at `node`, keeping the
/// namespaces named in `prefixes` (InclusiveNamespaces PrefixList; `#default`
/// for the default namespace).
pub fn exclusive(node: &mut Node, prefixes: &[String]) -> Result<String, SecurityError> {
    ffi::exclusive(node.node_ptr(), prefixes).ok_or_else(|| {
        SecurityError::new(
            Reason::SecurityMalformed,
            format!("element {} cannot be canonicalised", node.get_name()),
        )
    })
}

/// The one place urna-security calls libxml2 directly: libxml2's own
/// `xmlC14NExecute`, with a visibility callback that walks parent pointers.
/// (The `libxml` crate's `Node::canonicalize` builds a vector of every
/// node's ancestors for each of the document's nodes, attributes and
/// namespace nodes, five times per request: half of the verification time.)
#[allow(unsafe_code)]
mod ffi {
    use std::ffi::{c_int, c_void, CString};

    use libxml::bindings::{
        xmlAllocOutputBuffer, xmlC14NExecute, xmlC14NMode_XML_C14N_EXCLUSIVE_1_0, xmlChar,
        xmlElementType_XML_NAMESPACE_DECL, xmlNodePtr, xmlOutputBufferClose,
        xmlOutputBufferGetContent, xmlOutputBufferGetSize,
    };

    /// libxml2 asks, for every node of the document, whether it belongs to
    /// the node set: it does when `root` is the node or one of its ancestors.
    /// A namespace node (an `xmlNs`, whose `type` field sits where an
    /// `xmlNode`'s does) and a node without identity are judged by `parent`.
    unsafe extern "C" fn in_subtree(
        root: *mut c_void,
        node: xmlNodePtr,
        parent: xmlNodePtr,
    ) -> c_int {
        let root = root as xmlNodePtr;
        // SAFETY: libxml2 passes nodes of the document being canonicalised,
        // alive for the whole call; `parent` links end at the document node.
        unsafe {
            let mut n = if node.is_null() || (*node).type_ == xmlElementType_XML_NAMESPACE_DECL {
                parent
            } else {
                node
            };
            while !n.is_null() {
                if n == root {
                    return 1;
                }
                n = (*n).parent;
            }
        }
        0
    }

    /// Exclusive C14N 1.0 (no comments) of the subtree at `node`; None when
    /// libxml2 refuses (or a prefix holds a NUL).
    pub(super) fn exclusive(node: xmlNodePtr, prefixes: &[String]) -> Option<String> {
        if node.is_null() {
            return None;
        }
        let owned: Vec<CString> = prefixes
            .iter()
            .map(|p| CString::new(p.as_str()).ok())
            .collect::<Option<_>>()?;
        let mut list: Vec<*mut xmlChar> = owned
            .iter()
            .map(|s| s.as_ptr() as *mut xmlChar)
            .chain(std::iter::once(std::ptr::null_mut()))
            .collect();
        // SAFETY: `node` comes from a live `Node` borrowed by the caller, so
        // its document is alive; libxml2 only reads the prefix strings,
        // which `owned` keeps until the end; the output buffer is a memory
        // buffer without encoder (as C14N requires), read and then closed
        // here exactly once.
        unsafe {
            let doc = (*node).doc;
            if doc.is_null() {
                return None;
            }
            let buf = xmlAllocOutputBuffer(std::ptr::null_mut());
            if buf.is_null() {
                return None;
            }
            let status = xmlC14NExecute(
                doc,
                Some(in_subtree),
                node as *mut c_void,
                xmlC14NMode_XML_C14N_EXCLUSIVE_1_0 as c_int,
                list.as_mut_ptr(),
                0,
                buf,
            );
            let out = if status < 0 {
                None
            } else {
                let (p, n) = (xmlOutputBufferGetContent(buf), xmlOutputBufferGetSize(buf));
                let bytes = if p.is_null() || n == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(p, n)
                };
                String::from_utf8(bytes.to_vec()).ok()
            };
            xmlOutputBufferClose(buf);
            out
        }
    }
}

/// Exclusive C14N of `node` with the enveloped-signature transform applied:
/// `signature` (a descendant of `node`) is left out. The signature element is
/// unlinked for the canonicalisation and put back where it was, so the tree
/// that is consumed afterwards is the tree that was verified.
pub fn exclusive_enveloped(
    node: &mut Node,
    signature: &mut Node,
    prefixes: &[String],
) -> Result<String, SecurityError> {
    let mut parent = signature.get_parent().ok_or_else(|| {
        SecurityError::new(Reason::SecurityMalformed, "a signature without a parent")
    })?;
    let next = signature.get_next_sibling();
    signature.unlink_node();
    let result = exclusive(node, prefixes);
    let restored = match next {
        Some(mut n) => n.add_prev_sibling(signature).map_err(|e| e.to_string()),
        None => parent.add_child(signature),
    };
    restored.map_err(|e| {
        SecurityError::new(
            Reason::SecurityMalformed,
            format!("cannot restore the signature after canonicalisation: {e}"),
        )
    })?;
    result
}

/// `node` is the element `{ns}local`.
pub fn is(node: &Node, ns: &str, local: &str) -> bool {
    node.get_type() == Some(NodeType::ElementNode)
        && node.get_name() == local
        && node.get_namespace().is_some_and(|n| n.get_href() == ns)
}

/// Element children of `node` named `{ns}local`.
pub fn children(node: &Node, ns: &str, local: &str) -> Vec<Node> {
    node.get_child_elements()
        .into_iter()
        .filter(|c| is(c, ns, local))
        .collect()
}

/// The only element child `{ns}local` of `node`; `None` when absent, an error
/// when repeated.
pub fn only_child(
    node: &Node,
    ns: &str,
    local: &str,
    reason: Reason,
) -> Result<Option<Node>, SecurityError> {
    let mut found = children(node, ns, local);
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(SecurityError::new(
            reason,
            format!("{} has {n} {local} elements, one expected", node.get_name()),
        )),
    }
}

/// The trimmed text content of `node`.
pub fn text(node: &Node) -> String {
    node.get_content().trim().to_string()
}

/// Visits every element of the subtree at `node`, depth first, document
/// order.
pub fn for_each_element(node: &Node, f: &mut dyn FnMut(&Node)) {
    if node.get_type() == Some(NodeType::ElementNode) {
        f(node);
    }
    let mut child = node.get_first_child();
    while let Some(c) = child {
        if c.get_type() == Some(NodeType::ElementNode) {
            for_each_element(&c, f);
        }
        child = c.get_next_sibling();
    }
}

/// The PrefixList of an `ec:InclusiveNamespaces` child of `node` (a
/// Transform or CanonicalizationMethod), split on whitespace.
pub fn prefix_list(node: &Node) -> Vec<String> {
    children(node, super::ns::EC, "InclusiveNamespaces")
        .first()
        .and_then(|n| n.get_property_no_ns("PrefixList"))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use libxml::parser::Parser;
    use libxml::tree::c14n::{CanonicalizationMode, CanonicalizationOptions};

    use super::*;

    /// Ancestor namespaces used and unused, a default namespace, attributes
    /// in and out of namespaces, text, a comment, siblings before and after.
    const XML: &str = r#"<s:Envelope xmlns:s="urn:s" xmlns:u="urn:u" xmlns:x="urn:unused" xmlns="urn:d"><s:Header><w:Sec xmlns:w="urn:w"><u:Ts u:Id="T1" a="1"><u:C>2026-12-01T10:00:00Z</u:C><!-- c --></u:Ts></w:Sec></s:Header><s:Body u:Id="B1" b="2"><p:Req xmlns:p="urn:p"><plain>x &amp; y</plain><p:n xmlns:q="urn:q" q:k="v">z</p:n></p:Req><after/></s:Body></s:Envelope>"#;

    #[test]
    fn agrees_with_libxml_canonicalize_on_every_element_and_prefix_list() {
        let doc = Parser::default().parse_string(XML).unwrap();
        let mut elements = Vec::new();
        for_each_element(&doc.get_root_element().unwrap(), &mut |n| {
            elements.push(n.clone())
        });
        assert_eq!(elements.len(), 10);
        let lists: [&[&str]; 4] = [&[], &["s"], &["s", "w", "x"], &["#default", "u"]];
        for mut node in elements {
            for list in lists {
                let prefixes: Vec<String> = list.iter().map(|p| p.to_string()).collect();
                let ours = exclusive(&mut node, &prefixes).unwrap();
                let theirs = node
                    .canonicalize(CanonicalizationOptions {
                        mode: CanonicalizationMode::ExclusiveCanonical1_0,
                        with_comments: false,
                        inclusive_ns_prefixes: prefixes.clone(),
                    })
                    .unwrap();
                assert_eq!(ours, theirs, "{} with {list:?}", node.get_name());
            }
        }
        // The subtree only, with the ancestors' namespaces it uses.
        let mut ts = doc.get_root_element().unwrap();
        for_each_element(&doc.get_root_element().unwrap(), &mut |n| {
            if n.get_name() == "Ts" {
                ts = n.clone();
            }
        });
        assert_eq!(
            exclusive(&mut ts, &[]).unwrap(),
            r#"<u:Ts xmlns:u="urn:u" a="1" u:Id="T1"><u:C>2026-12-01T10:00:00Z</u:C></u:Ts>"#
        );
    }
}
