//! The histogram decoder: raw V2 / V2-compressed bytes, and the same bytes as base64 text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate_reports::fuzzing::histogram(data);
});
