//! Fuzz target: see ../checks.rs, `working_days`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::working_days(data));
