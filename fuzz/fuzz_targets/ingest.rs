//! The microbenchmark readers of `perfgate ingest` (criterion, libtest, Go, pytest-benchmark, hyperfine, JMH,
//! Google Benchmark, BMF, github-action-benchmark).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate_reports::fuzzing::ingest(data);
});
