//! `go test -bench . -benchmem` text: `BenchmarkParse-8   1000000   1234 ns/op   128 B/op   2 allocs/op`.
//!
//! The `-8` suffix (GOMAXPROCS) is dropped from the name: the machine is already in the record's
//! fingerprint, and the series must not split when a runner gets more cores. With `-count=N` a benchmark
//! appears N times: its N ns/op values are its samples (real within-run noise); one line is a single number.
//! `B/op`, `allocs/op`, `MB/s` and custom `b.ReportMetric` units are kept as extra metrics (the mean over the
//! lines). `pkg:` lines name the package: a benchmark name found in two packages is prefixed with it.

use std::collections::BTreeMap;

use super::bench::{record, shape, Bench, Extra, Timing};
use super::{ImportContext, ImportError};
use crate::record::RunRecord;

#[derive(Default)]
struct Acc {
    ns: Vec<f64>,
    extras: BTreeMap<String, Vec<f64>>,
}

/// Converts `go test -bench` output into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let text = String::from_utf8_lossy(bytes);
    let mut order: Vec<(String, String)> = vec![];
    let mut accs: BTreeMap<(String, String), Acc> = BTreeMap::new();
    let mut pkg = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(p) = line.strip_prefix("pkg:") {
            pkg = p.trim().to_string();
            continue;
        }
        if !line.starts_with("Benchmark") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `BenchmarkX` alone (a -v header, or a benchmark that printed before its result) has no numbers.
        if fields.len() < 2 || fields[1].parse::<u64>().is_err() {
            if fields.len() >= 4 {
                return Err(shape(
                    ctx,
                    format!(
                        "line {}: the iteration count is not a number: {line:?}",
                        i + 1
                    ),
                ));
            }
            continue;
        }
        let err = |what: &str| shape(ctx, format!("line {}: {what}: {line:?}", i + 1));
        if !fields.len().is_multiple_of(2) {
            return Err(err("expected value/unit pairs after the iteration count"));
        }
        let name = strip_procs(fields[0]).to_string();
        let key = (pkg.clone(), name);
        if !accs.contains_key(&key) {
            order.push(key.clone());
        }
        let acc = accs.entry(key).or_default();
        let mut saw_time = false;
        for pair in fields[2..].chunks(2) {
            let v: f64 = pair[0]
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| err(&format!("{:?} is not a number", pair[0])))?;
            if pair[1] == "ns/op" {
                acc.ns.push(v);
                saw_time = true;
            } else {
                acc.extras.entry(pair[1].to_string()).or_default().push(v);
            }
        }
        if !saw_time {
            return Err(err("no ns/op value"));
        }
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (_, n) in &order {
        *names.entry(n.clone()).or_default() += 1;
    }
    let mut benches = vec![];
    for key in order {
        let Some(acc) = accs.remove(&key) else {
            continue;
        };
        let name = if names.get(&key.1).copied().unwrap_or(0) > 1 && !key.0.is_empty() {
            format!("{}/{}", key.0, key.1)
        } else {
            key.1
        };
        let timing = if acc.ns.len() >= 2 {
            Timing::Samples(acc.ns)
        } else {
            Timing::Single(acc.ns.first().copied().unwrap_or(0.0))
        };
        let mut b = Bench::new(name, timing);
        b.extras = acc
            .extras
            .into_iter()
            .map(|(unit, vs)| Extra {
                name: unit.split('/').next().unwrap_or(&unit).to_string(),
                value: vs.iter().sum::<f64>() / vs.len() as f64,
                higher_is_better: unit.ends_with("/s"),
                unit,
            })
            .collect();
        benches.push(b);
    }
    record(ctx, "go test -bench", benches, vec![])
}

/// `BenchmarkX/sub-8` → `BenchmarkX/sub`.
fn strip_procs(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::{ctx, sample};
    use crate::metric::Metric;

    #[test]
    fn reads_real_benchmem_output() {
        let rec = import(&sample("go-bench-benchmem.txt"), &ctx("go.txt")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert!(!ops.is_empty());
        assert!(ops.iter().all(|o| !o.operation_name.ends_with("-8")));
        // -benchmem's columns are judged metrics, not notes.
        let offer = ops
            .iter()
            .find(|o| o.operation_name == "Benchmark_Utils_GetOffer/mime_extension#01")
            .expect("a benchmark with allocations");
        assert_eq!(offer.extra_metrics.get("bytes_per_op"), Some(&48.0));
        assert_eq!(offer.extra_metrics.get("allocs_per_op"), Some(&2.0));
        assert_eq!(Metric::AllocsPerOp.value(offer), Some(2.0));
        assert!(
            !rec.warnings.iter().any(|w| w.contains("allocs/op")),
            "{:?}",
            rec.warnings
        );
    }

    #[test]
    fn count_lines_become_samples_and_extras_are_kept() {
        let out = b"goos: linux\npkg: example.com/p\n\
            BenchmarkA-8   1000   1200 ns/op   64 B/op   2 allocs/op\n\
            BenchmarkA-8   1000   1300 ns/op   64 B/op   2 allocs/op\n\
            BenchmarkA-8   1000   1250 ns/op   64 B/op   2 allocs/op\n\
            BenchmarkB/size=10-8  500  20.5 ns/op  48.7 MB/s\nPASS\n";
        let rec = import(out, &ctx("go.txt")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops[0].operation_name, "BenchmarkA");
        assert_eq!(ops[0].total_requests, 3);
        assert_eq!(ops[0].latency_ms.p50, 0.00125);
        assert_eq!(ops[1].operation_name, "BenchmarkB/size=10");
        assert_eq!(ops[1].total_requests, 1);
        assert_eq!(ops[0].extra_metrics.get("allocs_per_op"), Some(&2.0));
        assert_eq!(ops[0].extra_metrics.get("bytes_per_op"), Some(&64.0));
        assert!(ops[1].extra_metrics.is_empty());
        // A unit perfgate does not judge stays a note.
        assert!(
            rec.warnings
                .iter()
                .any(|w| w.contains("not compared") && w.contains("MB/s (higher")),
            "{:?}",
            rec.warnings
        );
    }

    #[test]
    fn broken_lines_name_the_line() {
        let err = import(b"BenchmarkA-8 10 x ns/op\n", &ctx("g.txt")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("g.txt: line 1: \"x\" is not a number"),
            "{err}"
        );
        let err = import(b"\nBenchmarkA-8 10 5 B/op\n", &ctx("g.txt")).unwrap_err();
        assert!(err.to_string().contains("line 2: no ns/op"), "{err}");
    }
}
