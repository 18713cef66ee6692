//! Fuzz target: see ../checks.rs, `page_forms`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::page_forms(data));
