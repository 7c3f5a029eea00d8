//! Replays every input the fuzz targets (`fuzz/`) ever crashed on, under plain `cargo test`: the files in
//! `fuzz/regressions/<target>/` go through the same entry points (`perfgate_reports::fuzzing`), which must
//! return without a panic or an abort. Add a crash input there (named after what it does) when fixing it.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    perfgate_reports::fuzzing::kept_inputs(&root, "regressions", target)
}

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let all = inputs(target);
    for (name, bytes) in &all {
        eprintln!("{target}: {name}");
        f(bytes);
    }
    all.len()
}

#[test]
fn histogram_crashes_stay_fixed() {
    assert!(replay("histogram", perfgate_reports::fuzzing::histogram) >= 3);
    // The zig-zag value hdrhistogram cannot negate is refused by name before its decoder runs. (The fuzzer
    // found it inside a compressed histogram whose checksum cargo-fuzz builds do not verify; the plain V2
    // file holds the same payload value where every build reads it.)
    let (_, bytes) = inputs("histogram")
        .into_iter()
        .find(|(n, _)| n.ends_with("zero-run-i64-min-plain.bin"))
        .expect("the i64::MIN zero run");
    let err = perfgate_reports::histogram::LatencyHistogram::from_v2_bytes(&bytes).unwrap_err();
    assert!(
        err.to_string().contains("run of -2^63 zero counters"),
        "{err}"
    );
    // Counts whose sum overflows u64 (three of i64::MAX): refused before a quantile scan adds them up.
    let (_, bytes) = inputs("histogram")
        .into_iter()
        .find(|(n, _)| n.ends_with("counts-sum-overflow-plain.bin"))
        .expect("the overflowing counts");
    let err = perfgate_reports::histogram::LatencyHistogram::from_v2_bytes(&bytes).unwrap_err();
    assert!(
        err.to_string().contains("counts add up to more than"),
        "{err}"
    );
}

#[test]
fn run_record_crashes_stay_fixed() {
    assert!(replay("run_record", perfgate_reports::fuzzing::run_record) >= 1);
    // The recorded crash really reaches the histogram (and is refused there, not earlier).
    let (name, bytes) = inputs("run_record")
        .into_iter()
        .find(|(n, _)| n.ends_with("histogram-payload-length-4GiB.json"))
        .expect("the 4 GiB record");
    let err = perfgate_reports::RunRecord::from_json_slice(&bytes, &name).unwrap_err();
    assert!(
        err.to_string().contains("4294967295 payload bytes"),
        "{err}"
    );
}

#[test]
fn index_crashes_stay_fixed() {
    replay("index", perfgate_reports::fuzzing::index);
}

#[test]
fn importer_crashes_stay_fixed() {
    assert!(replay("import_oha", perfgate_reports::fuzzing::import_oha) >= 2);
    assert!(replay("import_k6", perfgate_reports::fuzzing::import_k6) >= 1);
    assert!(replay("ingest", perfgate_reports::fuzzing::ingest) >= 10);
}
