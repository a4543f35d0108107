//! Exclusive XML canonicalisation (libxml2's own engine, never hand-rolled)
//! and small tree helpers on libxml2 nodes.

use libxml::tree::{Node, NodeType};

use super::{Reason, SecurityError};

/// Exclusive C14N 1.0 without comments of the subtree at `node`, keeping the
/// namespaces named in `prefixes` (InclusiveNamespaces PrefixList; `#default`
/// for the default namespace).
pub fn exclusive(node: &Node, prefixes: &[String]) -> Result<String, SecurityError> {
    ffi::exclusive(node.node_ptr(), prefixes, None).ok_or_else(|| malformed(node))
}

/// Exclusive C14N of `node` with the enveloped-signature transform applied:
/// `signature` (a descendant of `node`) is left out. The tree that is
/// consumed afterwards is never touched: the signature is left out of the
/// copy that is canonicalised.
pub fn exclusive_enveloped(
    node: &Node,
    signature: &Node,
    prefixes: &[String],
) -> Result<String, SecurityError> {
    ffi::exclusive(node.node_ptr(), prefixes, Some(signature.node_ptr()))
        .ok_or_else(|| malformed(node))
}

fn malformed(node: &Node) -> SecurityError {
    SecurityError::new(
        Reason::SecurityMalformed,
        format!("element {} cannot be canonicalised", node.get_name()),
    )
}

/// The one place urna-security calls libxml2 directly: libxml2's own
/// `xmlC14NExecute`, on a copy of the subtree in a document of its own.
///
/// Canonicalising a subtree in place makes libxml2 visit every node,
/// attribute and namespace of the whole document, asking a callback
/// whether it is in the subtree, and five subtrees are canonicalised per
/// request: most of the verification time outside RSA. The copy holds the
/// subtree and, declared on its root, the namespaces of the ancestors that
/// exclusive C14N can render there: the ones the subtree uses (libxml2's
/// copy declares them) and the in-scope ones the PrefixList names. Exclusive
/// C14N renders nothing else from outside the subtree (no inherited `xml:`
/// attributes, unlike inclusive C14N), so the canonical form of the copy is
/// the canonical form of the subtree; the tests compare the two on every
/// element of several documents and prefix lists.
#[allow(unsafe_code)]
mod ffi {
    use std::ffi::{c_int, CString};

    use libxml::bindings::{
        xmlAllocOutputBuffer, xmlC14NExecute, xmlC14NMode_XML_C14N_EXCLUSIVE_1_0, xmlChar,
        xmlDocCopyNode, xmlDocPtr, xmlDocSetRootElement, xmlFreeDoc, xmlFreeNode, xmlNewDoc,
        xmlNewNs, xmlNodePtr, xmlOutputBufferClose, xmlOutputBufferGetContent,
        xmlOutputBufferGetSize, xmlSearchNs, xmlUnlinkNode,
    };

    /// A document freed when dropped.
    struct OwnedDoc(xmlDocPtr);

    impl Drop for OwnedDoc {
        fn drop(&mut self) {
            // SAFETY: the document was created by `xmlNewDoc` in this module,
            // nothing else refers to it, and it is freed exactly once.
            unsafe { xmlFreeDoc(self.0) }
        }
    }

    /// The positions (among all children) leading from `top` down to
    /// `inner`; None when `inner` is not below `top`.
    ///
    /// SAFETY (callers): both are nodes of one live document.
    unsafe fn path_below(top: xmlNodePtr, inner: xmlNodePtr) -> Option<Vec<usize>> {
        let mut path = Vec::new();
        let mut n = inner;
        // SAFETY: parent/prev links of a live document end in null.
        unsafe {
            while !n.is_null() && n != top {
                let mut i = 0;
                let mut p = (*n).prev;
                while !p.is_null() {
                    i += 1;
                    p = (*p).prev;
                }
                path.push(i);
                n = (*n).parent;
            }
        }
        if n.is_null() || path.is_empty() {
            return None;
        }
        path.reverse();
        Some(path)
    }

