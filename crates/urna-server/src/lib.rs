//! urna's HTTPS server: mutual TLS with station certificates, the SOAP request
//! pipeline, WSDL/XSD serving, Prometheus metrics and JSON logs.
//!
//! Path of a request (see `ARCHITECTURE.md`): [`tls`] admits the connection and
//! records the station identity → `soap` applies the quotas, checks the
//! Content-Type, caps and pre-scans the body → [`pipeline`]: a gate thread
//! runs the libxml2 gate (security frame, XSD), a request thread runs the
//! batch through [`urna_service::Services::handle_batch`] in one
//! transaction, a gate thread signs the answer → the reply or fault goes
//! back with its correlation id in the log. `fair` keeps one station's
//! flood from holding more than its share of the two pools; `audit_heads`
//! signs the audit chain's head.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit_heads;
pub mod backup;
pub mod blocks;
pub mod config;
mod extensions;
mod fair;
pub mod observe;
pub mod pipeline;
pub mod ratelimit;
pub mod security;
mod soap;
mod streamed;
pub mod telemetry;
pub mod tls;
mod upload;
mod verify_page;

pub use app::Application;
pub use config::Settings;
