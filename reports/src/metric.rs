//! The metrics perfgate judges, with their names, units and direction.
//!
//! Gates (`p95 < 500ms`), comparisons ("P95 latency increased by 45%"), baselines and the renderers all talk
//! about the same handful of per-operation numbers. This module is the single place that says what each one is
//! called in config and JSON (`p95`, `error_rate`, `rps`, `memory_mb`, `cpu_percent`, …), which unit it is
//! shown in, and — the part that is easy to get wrong — which direction is better: lower latency, error rate,
//! memory and CPU are better; higher throughput is better. How to read one from an operation result,
//! `Metric::value`, is defined next to the result in [`crate::record`], so that this module stays a leaf the
//! stored analysis types can name without importing the record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Latency, error rate, memory, CPU: a smaller value is better.
    LowerIsBetter,
    /// Throughput: a larger value is better.
    HigherIsBetter,
}

impl Direction {
    /// `+1.0` when a rising value is worse, `-1.0` when a rising value is better. Multiplying a signed change by
    /// this gives a "badness" that is positive for a regression whatever the metric.
    pub fn worse_sign(self) -> f64 {
        match self {
            Direction::LowerIsBetter => 1.0,
            Direction::HigherIsBetter => -1.0,
        }
    }
}

/// A per-operation metric.
///
/// The serde and config name is the key returned by [`Metric::key`] (`p95`, `error_rate`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Median latency, ms.
    P50,
    /// 90th percentile latency, ms.
    P90,
    /// 95th percentile latency, ms.
    P95,
    /// 99th percentile latency, ms.
    P99,
    /// 99.9th percentile latency, ms.
    P999,
    /// Mean latency, ms.
    Avg,
    /// Slowest request, ms.
    Max,
    /// Failed requests in percent of all requests.
    ErrorRate,
    /// Completed requests per second.
    Rps,
    /// Resident memory, MB (of the target when known, else of the runner).
    MemoryMb,
    /// CPU, percent of one core (of the target when known, else of the runner).
    CpuPercent,
    /// Bytes allocated per operation (microbenchmarks: Go's `B/op`, JMH's `gc.alloc.rate.norm`).
    BytesPerOp,
    /// Allocations per operation (microbenchmarks: Go's `allocs/op`).
    AllocsPerOp,
}

/// The metrics a comparison reports by default, in display order: p50, p95, p99, avg, rps, error rate,
/// memory, CPU, and the microbenchmark allocation metrics (rows only where a harness reported them).
pub const COMPARED_METRICS: [Metric; 10] = [
    Metric::P50,
    Metric::P95,
    Metric::P99,
    Metric::Avg,
    Metric::Rps,
    Metric::ErrorRate,
    Metric::MemoryMb,
    Metric::CpuPercent,
    Metric::BytesPerOp,
    Metric::AllocsPerOp,
];

/// Every metric, in display order.
pub const ALL_METRICS: [Metric; 13] = [
    Metric::P50,
    Metric::P90,
    Metric::P95,
    Metric::P99,
    Metric::P999,
    Metric::Avg,
    Metric::Max,
    Metric::ErrorRate,
    Metric::Rps,
    Metric::MemoryMb,
    Metric::CpuPercent,
    Metric::BytesPerOp,
    Metric::AllocsPerOp,
];

/// The unit a metric is stored and shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Latency.
    Milliseconds,
    /// Error rate, CPU.
    Percent,
    /// Throughput.
    RequestsPerSecond,
    /// Memory.
    Megabytes,
    /// Allocated bytes per operation.
    Bytes,
    /// Allocations per operation.
    Count,
}

