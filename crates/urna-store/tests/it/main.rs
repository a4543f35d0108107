//! The integration tests of urna-store, one binary (one link step).
mod audit;
mod ratelimit;
mod store;
