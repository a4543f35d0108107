//! Black-box tests: the real server on port 0, a fresh database, a minted PKI,
//! SOAP over mutual TLS.

mod alerts;
mod audit_heads;
mod backup;
mod bad_input;
mod browser;
mod certificates;
mod export;
mod extraction;
mod helpers;
mod mtls;
mod observe;
mod operators;
mod ratelimit;
mod sections;
mod security;
mod shutdown;
mod snapshots;
mod verify_page;
mod wsdl;
