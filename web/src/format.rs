//! Numbers and dates as the pages print them: short, with units, and never `NaN`.

use chrono::{DateTime, Utc};

/// A latency in milliseconds: `0.123 ms`, `12.3 ms`, `123 ms`, `1.23 s`.
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
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
        "–".to_string()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A plain number with a unit, one decimal.
pub fn num(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        "–".to_string()
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
        "–".to_string()
    } else if v != 0.0 && v.abs() < 1.0 {
        format!("{v:.2} %")
    } else {
        format!("{v:.1} %")
    }
}

/// A signed relative change: `+12.3 %`, `−4.5 %`, `±0 %`.
pub fn delta(v: f64) -> String {
    if !v.is_finite() {
        "–".to_string()
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

/// A value of the named metric (`p95`, `rps`, `error_rate`, …) with its unit.
pub fn metric_value(metric: &str, v: f64) -> String {
    let m = metric.to_ascii_lowercase();
    if m.starts_with('p') && m[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        || m.contains("latency")
        || m.ends_with("_ms")
        || m == "avg"
        || m == "max"
        || m == "min"
    {
        ms(v)
    } else if m.contains("rps") || m.contains("throughput") {
        format!("{} rps", rps(v))
    } else if m.contains("error") || m.contains("percent") || m.contains("cpu") {
        percent(v)
    } else if m.contains("memory") || m.ends_with("_mb") {
        num(v, "MB")
    } else {
        format!("{v:.3}")
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
        assert_eq!(ms(f64::NAN), "–");
        assert_eq!(delta(12.34), "+12.3 %");
        assert_eq!(delta(-4.5), "−4.5 %");
        assert_eq!(delta(0.01), "±0 %");
        assert_eq!(percent(0.5), "0.50 %");
        assert_eq!(p_value(Some(0.0001)), "p < 0.001");
        assert_eq!(p_value(None), "");
        assert_eq!(metric_value("p95", 12.0), "12.0 ms");
        assert_eq!(metric_value("throughput_rps", 1234.0), "1234 rps");
        assert_eq!(metric_value("error_rate", 2.0), "2.0 %");
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("abc", 6), "abc");
    }
}
