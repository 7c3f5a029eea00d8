//! The run-record reader (what every command reads from disk and from the reports branch).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate_reports::fuzzing::run_record(data);
});
