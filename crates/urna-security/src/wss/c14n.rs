//! Exclusive XML canonicalisation (libxml2's own engine, never hand-rolled)
//! and small tree helpers on libxml2 nodes.

use libxml::tree::c14n::{CanonicalizationMode, CanonicalizationOptions};
use libxml::tree::{Node, NodeType};

use super::{Reason, SecurityError};

/// Exclusive C14N 1.0 without comments of the subtree at `node`, keeping the
/// namespaces named in `prefixes` (InclusiveNamespaces PrefixList; `#default`
/// for the default namespace).
pub fn exclusive(node: &mut Node, prefixes: &[String]) -> Result<String, SecurityError> {
    node.canonicalize(CanonicalizationOptions {
        mode: CanonicalizationMode::ExclusiveCanonical1_0,
        with_comments: false,
        inclusive_ns_prefixes: prefixes.to_vec(),
    })
    .map_err(|()| {
        SecurityError::new(
            Reason::SecurityMalformed,
            format!("element {} cannot be canonicalised", node.get_name()),
        )
    })
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
