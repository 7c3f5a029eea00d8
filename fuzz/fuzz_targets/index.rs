//! The reports branch index reader.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate_reports::fuzzing::index(data);
});
