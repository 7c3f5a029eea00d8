//! `PERFORMANCE_*` variables and `${VAR}` expansion: parsed with the variable's name in every error.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, Result};

/// Reads a `PERFORMANCE_*` variable, naming it on a bad value.
pub(super) fn env_parse<T: std::str::FromStr>(
    env: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>> {
    match env.get(key) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
            Error::Config(format!(
                "environment variable {key}={v:?} is not a valid value"
            ))
        }),
    }
}

pub(super) fn env_bool(env: &BTreeMap<String, String>, key: &str) -> Result<Option<bool>> {
    match env.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(Some(true)),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(Some(false)),
        Some(v) => Err(Error::Config(format!(
            "environment variable {key}={v:?} is not a boolean (use true/false)"
        ))),
    }
}

/// `${VAR}` in header values and bodies is replaced from the environment (secrets stay out of the file).
pub(super) fn expand(value: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i + 2..].find('}') {
            Some(j) => {
                let name = &rest[i + 2..i + 2 + j];
                out.push_str(env.get(name).map(String::as_str).unwrap_or(""));
                rest = &rest[i + 3 + j..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Seconds as a `Duration`. Values were range-checked ([`super::ranges`]); this never panics whatever it gets
/// (NaN and negatives are zero, anything above ten years is ten years).
pub(super) fn secs(v: f64) -> Duration {
    const CEILING: f64 = 10.0 * super::ranges::YEAR;
    Duration::from_secs_f64(if v.is_finite() && v > 0.0 {
        v.min(CEILING)
    } else {
        0.0
    })
}
