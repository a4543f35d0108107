//! urna's XML front line, and the only crate that calls into libxml2.
//!
//! Stage 1, [`prescan`]: a streaming pass over the raw bytes that refuses DTDs,
//! processing instructions, excessive depth and malformed envelopes before any
//! tree is built. Stage 2, [`gate`]: one strict libxml2 parse (no recovery, no
//! network), dispatch on the Body child's qualified name and XSD validation of
//! that very node against schemas compiled once per worker thread; the node is
//! then copied into a plain [`urna_wire::Element`] tree, the only form later
//! stages see.
//!
//! The WS-Security frame ([`wss`]) runs between parse and dispatch in
//! [`gate::check_with`]: it verifies the same DOM and hands on the Body node it
//! digested, which is the node dispatched, validated and copied.
// Unsafe code only where a module allows it: the canonicaliser's call into
// libxml2 (`wss/c14n.rs`, module `ffi`).
#![deny(unsafe_code)]

pub mod audit_head;
pub mod gate;
pub mod prescan;
pub mod tsa;
pub mod wss;
