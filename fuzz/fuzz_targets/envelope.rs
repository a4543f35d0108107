//! The envelope parser and the gate (strict parse, dispatch, XSD, copy)
//! never panic; what passes the pre-scan is parsed once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_security::{gate, prescan};

fuzz_target!(|data: &[u8]| {
    if prescan::prescan(data, prescan::Limits::default()).is_ok() {
        for family in [5000, 3000, 2000] {
            let _ = gate::check(data, family);
        }
    }
});
