//! criterion's results: the `target/criterion/**/new/{benchmark,sample}.json` tree ([`import_tree`]) and
//! `cargo criterion --message-format=json` lines ([`import_messages`]).
//!
//! Both carry every sample: `sample.json` has each sample's iteration count (`iters`) and total time
//! (`times`, ns); a `benchmark-complete` message has `iteration_count` and `measured_values` in its `unit`.
//! The time per iteration of each sample (time / iterations) is a sample of the benchmark, so percentiles
//! and within-run noise are real. The benchmark's name is criterion's `full_id` (`group/function/value`).

use serde_json::Value;

use super::bench::{ns_per, record, shape, Bench, Timing, MAX_SAMPLES};
use super::{ImportContext, ImportError};
use crate::record::RunRecord;

/// One benchmark directory of the tree: the contents of its `new/benchmark.json` and `new/sample.json`.
#[derive(Clone, Debug)]
pub struct TreeEntry {
    /// The directory, for error messages (`target/criterion/parse/new`).
    pub dir: String,
    pub benchmark_json: Vec<u8>,
    pub sample_json: Vec<u8>,
}

fn json(bytes: &[u8], file: &str) -> Result<Value, ImportError> {
    serde_json::from_slice(bytes).map_err(|source| ImportError::Json {
        path: file.to_string(),
        source,
    })
}

fn arr<'a>(v: Option<&'a Value>, k: &str) -> Result<&'a Vec<Value>, String> {
    v.and_then(Value::as_array)
        .ok_or_else(|| format!("no array \"{k}\""))
}

/// Per-iteration times from parallel arrays of iteration counts and measured values (× `scale` to ns).
fn per_iteration(
    iters: Option<&Value>,
    values: Option<&Value>,
    scale: f64,
    (ikey, vkey): (&str, &str),
) -> Result<Vec<f64>, String> {
    let iters = arr(iters, ikey)?;
    let values = arr(values, vkey)?;
    if iters.len() != values.len() {
        return Err(format!(
            "\"{ikey}\" has {} entries and \"{vkey}\" {}",
            iters.len(),
            values.len()
        ));
    }
    if iters.len() > MAX_SAMPLES {
        return Err(format!("more than {MAX_SAMPLES} samples"));
    }
    iters
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (n, t))| {
            let n = n.as_f64().filter(|n| *n >= 1.0 && n.is_finite());
            let t = t.as_f64().filter(|t| *t >= 0.0 && t.is_finite());
            match (n, t) {
                (Some(n), Some(t)) => Ok(t * scale / n),
                _ => Err(format!(
                    "{ikey}[{i}] / {vkey}[{i}] is not a positive count and a time"
                )),
            }
        })
        .collect()
}

/// Converts the `new/` files of each benchmark directory into a `microbench` run record.
pub fn import_tree(entries: &[TreeEntry], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let mut benches = vec![];
    for e in entries {
        let bfile = format!("{}/benchmark.json", e.dir);
        let sfile = format!("{}/sample.json", e.dir);
        let b = json(&e.benchmark_json, &bfile)?;
        let s = json(&e.sample_json, &sfile)?;
        let name = ["full_id", "title"]
            .iter()
            .find_map(|k| b.get(*k).and_then(Value::as_str))
            .ok_or_else(|| ImportError::Shape {
                path: bfile.clone(),
                what: "no \"full_id\" string — is this criterion's benchmark.json?".into(),
            })?;
        let xs = per_iteration(s.get("iters"), s.get("times"), 1.0, ("iters", "times")).map_err(
            |what| ImportError::Shape {
                path: sfile.clone(),
                what: format!("{what} — is this criterion's sample.json?"),
            },
        )?;
        benches.push(Bench::new(name, Timing::Samples(xs)));
    }
    record(ctx, "criterion", benches, vec![])
}

/// Converts `cargo criterion --message-format=json` output (one JSON message a line) into a run record.
/// Messages other than `benchmark-complete` (`group-complete`, cargo's build messages) are skipped.
pub fn import_messages(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let text = String::from_utf8_lossy(bytes);
    let mut benches = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || !line.starts_with('{') {
            continue;
        }
        let err = |what: String| shape(ctx, format!("line {}: {what}", i + 1));
        let v: Value =
            serde_json::from_str(line).map_err(|e| err(format!("not valid JSON: {e}")))?;
        if v.get("reason").and_then(Value::as_str) != Some("benchmark-complete") {
            continue;
        }
        let name = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| err("a benchmark-complete message without an \"id\" string".into()))?;
        let unit = v.get("unit").and_then(Value::as_str).unwrap_or("ns");
        let scale =
            ns_per(unit).ok_or_else(|| err(format!("\"{name}\": unit {unit:?} is not a time")))?;
        let xs = per_iteration(
            v.get("iteration_count"),
            v.get("measured_values"),
            scale,
            ("iteration_count", "measured_values"),
        )
        .map_err(|what| err(format!("\"{name}\": {what}")))?;
        benches.push(Bench::new(name, Timing::Samples(xs)));
    }
    record(ctx, "cargo-criterion", benches, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::ctx;

    #[test]
    fn tree_samples_are_time_over_iterations() {
        let e = TreeEntry {
            dir: "target/criterion/parse/new".into(),
            benchmark_json: br#"{"group_id":"parse","function_id":null,"value_str":null,"throughput":null,
                "full_id":"parse","directory_name":"parse","title":"parse"}"#
                .to_vec(),
            sample_json: br#"{"sampling_mode":"Linear","iters":[10.0,20.0,30.0],"times":[1000.0,2200.0,3000.0]}"#
                .to_vec(),
        };
        let rec = import_tree(std::slice::from_ref(&e), &ctx("target/criterion")).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(op.operation_name, "parse");
        assert_eq!(op.total_requests, 3);
        assert_eq!(op.latency_ms.p50, 0.0001);
        assert_eq!(op.latency_ms.max, 0.00011);
        let bad = TreeEntry {
            sample_json: br#"{"iters":[1.0],"times":[]}"#.to_vec(),
            ..e
        };
        let err = import_tree(&[bad], &ctx("c")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("target/criterion/parse/new/sample.json: \"iters\" has 1"),
            "{err}"
        );
    }

    #[test]
    fn messages_skip_other_reasons_and_name_bad_lines() {
        let out = br#"{"reason":"compiler-artifact"}
{"reason":"benchmark-complete","id":"fib/20","report_directory":"x","iteration_count":[1,2],"measured_values":[3.0,8.0],"unit":"us","throughput":[],"typical":{"estimate":3.5,"lower_bound":3,"upper_bound":4,"unit":"us"}}
{"reason":"group-complete","group_name":"fib","benchmarks":["fib/20"],"report_directory":"x"}
"#;
        let rec = import_messages(out, &ctx("cc.jsonl")).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(op.operation_name, "fib/20");
        assert_eq!((op.latency_ms.min, op.latency_ms.max), (0.003, 0.004));
        let err = import_messages(b"\n{\"reason\": \"benchmark-complete\"\n", &ctx("cc.jsonl"))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cc.jsonl: line 2: not valid JSON"),
            "{err}"
        );
    }
}
