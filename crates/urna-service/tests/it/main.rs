//! The integration tests of urna-service, one binary (one link step).
mod alerts;
mod audit;
mod certificates;
mod common;
mod electors;
mod export;
mod extraction;
mod legacy;
mod placements;
mod requests;
mod retention;
mod sections;
mod subentro;
mod subjects;
mod summaries;
mod tables;
