//! Range checks of every number in the config, before anything else reads it.
//!
//! A value that parses as TOML can still be nonsense: `nan`, `inf`, `-1`, `1e300` seconds. Unchecked, such a
//! value turned into "no timeout" silently or panicked deep in `Duration` arithmetic after the run, so its files
//! were never written. Here each numeric key has a range, and a value outside it is a config error naming
//! file:line:col and the key. The same limits apply to the `PERFORMANCE_*` variables and the flags
//! ([`check_value`]).

use toml::de::{DeTable, DeValue};

use super::source::line_col;
use crate::error::{Error, Result};

/// One day and one year, in seconds: generous ceilings that keep `Instant + Duration` far from overflow.
pub const DAY: f64 = 86_400.0;
pub const YEAR: f64 = 365.0 * DAY;

/// The lowest acceptable value: `Above(x)` is `> x`, `AtLeast(x)` is `>= x`.
#[derive(Clone, Copy, Debug)]
pub enum Min {
    Above(f64),
    AtLeast(f64),
}

/// A numeric key and its range.
struct Rule {
    key: &'static str,
    min: Min,
    max: f64,
    unit: &'static str,
}

const fn rule(key: &'static str, min: Min, max: f64, unit: &'static str) -> Rule {
    Rule {
        key,
        min,
        max,
        unit,
    }
}

const RULES: &[Rule] = &[
    rule("target.request_timeout", Min::Above(0.0), DAY, "seconds"),
    rule("load.request_timeout", Min::Above(0.0), DAY, "seconds"),
    rule("operations[].timeout", Min::Above(0.0), DAY, "seconds"),
    rule("load.duration_seconds", Min::Above(0.0), YEAR, "seconds"),
    rule("load.ramp_up_seconds", Min::AtLeast(0.0), YEAR, "seconds"),
    rule("load.warmup_seconds", Min::AtLeast(0.0), YEAR, "seconds"),
    rule("load.think_time_ms", Min::AtLeast(0.0), DAY * 1000.0, "ms"),
    rule("load.target_rps", Min::Above(0.0), 1e7, "requests/s"),
    rule("load.concurrent_users", Min::AtLeast(1.0), 1e6, "users"),
    rule("benchmark.iterations", Min::AtLeast(1.0), 1e9, "iterations"),
    rule(
        "benchmark.warmup_iterations",
        Min::AtLeast(0.0),
        1e9,
        "iterations",
    ),
    rule(
        "benchmark.max_seconds_per_operation",
        Min::Above(0.0),
        YEAR,
        "seconds",
    ),
    rule(
        "stress.step_duration_seconds",
        Min::Above(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "stress.step_warmup_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule("stress.start_concurrent", Min::AtLeast(1.0), 1e6, "users"),
    rule("stress.max_concurrent", Min::AtLeast(1.0), 1e6, "users"),
    rule("stress.step_size", Min::AtLeast(1.0), 1e6, "users"),
    rule("stress.max_p95_ms", Min::Above(0.0), DAY * 1000.0, "ms"),
    rule(
        "stress.max_error_rate_percent",
        Min::AtLeast(0.0),
        100.0,
        "%",
    ),
    rule(
        "service.ready_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "service.stop_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "ab.service.ready_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "ab.service.stop_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "baseline.service.ready_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule(
        "baseline.service.stop_timeout_seconds",
        Min::AtLeast(0.0),
        DAY,
        "seconds",
    ),
    rule("ab.trial_duration_seconds", Min::Above(0.0), DAY, "seconds"),
    rule("ab.threshold_percent", Min::Above(0.0), 1e6, "%"),
    rule("baseline.threshold_percent", Min::Above(0.0), 1e6, "%"),
    rule(
        "baseline.trial_duration_seconds",
        Min::Above(0.0),
        DAY,
        "seconds",
    ),
    rule("gates.memory_threshold_mb", Min::AtLeast(0.0), 1e9, "MB"),
    rule("gates.cpu_threshold_percent", Min::AtLeast(0.0), 1e6, "%"),
];

/// Checks every numeric key of `text` that has a rule. `name` is the file's name for messages.
pub(super) fn check_file(text: &str, name: &str) -> Result<()> {
    // The text was parsed already; a failure here only means there is nothing more to check.
    let Ok(root) = DeTable::parse(text) else {
        return Ok(());
    };
    for r in RULES {
        let path: Vec<&str> = r.key.split('.').collect();
        let mut found = Vec::new();
        collect(root.get_ref(), &path, &mut found);
        // A value that is not a number is left to serde, which reports the type error with its position.
        for (span, v) in found.into_iter().filter_map(|(s, v)| Some((s, v?))) {
            let (line, col) = line_col(text, span);
            let key = r.key.replace("[]", "");
            let at = format!("{name}:{line}:{col}: key `{key}`");
            check_value(v, r.min, r.max, r.unit, &at)?;
        }
    }
    Ok(())
}

/// `Ok` when `v` is finite and within `min`/`max`; else a config error that starts with `at`.
pub fn check_value(v: f64, min: Min, max: f64, unit: &str, at: &str) -> Result<()> {
    let low_ok = match min {
        Min::Above(m) => v > m,
        Min::AtLeast(m) => v >= m,
    };
    if v.is_finite() && low_ok && v <= max {
        return Ok(());
    }
    let range = match min {
        Min::Above(m) => format!("greater than {m} and at most {max} {unit}"),
        Min::AtLeast(m) => format!("between {m} and {max} {unit}"),
    };
    Err(Error::Config(format!(
        "{at}: {} is out of range; expected a number {range}",
        display(v)
    )))
}

fn display(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v}")
    }
}

