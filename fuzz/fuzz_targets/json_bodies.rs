//! Fuzz target: see ../checks.rs, `json_bodies`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::json_bodies(data));
