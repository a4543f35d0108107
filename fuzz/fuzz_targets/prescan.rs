//! The streaming pre-scan never panics, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_security::prescan::{prescan, Limits};

fuzz_target!(|data: &[u8]| {
    let _ = prescan(data, Limits::default());
});
