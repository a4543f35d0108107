//! One module per `urna` subcommand: its clap arguments and the `run` that carries it out.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod certificates;
pub mod db;
pub mod demo;
pub mod doubles;
pub mod export;
pub mod extract;
pub mod operators;
pub mod pki;
pub mod serve;
pub mod subentro;
pub mod subjects;
pub mod summaries;
pub mod tables;
pub mod wss;