    /// Exclusive C14N 1.0 (no comments) of the subtree at `node`, without
    /// the descendant `leave_out` when given (enveloped signature); None
    /// when libxml2 refuses, a prefix holds a NUL or `leave_out` is not a
    /// descendant.
    pub(super) fn exclusive(
        node: xmlNodePtr,
        prefixes: &[String],
        leave_out: Option<xmlNodePtr>,
    ) -> Option<String> {
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
        // SAFETY: `node` (and `leave_out`) come from live `Node`s borrowed
        // by the caller, so their document is alive and not changed during
        // the call; everything created here (the copy, its document, the
        // output buffer) is owned here and freed exactly once; libxml2 only
        // reads the prefix strings, which `owned` keeps alive.
        unsafe {
            let doc = (*node).doc;
            if doc.is_null() {
                return None;
            }
            let path = match leave_out {
                Some(inner) => Some(path_below(node, inner)?),
                None => None,
            };
            let copy_doc = xmlNewDoc(c"1.0".as_ptr() as *const xmlChar);
            if copy_doc.is_null() {
                return None;
            }
            let copy_doc = OwnedDoc(copy_doc);
            let copy = xmlDocCopyNode(node, copy_doc.0, 1);
            if copy.is_null() {
                return None;
            }
            xmlDocSetRootElement(copy_doc.0, copy);
            // The PrefixList namespaces in scope at `node`, declared on the
            // copy's root where the copy has no binding for the prefix yet.
            for p in &owned {
                let bytes = p.as_bytes();
                if bytes == b"xml" {
                    continue;
                }
                let prefix = if bytes == b"#default" {
                    std::ptr::null()
                } else {
                    p.as_ptr() as *const xmlChar
                };
                let ns = xmlSearchNs(doc, node, prefix);
                if ns.is_null() || (*ns).href.is_null() || *(*ns).href == 0 {
                    continue;
                }
                if xmlSearchNs(copy_doc.0, copy, prefix).is_null() {
                    xmlNewNs(copy, (*ns).href, prefix);
                }
            }
            if let Some(path) = path {
                let mut n = copy;
                for i in path {
                    n = (*n).children;
                    for _ in 0..i {
                        if n.is_null() {
                            return None;
                        }
                        n = (*n).next;
                    }
                    if n.is_null() {
                        return None;
                    }
                }
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
            let buf = xmlAllocOutputBuffer(std::ptr::null_mut());
            if buf.is_null() {
                return None;
            }
            let status = xmlC14NExecute(
                copy_doc.0,
                None,
                std::ptr::null_mut(),
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
    use libxml::tree::Document;

    use super::*;

    /// Ancestor namespaces used and unused, a default namespace, attributes
    /// in and out of namespaces, text, a comment, siblings before and after.
    const XML: &str = r#"<s:Envelope xmlns:s="urn:s" xmlns:u="urn:u" xmlns:x="urn:unused" xmlns="urn:d"><s:Header><w:Sec xmlns:w="urn:w"><u:Ts u:Id="T1" a="1"><u:C>2026-12-01T10:00:00Z</u:C><!-- c --></u:Ts></w:Sec></s:Header><s:Body u:Id="B1" b="2"><p:Req xmlns:p="urn:p"><plain>x &amp; y</plain><p:n xmlns:q="urn:q" q:k="v">z</p:n></p:Req><after/></s:Body></s:Envelope>"#;

    /// Default namespace undeclared and redeclared, a prefix rebound to
    /// another URI inside, attributes whose prefix is declared only on an
    /// ancestor, an enveloped signature with its own prefix, an element with
    /// both a used and an unused inherited prefix, entities and CDATA.
    const XML2: &str = r##"<r:Root xmlns:r="urn:r" xmlns="urn:outer" xmlns:a="urn:a" xmlns:ds="urn:ds" xmlns:z="urn:z" a:top="1"><Mid a:att="&lt;&quot;" xmlns:b="urn:b"><inner xmlns=""><deep a:x="y">t<![CDATA[<c&d>]]></deep></inner><b:el xmlns:a="urn:a2" a:att="2"><a:kid/></b:el><ds:Signature><ds:SignedInfo><ds:Ref URI="#x"/></ds:SignedInfo><ds:Value>abc</ds:Value></ds:Signature><z:tail>&#x20AC; &#13;</z:tail></Mid><r:Last xmlns:r="urn:r2"/></r:Root>"##;

    const LISTS: [&[&str]; 6] = [
        &[],
        &["s"],
        &["s", "w", "x"],
        &["#default", "u"],
        &["#default", "a", "z", "ds"],
        &["b", "r", "xml", "nothere"],
    ];

    fn elements(doc: &Document) -> Vec<Node> {
        let mut all = Vec::new();
        for_each_element(&doc.get_root_element().unwrap(), &mut |n| {
            all.push(n.clone())
        });
        all
    }

    fn reference(node: &mut Node, prefixes: &[String]) -> String {
        node.canonicalize(CanonicalizationOptions {
            mode: CanonicalizationMode::ExclusiveCanonical1_0,
            with_comments: false,
            inclusive_ns_prefixes: prefixes.to_vec(),
        })
        .unwrap()
    }

    fn list(l: &[&str]) -> Vec<String> {
        l.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn agrees_with_libxml_in_place_on_every_element_and_prefix_list() {
        for (xml, count) in [(XML, 10), (XML2, 12)] {
            let doc = Parser::default().parse_string(xml).unwrap();
            let all = elements(&doc);
            assert_eq!(all.len(), count);
            for mut node in all {
                for l in LISTS {
                    let prefixes = list(l);
                    let ours = exclusive(&node, &prefixes).unwrap();
                    let theirs = reference(&mut node, &prefixes);
                    assert_eq!(ours, theirs, "{} with {l:?}", node.get_name());
                }
            }
        }
        // The subtree only, with the ancestors' namespaces it uses.
        let doc = Parser::default().parse_string(XML).unwrap();
        let ts = elements(&doc)
            .into_iter()
            .find(|n| n.get_name() == "Ts")
            .unwrap();
        assert_eq!(
            exclusive(&ts, &[]).unwrap(),
            r#"<u:Ts xmlns:u="urn:u" a="1" u:Id="T1"><u:C>2026-12-01T10:00:00Z</u:C></u:Ts>"#
        );
    }

    /// Leaving a descendant out of the copy is what unlinking it from the
    /// document and canonicalising in place gives, for every pair of an
    /// element and a descendant; the document itself is left as it was.
    #[test]
    fn enveloped_agrees_with_unlinking_and_leaves_the_tree_alone() {
        for xml in [XML, XML2] {
            let doc = Parser::default().parse_string(xml).unwrap();
            let all = elements(&doc);
            for (i, outer) in all.iter().enumerate() {
                for (j, inner) in all.iter().enumerate() {
                    if i == j || !is_below(inner, outer) {
                        continue;
                    }
                    for l in [LISTS[0], LISTS[4]] {
                        let prefixes = list(l);
                        let ours = exclusive_enveloped(outer, inner, &prefixes).unwrap();
                        let fresh = Parser::default().parse_string(xml).unwrap();
                        let fresh_all = elements(&fresh);
                        fresh_all[j].clone().unlink_node();
                        let theirs = reference(&mut fresh_all[i].clone(), &prefixes);
                        assert_eq!(ours, theirs, "{i} without {j} with {l:?}");
                    }
                }
            }
            assert_eq!(doc.to_string_with_options(Default::default()), {
                let again = Parser::default().parse_string(xml).unwrap();
                again.to_string_with_options(Default::default())
            });
        }
        // Not a descendant: refused, not canonicalised without it.
        let doc = Parser::default().parse_string(XML).unwrap();
        let all = elements(&doc);
        assert!(exclusive_enveloped(&all[1], &all[5], &[]).is_err());
    }

    fn is_below(inner: &Node, outer: &Node) -> bool {
        let mut p = inner.get_parent();
        while let Some(n) = p {
            if n == *outer {
                return true;
            }
            p = n.get_parent();
        }
        false
    }
}
