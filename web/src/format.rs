//! Numbers and dates as the pages print them: short, with units, and never `NaN`. A value that is absent or
//! not a number prints as [`NOT_MEASURED`], the spelling perfgate's reports use.

use chrono::{DateTime, Utc};
use perfgate_reports::metric::{Metric, Unit};

/// What an absent value prints as: the spelling every renderer of perfgate's reports shares.
pub use perfgate_reports::render::NOT_MEASURED;

/// A latency in milliseconds: `0.123 ms`, `12.3 ms`, `123 ms`, `1.23 s`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return NOT_MEASURED.to_string();
    }
    let a = v.abs();
    if a >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if a >= 100.0 {
        format!("{v:.0} ms")
    } else if a >= 10.0 {
        format!("{v:.1} ms")
    } else if a >= 1.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.3} ms")
    }
}

/// Requests per second: `12.3`, `1234`.
pub fn rps(v: f64) -> String {
    if !v.is_finite() {
        NOT_MEASURED.to_string()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A plain number with a unit, one decimal.
pub fn num(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        NOT_MEASURED.to_string()
    } else {
        format!("{v:.1} {unit}").trim_end().to_string()
    }
}

/// A memory or CPU figure, or "not measured" (the spelling every renderer shares).
pub fn measured(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| perfgate_reports::render::NOT_MEASURED.to_string(), f)
}

/// A percentage: `1.2 %` (two decimals below 1).
pub fn percent(v: f64) -> String {
    if !v.is_finite() {
        NOT_MEASURED.to_string()
    } else if v != 0.0 && v.abs() < 1.0 {
        format!("{v:.2} %")
    } else {
        format!("{v:.1} %")
    }
}

/// A signed relative change: `+12.3 %`, `−4.5 %`, `±0 %`.
pub fn delta(v: f64) -> String {
    if !v.is_finite() {
        NOT_MEASURED.to_string()
    } else if v.abs() < 0.05 {
        "±0 %".to_string()
    } else if v > 0.0 {
        format!("+{v:.1} %")
    } else {
        format!("−{:.1} %", -v)
    }
}

/// A p-value: `p = 0.031`, `p < 0.001`.
pub fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p.is_finite() && p < 0.001 => "p < 0.001".to_string(),
        Some(p) if p.is_finite() => format!("p = {p:.3}"),
        _ => String::new(),
    }
}

/// A value of `metric` in its unit (`12.0 ms`, `1234 rps`, `2.0 %`, `64.0 MB`).
pub fn metric_value(metric: Metric, v: f64) -> String {
    if !v.is_finite() {
        return NOT_MEASURED.to_string();
    }
    match metric.unit() {
        Unit::Milliseconds => ms(v),
        Unit::RequestsPerSecond => format!("{} rps", rps(v)),
        Unit::Percent => percent(v),
        Unit::Megabytes => num(v, "MB"),
        Unit::Bytes | Unit::Count => metric.format_value(v),
    }
}

/// An absent value of `metric` as [`NOT_MEASURED`], else [`metric_value`].
pub fn metric_opt(metric: Metric, v: Option<f64>) -> String {
    v.map_or_else(|| NOT_MEASURED.to_string(), |v| metric_value(metric, v))
}

/// A change of `metric`: relative (`+12.3 %`), or in percentage points for the error rate (`+3.0 pts`),
/// whose comparisons are in points.
pub fn change(metric: Metric, v: f64) -> String {
    if metric == Metric::ErrorRate && v.is_finite() {
        format!("{v:+.1} pts").replace('-', "−")
    } else {
        delta(v)
    }
}

/// A size of change: `10.0 %` (`1.0 pts` for the error rate).
pub fn magnitude(metric: Metric, v: f64) -> String {
    match v {
        v if v.is_finite() && metric == Metric::ErrorRate => format!("{v:.1} pts"),
        v if v.is_finite() => format!("{v:.1} %"),
        _ => NOT_MEASURED.to_string(),
    }
}

/// A noise floor: `±4.2 %` (`±0.5 pts` for the error rate).
pub fn spread(metric: Metric, v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() && metric == Metric::ErrorRate => format!("±{v:.1} pts"),
        Some(v) if v.is_finite() => format!("±{v:.1} %"),
        _ => NOT_MEASURED.to_string(),
    }
}

/// `2026-11-27 10:00` (UTC).
pub fn date_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `2026-11-27`.
pub fn date(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// At most `max` characters of `s`, with `…` when cut (never splits a character).
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_signs() {
        assert_eq!(ms(0.1234), "0.123 ms");
        assert_eq!(ms(12.34), "12.3 ms");
        assert_eq!(ms(1234.0), "1.23 s");
        assert_eq!(ms(f64::NAN), "not measured");
        assert_eq!(delta(12.34), "+12.3 %");
        assert_eq!(delta(-4.5), "−4.5 %");
        assert_eq!(delta(0.01), "±0 %");
        assert_eq!(percent(0.5), "0.50 %");
        assert_eq!(p_value(Some(0.0001)), "p < 0.001");
        assert_eq!(p_value(None), "");
        assert_eq!(metric_value(Metric::P95, 12.0), "12.0 ms");
        assert_eq!(metric_value(Metric::Rps, 1234.0), "1234 rps");
        assert_eq!(metric_value(Metric::ErrorRate, 2.0), "2.0 %");
        assert_eq!(metric_value(Metric::CpuPercent, 20.0), "20.0 %");
        assert_eq!(metric_value(Metric::MemoryMb, 64.0), "64.0 MB");
        assert_eq!(metric_value(Metric::Max, 1500.0), "1.50 s");
        assert_eq!(metric_opt(Metric::P95, None), "not measured");
        assert_eq!(change(Metric::ErrorRate, -2.0), "−2.0 pts");
        assert_eq!(change(Metric::Rps, -20.0), "−20.0 %");
        assert_eq!(spread(Metric::P95, Some(4.24)), "±4.2 %");
        assert_eq!(magnitude(Metric::ErrorRate, 1.0), "1.0 pts");
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("abc", 6), "abc");
    }
}
