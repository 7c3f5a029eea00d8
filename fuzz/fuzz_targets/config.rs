//! `perfgate.toml`: parse, range checks and resolution into settings.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate::fuzzing::config(data);
});
