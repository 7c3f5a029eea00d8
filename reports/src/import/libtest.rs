//! libtest's `cargo bench` text (`test parse ... bench:       1,234 ns/iter (+/- 56)`), which is also what
//! criterion prints with `cargo bench -- --output-format bencher`.
//!
//! libtest reports the median of 50 samples and, after `+/-`, their range (max − min, after winsorizing at
//! 5 %). The range of 50 normal samples is about 4.5 σ, so σ ≈ range / 4.5 over n = 50: a
//! mean ± deviation benchmark (see [`super::bench`]). Lines that are not bench results (`running 3 tests`,
//! `test x ... ignored`, compiler output) are skipped; a line that starts like a result and does not parse is
//! an error naming its line.

use super::bench::{record, shape, Bench, Timing};
use super::{ImportContext, ImportError};
use crate::record::RunRecord;

/// How many samples libtest's bencher takes.
pub const LIBTEST_SAMPLES: u64 = 50;
/// A normal sample of 50 has an expected range of about 4.5 standard deviations.
pub const RANGE_PER_SIGMA: f64 = 4.5;

/// Converts `cargo bench` output into a `microbench` run record.
pub fn import(bytes: &[u8], ctx: &ImportContext) -> Result<RunRecord, ImportError> {
    let text = String::from_utf8_lossy(bytes);
    let mut benches = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.split_once(" ... ") else {
            continue;
        };
        let Some(result) = result.trim().strip_prefix("bench:") else {
            continue;
        };
        let err = |what: &str| shape(ctx, format!("line {}: {what}: {line:?}", i + 1));
        let (value, rest) = result
            .trim()
            .split_once(' ')
            .ok_or_else(|| err("no unit after the time"))?;
        let value = number(value).ok_or_else(|| err("the time is not a number"))?;
        let rest = rest.trim_start();
        let (unit, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let per = super::bench::ns_per(unit).ok_or_else(|| err("the unit is not ns/iter"))?;
        let range = match rest
            .trim()
            .strip_prefix("(+/-")
            .and_then(|r| r.strip_suffix(')'))
        {
            Some(r) => number(r.trim()).ok_or_else(|| err("the (+/- …) range is not a number"))?,
            None if rest.trim().is_empty() => 0.0,
            None => return Err(err("expected (+/- N) after the unit")),
        };
        benches.push(Bench::new(
            name.trim(),
            Timing::MeanDev {
                centre: value * per,
                stddev: range * per / RANGE_PER_SIGMA,
                n: LIBTEST_SAMPLES,
            },
        ));
    }
    record(
        ctx,
        "libtest",
        benches,
        vec!["libtest: the time is the median of 50 samples; σ is estimated as the reported range / 4.5".into()],
    )
}

/// `1,234` or `1,234.56`.
fn number(s: &str) -> Option<f64> {
    let v: f64 = s.replace([',', '_'], "").parse().ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_ctx::ctx;

    #[test]
    fn reads_libtest_and_bencher_lines() {
        let out = b"running 3 tests\n\
            test tests::ignored ... ignored\n\
            test tests::parse  ... bench:       1,234 ns/iter (+/- 45)\n\
            test tests::fmt    ... bench:          12.50 ns/iter (+/- 0.90)\n\
            \ntest result: ok. 0 passed; 0 failed; 1 ignored; 2 measured\n";
        let rec = import(out, &ctx("bench.txt")).expect("imports");
        let ops = &rec.benchmark.as_ref().expect("bench").operations;
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].operation_name, "tests::parse");
        assert_eq!(ops[0].latency_ms.p50, 0.001234);
        assert_eq!(ops[0].latency_ms.stddev, 0.00001);
        assert_eq!(ops[1].latency_ms.avg, 0.0000125);
        assert_eq!(ops[1].total_requests, 50);
    }

    #[test]
    fn broken_lines_name_the_line() {
        let err = import(b"\ntest a ... bench: lots ns/iter (+/- 1)\n", &ctx("b.txt")).unwrap_err();
        assert!(
            err.to_string().starts_with("b.txt: line 2: the time"),
            "{err}"
        );
        let err = import(b"test a ... bench: 5 furlongs/iter\n", &ctx("b.txt")).unwrap_err();
        assert!(err.to_string().contains("line 1: the unit"), "{err}");
        let err = import(b"hello\n", &ctx("b.txt")).unwrap_err();
        assert!(err.to_string().contains("no benchmarks"), "{err}");
    }
}
