//! The integration tests of urna-store, one binary (one link step).
mod audit;
mod certificates;
mod ratelimit;
mod store;