impl Metric {
    /// The config/JSON name: `p50`, `p90`, `p95`, `p99`, `p999`, `avg`, `max`, `error_rate`, `rps`,
    /// `memory_mb`, `cpu_percent`, `bytes_per_op`, `allocs_per_op`.
    pub fn key(self) -> &'static str {
        match self {
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::P999 => "p999",
            Metric::Avg => "avg",
            Metric::Max => "max",
            Metric::ErrorRate => "error_rate",
            Metric::Rps => "rps",
            Metric::MemoryMb => "memory_mb",
            Metric::CpuPercent => "cpu_percent",
            Metric::BytesPerOp => "bytes_per_op",
            Metric::AllocsPerOp => "allocs_per_op",
        }
    }

    /// A human label for messages: "P95 latency", "error rate", "throughput", …
    pub fn label(self) -> &'static str {
        match self {
            Metric::P50 => "P50 latency",
            Metric::P90 => "P90 latency",
            Metric::P95 => "P95 latency",
            Metric::P99 => "P99 latency",
            Metric::P999 => "P99.9 latency",
            Metric::Avg => "average latency",
            Metric::Max => "max latency",
            Metric::ErrorRate => "error rate",
            Metric::Rps => "throughput",
            Metric::MemoryMb => "memory",
            Metric::CpuPercent => "CPU",
            Metric::BytesPerOp => "allocated bytes per op",
            Metric::AllocsPerOp => "allocations per op",
        }
    }

    /// Which way is better.
    pub fn direction(self) -> Direction {
        match self {
            Metric::Rps => Direction::HigherIsBetter,
            _ => Direction::LowerIsBetter,
        }
    }

    /// The unit of [`Metric::value`].
    pub fn unit(self) -> Unit {
        match self {
            Metric::P50
            | Metric::P90
            | Metric::P95
            | Metric::P99
            | Metric::P999
            | Metric::Avg
            | Metric::Max => Unit::Milliseconds,
            Metric::ErrorRate | Metric::CpuPercent => Unit::Percent,
            Metric::Rps => Unit::RequestsPerSecond,
            Metric::MemoryMb => Unit::Megabytes,
            Metric::BytesPerOp => Unit::Bytes,
            Metric::AllocsPerOp => Unit::Count,
        }
    }

    /// True for the latency metrics.
    pub fn is_latency(self) -> bool {
        self.unit() == Unit::Milliseconds
    }

    /// Whether this is a metric only some harnesses report (bytes and allocations per op): absent is not
    /// "not measured" but "not reported", and a run without it shows no row for it.
    pub fn is_microbench_extra(self) -> bool {
        matches!(self, Metric::BytesPerOp | Metric::AllocsPerOp)
    }

    /// Whether this is a resource metric (memory, CPU), which a run may not have measured at all.
    pub fn is_resource(self) -> bool {
        matches!(self, Metric::MemoryMb | Metric::CpuPercent)
    }

    /// Formats a value of this metric with its unit: `12.3 ms`, `1.52 s`, `4.0%`, `250.1 rps`, `512 MB`.
    pub fn format_value(self, v: f64) -> String {
        match self.unit() {
            Unit::Milliseconds => format_ms(v),
            Unit::Percent => format!("{}%", sig(v)),
            Unit::RequestsPerSecond => format!("{} rps", sig(v)),
            Unit::Megabytes => format!("{} MB", sig(v)),
            Unit::Bytes => format_bytes(v),
            Unit::Count => format!("{} allocs", sig(v)),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An unknown metric name; the message lists the known ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric `{0}`; expected one of: p50, p90, p95, p99, p999, avg, max, error_rate, rps, memory_mb, cpu_percent, bytes_per_op, allocs_per_op")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;

    /// Accepts the keys and a few spellings users bring from k6 and the original framework:
    /// `p(95)`, `p95_ms`, `mean`, `error_rate_percent`, `errors`, `throughput`, `throughput_rps`,
    /// `memory`, `memory_usage_mb`, `cpu`, `cpu_usage_percent`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase();
        let k = k.strip_suffix("_ms").unwrap_or(&k);
        let m = match k {
            "p50" | "p(50)" | "median" => Metric::P50,
            "p90" | "p(90)" => Metric::P90,
            "p95" | "p(95)" => Metric::P95,
            "p99" | "p(99)" => Metric::P99,
            "p999" | "p99.9" | "p(99.9)" => Metric::P999,
            "avg" | "mean" => Metric::Avg,
            "max" => Metric::Max,
            "error_rate" | "error_rate_percent" | "errors" => Metric::ErrorRate,
            "rps" | "throughput" | "throughput_rps" => Metric::Rps,
            "memory_mb" | "memory" | "memory_usage_mb" => Metric::MemoryMb,
            "cpu_percent" | "cpu" | "cpu_usage_percent" => Metric::CpuPercent,
            "bytes_per_op" | "b/op" | "bytes" => Metric::BytesPerOp,
            "allocs_per_op" | "allocs/op" | "allocs" | "allocations" => Metric::AllocsPerOp,
            _ => return Err(UnknownMetric(s.trim().to_string())),
        };
        Ok(m)
    }
}

