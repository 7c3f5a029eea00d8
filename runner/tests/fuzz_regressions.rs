//! Replays the runner's fuzz inputs under plain `cargo test`: every file in `fuzz/regressions/<target>/`
//! (inputs that once crashed) and `fuzz/seeds/<target>/` (the starting corpus) goes through the entry point the
//! fuzz target calls (`perfgate::fuzzing`), which must return without a panic. The config seeds are the
//! README's examples and `perfgate init`'s output, so they also check that every documented config parses.

use std::path::PathBuf;

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    perfgate::reports::fuzzing::kept_inputs(&root, kind, target)
}

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let mut n = 0;
    for kind in ["regressions", "seeds"] {
        for (name, bytes) in inputs(kind, target) {
            eprintln!("{target}: {name}");
            f(&bytes);
            n += 1;
        }
    }
    n
}

#[test]
fn config_inputs_never_panic() {
    assert!(replay("config", perfgate::fuzzing::config) >= 3);
}

#[test]
fn documented_configs_parse() {
    // The README's toml blocks may be fragments (one section); the whole examples must parse.
    for (name, bytes) in inputs("seeds", "config") {
        if name.ends_with("http.toml") || name.ends_with("mcp.toml") {
            let text = String::from_utf8(bytes).expect("utf-8");
            perfgate::config::parse_str(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn http_response_inputs_never_panic() {
    assert!(replay("http_response", perfgate::fuzzing::http_response) >= 6);
}
