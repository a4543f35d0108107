//! Application services: one request, end to end, minus the transport.
//!
//! [`Services::handle`] takes a dispatched, schema-valid payload and the
//! caller's station identity and returns the response to send. It runs the
//! header checks, the idempotency protocol and the domain rules, then writes the
//! change, the operation record and the remembered answer in **one**
//! transaction.
#![forbid(unsafe_code)]

pub mod demo;
pub mod generate;
mod handler;
pub mod subentro;
mod view;

pub use handler::{
    AuditRecord, Authentication, Caller, Handled, Request, ServiceError, Services, Settled,
};