/// Formats milliseconds the way people read latencies: `12 ns`, `4.25 µs`, `0.412 ms`, `12.3 ms`, `523 ms`,
/// `1.52 s`.
pub fn format_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "n/a".to_string();
    }
    if ms.abs() >= 1000.0 {
        format!("{} s", sig(ms / 1000.0))
    } else if ms != 0.0 && ms.abs() < 0.001 {
        // Microbenchmarks: `0.000012 ms` reads as 12 ns.
        format!("{} ns", sig(ms * 1e6))
    } else if ms != 0.0 && ms.abs() < 0.01 {
        format!("{} µs", sig(ms * 1e3))
    } else {
        format!("{} ms", sig(ms))
    }
}

/// Bytes per op the way Go and JMH print them, in powers of 1024: `48 B`, `1.50 KiB`, `3.2 MiB`.
pub fn format_bytes(b: f64) -> String {
    if !b.is_finite() {
        return "n/a".to_string();
    }
    let a = b.abs();
    if a >= 1024.0 * 1024.0 * 1024.0 {
        format!("{} GiB", sig(b / (1024.0 * 1024.0 * 1024.0)))
    } else if a >= 1024.0 * 1024.0 {
        format!("{} MiB", sig(b / (1024.0 * 1024.0)))
    } else if a >= 1024.0 {
        format!("{} KiB", sig(b / 1024.0))
    } else {
        format!("{} B", sig(b))
    }
}

/// Three significant digits without trailing noise: `0.412`, `12.3`, `523`, `1523`.
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a == 0.0 {
        "0".to_string()
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{LatencyMs, OperationResult};

    #[test]
    fn direction_is_lower_better_except_throughput() {
        for m in ALL_METRICS {
            let expected = if m == Metric::Rps {
                Direction::HigherIsBetter
            } else {
                Direction::LowerIsBetter
            };
            assert_eq!(m.direction(), expected, "{m}");
        }
    }

    #[test]
    fn keys_round_trip_and_aliases_parse() {
        for m in ALL_METRICS {
            assert_eq!(m.key().parse::<Metric>(), Ok(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.key()));
        }
        assert_eq!("p(95)".parse::<Metric>(), Ok(Metric::P95));
        assert_eq!("P95".parse::<Metric>(), Ok(Metric::P95));
        assert_eq!("throughput_rps".parse::<Metric>(), Ok(Metric::Rps));
        let err = "p96".parse::<Metric>().unwrap_err().to_string();
        assert!(err.contains("p96") && err.contains("error_rate"), "{err}");
    }

    #[test]
    fn values_are_none_without_requests() {
        let op = OperationResult {
            latency_ms: LatencyMs {
                p95: 3.0,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(Metric::P95.value(&op), None);
        assert_eq!(Metric::ErrorRate.value(&op), None);
        let op = OperationResult {
            total_requests: 10,
            failed_requests: 1,
            ..op
        };
        assert_eq!(Metric::P95.value(&op), Some(3.0));
        assert_eq!(Metric::ErrorRate.value(&op), Some(10.0));
    }

    #[test]
    fn formats_numbers_readably() {
        assert_eq!(format_ms(0.4123), "0.412 ms");
        assert_eq!(format_ms(12.34), "12.3 ms");
        assert_eq!(format_ms(523.4), "523 ms");
        assert_eq!(format_ms(1523.0), "1.52 s");
        assert_eq!(format_ms(2000.0), "2 s");
        assert_eq!(format_ms(0.000012), "12 ns");
        assert_eq!(format_ms(0.00425), "4.25 µs");
        assert_eq!(sig(0.0), "0");
        assert_eq!(Metric::ErrorRate.format_value(4.0), "4%");
        assert_eq!(Metric::Rps.format_value(250.14), "250 rps");
    }
}
