//! hyperfine's `--export-json` file: each of `results` has every run's wall time in `times` (seconds), which
//! are the samples; `exit_codes` other than 0 (possible with `--ignore-failure`) count as failed runs. The
//! benchmark's name is its `command` (or the `--command-name` hyperfine stored there).

use serde_json::Value;

use super::bench::{record, shape, Bench, Timing, MAX_SAMPLES};
use super::{parse, ImportContext, ImportError};
use crate::record::RunRecord;

/// Converts hyperfine JSON into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let list = v.get("results").and_then(Value::as_array).ok_or_else(|| {
        shape(
            ctx,
            "no \"results\" array — is this hyperfine --export-json output?",
        )
    })?;
    let mut benches = vec![];
    for (i, r) in list.iter().enumerate() {
        let err = |what: &str| shape(ctx, format!("results[{i}]: {what}"));
        let name = r
            .get("command")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no \"command\" string"))?;
        let timing = match r.get("times").and_then(Value::as_array) {
            Some(ts) if !ts.is_empty() => {
                if ts.len() > MAX_SAMPLES {
                    return Err(err("too many times"));
                }
                Timing::Samples(
                    ts.iter()
                        .enumerate()
                        .map(|(j, t)| {
                            t.as_f64()
                                .map(|t| t * 1e9)
                                .ok_or_else(|| err(&format!("times[{j}] is not a number")))
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => {
                let mean = r
                    .get("mean")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| err("neither \"times\" nor a number at \"mean\""))?;
                match r.get("stddev").and_then(Value::as_f64) {
                    Some(sd) => Timing::MeanDev {
                        centre: mean * 1e9,
                        stddev: sd * 1e9,
                        n: 10,
                    },
                    None => Timing::Single(mean * 1e9),
                }
            }
        };
        let mut b = Bench::new(name, timing);
        b.failures = r
            .get("exit_codes")
            .and_then(Value::as_array)
            .map_or(0, |c| {
                c.iter().filter(|c| c.as_i64() != Some(0)).count() as u64
            });
        benches.push(b);
    }
    record(ctx, "hyperfine", benches, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::ctx;

    #[test]
    fn times_are_samples_and_failed_exits_count() {
        let json =
            br#"{"results":[{"command":"sleep 0.01","mean":0.0102,"stddev":0.0001,"median":0.0102,
            "user":0.001,"system":0.0,"min":0.0101,"max":0.0103,"times":[0.0101,0.0102,0.0103],
            "exit_codes":[0,1,0]}]}"#;
        let rec = import(json, &ctx("h.json")).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(op.operation_name, "sleep 0.01");
        assert_eq!((op.total_requests, op.failed_requests), (3, 1));
        assert_eq!(op.latency_ms.p50, 10.2);
        assert_eq!(op.histogram.as_ref().map(|h| h.count()), Some(3));
        let err = import(
            br#"{"results":[{"command":"x","times":["a"]}]}"#,
            &ctx("h.json"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "h.json: results[0]: times[0] is not a number"
        );
    }
}
