//! The oha JSON importer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate_reports::fuzzing::import_oha(data);
});
