//! urna's HTTPS server: mutual TLS with station certificates, the SOAP request
//! pipeline, WSDL/XSD serving, Prometheus metrics and JSON logs.
//!
//! Path of a request (see `ARCHITECTURE.md`): [`tls`] admits the connection and
//! records the station identity → [`soap`] caps and pre-scans the body → the
//! blocking pool runs the libxml2 gate and [`urna_service::Services::handle`] →
//! the reply or fault goes back with its correlation id in the log.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit_heads;
pub mod config;
mod fair;
pub mod pipeline;
pub mod ratelimit;
pub mod security;
mod soap;
pub mod telemetry;
pub mod tls;
mod upload;

pub use app::Application;
pub use config::Settings;
