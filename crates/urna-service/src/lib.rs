//! Application services: one request, end to end, minus the transport.
//!
//! [`Services::handle_batch`] takes dispatched, schema-valid payloads and the
//! caller's station identity and returns the responses to send. For each
//! request it runs the header checks, the idempotency protocol and the
//! operation's rules (one module per operation under `operations/`), then
//! writes the change, the operation record, the remembered answer and the
//! audit entry in **one** transaction.
#![forbid(unsafe_code)]

mod access;
pub mod alerts;
mod audit;
mod batch;
pub mod certificates;
pub mod demo;
pub mod doubles;
pub mod export;
pub mod extraction;
pub mod generate;
mod idempotency;
mod operations;
pub mod placements;
mod request;
pub mod retention;
mod services;
pub mod subentro;
pub mod summaries;
pub mod verification;
mod view;

pub use audit::AuditRecord;
pub use request::{Authentication, Caller, Handled, Request, ServiceError, Settled};
pub use services::Services;
