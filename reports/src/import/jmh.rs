//! JMH's JSON result file (`-rf json`).
//!
//! Each entry's `primaryMetric.rawData` holds every measurement iteration's score, fork by fork: those are
//! the samples. In the time modes (`avgt`, `ss`, `sample`: `scoreUnit` `ns/op`, `us/op`, …) a score is a
//! time per operation. In throughput mode (`thrpt`: `ops/s`, `ops/ms`, …) a score is operations per time unit;
//! each is turned into its time per operation (1 / score), so one benchmark is judged the same way whatever
//! its mode — and `throughput_rps` (1 / mean time) is then the harmonic mean of the iteration throughputs.
//! `params` are appended to the name (`Bench.method{size=10}`), since each set is a separate series.

use serde_json::Value;

use super::bench::{ns_per, record, shape, Bench, Timing, MAX_SAMPLES};
use super::{parse, ImportContext, ImportError};
use crate::record::RunRecord;

/// Converts JMH JSON into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let v = parse(bytes, ctx)?;
    let list = v
        .as_array()
        .ok_or_else(|| shape(ctx, "not a JSON array — is this JMH's -rf json output?"))?;
    let mut benches = vec![];
    let mut warnings = vec![];
    for (i, b) in list.iter().enumerate() {
        let err = |what: &str| shape(ctx, format!("[{i}]: {what}"));
        let mut name = b
            .get("benchmark")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no \"benchmark\" string"))?
            .to_string();
        if let Some(params) = b.get("params").and_then(Value::as_object) {
            let p: Vec<String> = params
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                    )
                })
                .collect();
            if !p.is_empty() {
                name = format!("{name}{{{}}}", p.join(","));
            }
        }
        let pm = b
            .get("primaryMetric")
            .ok_or_else(|| err("no \"primaryMetric\" object"))?;
        let unit = pm
            .get("scoreUnit")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no primaryMetric.scoreUnit"))?;
        // `ns/op` is a time per op; `ops/s` is ops per time.
        let (per_op, scale) = match unit.strip_prefix("ops/") {
            Some(t) => (false, ns_per(t)),
            None => (true, ns_per(unit)),
        };
        let scale = scale.ok_or_else(|| {
            err(&format!(
                "primaryMetric.scoreUnit {unit:?} is not ops/time or time/op"
            ))
        })?;
        let to_ns = |x: f64| if per_op { x * scale } else { scale / x };
        let raw: Vec<f64> = match pm.get("rawData").and_then(Value::as_array) {
            Some(forks) => {
                let mut xs = vec![];
                for (f, fork) in forks.iter().enumerate() {
                    let it = fork.as_array().ok_or_else(|| {
                        err(&format!("primaryMetric.rawData[{f}] is not an array"))
                    })?;
                    for (j, x) in it.iter().enumerate() {
                        let x = x
                            .as_f64()
                            .filter(|x| *x > 0.0 && x.is_finite())
                            .ok_or_else(|| {
                                err(&format!(
                                    "primaryMetric.rawData[{f}][{j}] is not a positive number"
                                ))
                            })?;
                        xs.push(to_ns(x));
                        if xs.len() > MAX_SAMPLES {
                            return Err(err("too many iterations"));
                        }
                    }
                }
                xs
            }
            None => vec![],
        };
        let timing = if raw.len() >= 2 {
            Timing::Samples(raw)
        } else {
            let score = pm
                .get("score")
                .and_then(Value::as_f64)
                .filter(|x| *x > 0.0 && x.is_finite())
                .ok_or_else(|| err("no positive primaryMetric.score"))?;
            Timing::Single(to_ns(score))
        };
        if !per_op && i == 0 {
            warnings.push(
                "jmh: throughput-mode scores are judged as time per operation (1 / score)".into(),
            );
        }
        benches.push(Bench::new(name, timing));
    }
    record(ctx, "JMH", benches, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::{ctx, sample};

    #[test]
    fn reads_real_throughput_output() {
        let rec = import(&sample("jmh-thrpt.json"), &ctx("jmh.json")).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!(
            op.operation_name,
            "org.openjdk.jmh.samples.JMHSample_01_HelloWorld.wellHelloThere{paramA=17,paramB=33}"
        );
        assert_eq!(op.total_requests, 3);
        // 3.3765e9 ops/s is 0.296 ns per op.
        assert!((op.latency_ms.p50 * 1e6 - 1e9 / 3.37651988895058e9).abs() < 1e-6);
        assert!((op.throughput_rps - 3.3762e9).abs() / 3.3762e9 < 1e-3);
    }

    #[test]
    fn time_modes_and_errors() {
        let json = br#"[{"benchmark":"a.B.c","mode":"avgt","primaryMetric":{"score":2.0,"scoreUnit":"us/op",
            "rawData":[[1.0,2.0],[3.0]]}}]"#;
        let rec = import(json, &ctx("j.json")).expect("imports");
        let op = &rec.benchmark.as_ref().expect("bench").operations[0];
        assert_eq!((op.total_requests, op.latency_ms.p50), (3, 0.002));
        let err = import(
            br#"[{"benchmark":"a","primaryMetric":{"scoreUnit":"furlongs"}}]"#,
            &ctx("j.json"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("j.json: [0]: primaryMetric.scoreUnit"),
            "{err}"
        );
    }
}
