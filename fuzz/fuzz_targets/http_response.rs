//! The HTTP/1.1 response reader of the load path (`runner/src/targets/http/wire.rs`), over loopback TCP.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    perfgate::fuzzing::http_response(data);
});
