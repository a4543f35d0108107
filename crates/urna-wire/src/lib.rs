//! urna's message layer: our own WSDL and XSD, the SOAP 1.1 envelope and faults,
//! a namespace-aware element tree built from the validated payload, ANPR's
//! request and response messages, and their MTOM/XOP serialization.
//!
//! Qualification rule (docs/anpr-interface.md §Namespaces): only global
//! elements are namespace-qualified; every local element is unqualified.
//! Writers here always use prefixes for qualified elements and never declare
//! a default namespace, so unqualified children need no `xmlns=""` reset.
#![forbid(unsafe_code)]

pub mod build;
pub mod certificate;
pub mod consultation;
pub mod envelope;
pub mod extraction;
pub mod messages;
pub mod mtom;
pub mod ns;
pub mod reason;
pub mod requests;
pub mod schemas;
pub mod stream;
pub mod tables;
pub mod tree;
pub mod xml;

pub use messages::Operation;
pub use reason::{FaultReason, SecurityReason};
pub use tree::Element;
