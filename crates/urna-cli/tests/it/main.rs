//! The integration tests of urna-cli, one binary (one link step).
mod audit_list;
mod audit_verify;
mod certificates;
mod common;
mod kill_during_upload;
mod operators;
mod setup_script;