/// Finds the values at `path` (a segment ending in `[]` walks every table of an array), with their byte
/// offsets; `None` for a value that is not a number.
fn collect(table: &DeTable<'_>, path: &[&str], out: &mut Vec<(usize, Option<f64>)>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*first, false),
    };
    let Some(value) = table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
    else {
        return;
    };
    if rest.is_empty() {
        out.push((value.span().start, number(value.get_ref())));
        return;
    }
    match value.get_ref() {
        DeValue::Table(t) if !each => collect(t, rest, out),
        DeValue::Array(items) if each => {
            for item in items.iter() {
                if let DeValue::Table(t) = item.get_ref() {
                    collect(t, rest, out);
                }
            }
        }
        _ => {}
    }
}

fn number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(i) => i128::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .map(|n| n as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        check_file(text, "perfgate.toml").unwrap_err().to_string()
    }

    #[test]
    fn nonsense_numbers_name_file_line_column_and_key() {
        let e = err("[load]\nduration_seconds = nan\n");
        assert!(
            e.starts_with("perfgate.toml:2:20: key `load.duration_seconds`: nan is out of range"),
            "{e}"
        );
        let e = err("[target]\nrequest_timeout = -1\n");
        assert!(
            e.contains("perfgate.toml:2:19: key `target.request_timeout`: -1"),
            "{e}"
        );
        let e = err("[service]\ncommand = \"x\"\nstop_timeout_seconds = 1e300\n");
        assert!(
            e.contains(":3:") && e.contains("service.stop_timeout_seconds"),
            "{e}"
        );
        let e = err("[[operations]]\nname = \"a\"\npath = \"/\"\ntimeout = inf\n");
        assert!(
            e.contains(":4:") && e.contains("key `operations.timeout`: inf"),
            "{e}"
        );
        let e = err("[stress]\nmax_error_rate_percent = 150\n");
        assert!(e.contains("between 0 and 100 %"), "{e}");
    }

    #[test]
    fn sensible_numbers_and_other_keys_pass() {
        let ok =
            "[load]\nduration_seconds = 1_000\nramp_up_seconds = 0\n[[operations]]\nname = \"a\"\n\
                  timeout = 2.5\n[stress]\nmax_p95_ms = 200\n";
        assert!(check_file(ok, "perfgate.toml").is_ok());
        assert!(check_value(30.0, Min::Above(0.0), DAY, "seconds", "x").is_ok());
        assert!(check_value(f64::INFINITY, Min::Above(0.0), DAY, "seconds", "x").is_err());
    }
}
