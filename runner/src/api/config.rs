//! The library's settings: [`BenchmarkConfig`], [`LoadTestConfig`] and [`StressConfig`].
//!
//! Field names and defaults are those of `perfgate.toml` (`[benchmark]`, `[load]`, `[stress]`), which kept
//! the names users know from the framework perfgate grew from; times are seconds as `f64`, as in the file.
//! Each config turns into the engine's plan ([`BenchmarkPlan`], [`LoadPlan`], [`StressPlan`]) — the same
//! plans the CLI builds from the file — after a check that names the bad field.

use std::time::Duration;

use crate::engine::{BenchmarkPlan, LoadPlan, StressPlan, StressRules};
use crate::error::{Error, Result};

fn secs(field: &str, v: f64, allow_zero: bool) -> Result<Duration> {
    let ok = v.is_finite() && (v > 0.0 || (allow_zero && v == 0.0));
    if !ok {
        let need = if allow_zero { ">= 0" } else { "> 0" };
        return Err(Error::Usage(format!("{field} must be {need} (got {v})")));
    }
    Duration::try_from_secs_f64(v).map_err(|e| Error::Usage(format!("{field}: {e} (got {v})")))
}

/// The per-call time limit (`request_timeout`, seconds; 0 = none).
fn timeout(field: &str, v: f64) -> Result<Option<Duration>> {
    Ok(Some(secs(field, v, true)?).filter(|d| !d.is_zero()))
}

/// How long in-flight calls may finish after a timed phase ends: the timeout, at most 10 s (as the CLI).
fn grace(t: Option<Duration>) -> Duration {
    t.unwrap_or(Duration::from_secs(10))
        .min(Duration::from_secs(10))
}

/// Settings of a benchmark: per operation, warm-up calls (not recorded), then `iterations` sequential calls.
///
/// ```
/// let cfg = perfgate::BenchmarkConfig { iterations: 20, warmup_iterations: 2, ..Default::default() };
/// assert_eq!(cfg.request_timeout, 30.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BenchmarkConfig {
    /// Measured calls per operation (default 100).
    pub iterations: u64,
    /// Calls before the measured ones, not recorded (default 10).
    pub warmup_iterations: u64,
    /// Upper bound on one operation's measured time, seconds; iterations stop early at it (default 120).
    pub max_seconds_per_operation: f64,
    /// Time limit of one call, seconds; 0 = none (default 30). [`Operation::timeout`](super::Operation::timeout) overrides it.
    pub request_timeout: f64,
    /// Sample the process's CPU and memory once a second (default true).
    pub collect_system_metrics: bool,
    /// Export the run's spans over OTLP after the run (default false; see [`crate::api`]).
    pub enable_tracing: bool,
}

impl Default for BenchmarkConfig {
    fn default() -> Self {
        Self {
            iterations: 100,
            warmup_iterations: 10,
            max_seconds_per_operation: 120.0,
            request_timeout: 30.0,
            collect_system_metrics: true,
            enable_tracing: false,
        }
    }
}

impl BenchmarkConfig {
    pub(crate) fn plan(&self) -> Result<BenchmarkPlan> {
        if self.iterations == 0 {
            return Err(Error::Usage(
                "BenchmarkConfig.iterations must be >= 1".into(),
            ));
        }
        secs(
            "BenchmarkConfig.max_seconds_per_operation",
            self.max_seconds_per_operation,
            false,
        )?;
        Ok(BenchmarkPlan {
            iterations: self.iterations,
            warmup_iterations: self.warmup_iterations,
            max_seconds_per_operation: self.max_seconds_per_operation,
        })
    }

    pub(crate) fn timeout(&self) -> Result<Option<Duration>> {
        timeout("BenchmarkConfig.request_timeout", self.request_timeout)
    }
}

/// Settings of a load test over a weighted mix of operations.
///
/// Closed model by default: `concurrent_users` users, started evenly over `ramp_up_seconds`, each calling,
/// waiting for the answer, thinking `think_time_ms`, calling again. With `target_rps` set it is the open
/// model: calls are due at fixed intended times and latency is measured from the intended start, so a
/// stalled operation shows in the percentiles instead of lowering the rate (no coordinated omission);
/// `concurrent_users` is then the number of calls that may be in flight at once.
///
/// ```
/// let cfg = perfgate::LoadTestConfig {
///     duration_seconds: 0.2,
///     concurrent_users: 4,
///     target_rps: Some(100.0),
///     ..Default::default()
/// };
/// assert_eq!(cfg.ramp_up_seconds, 0.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LoadTestConfig {
    /// Measured time, seconds (default 30).
    pub duration_seconds: f64,
    /// Virtual users (default 10).
    pub concurrent_users: u32,
    /// Users start evenly over this many seconds (closed model; default 0).
    pub ramp_up_seconds: f64,
    /// Open model: calls per second at fixed intended times (default none: closed model).
    pub target_rps: Option<f64>,
    /// Time limit of one call, seconds; 0 = none (default 30).
    pub request_timeout: f64,
    /// Sample the process's CPU and memory once a second (default true).
    pub collect_system_metrics: bool,
    /// Export the run's spans over OTLP after the run (default false; see [`crate::api`]).
    pub enable_tracing: bool,
    /// Pause between a user's calls, milliseconds (closed model; default 0).
    pub think_time_ms: f64,
    /// Run before the measured window, not recorded, seconds (default 0).
    pub warmup_seconds: f64,
}

impl Default for LoadTestConfig {
    fn default() -> Self {
        Self {
            duration_seconds: 30.0,
            concurrent_users: 10,
            ramp_up_seconds: 0.0,
            target_rps: None,
            request_timeout: 30.0,
            collect_system_metrics: true,
            enable_tracing: false,
            think_time_ms: 0.0,
            warmup_seconds: 0.0,
        }
    }
}

impl LoadTestConfig {
    pub(crate) fn plan(&self) -> Result<LoadPlan> {
        if self.concurrent_users == 0 {
            return Err(Error::Usage(
                "LoadTestConfig.concurrent_users must be >= 1".into(),
            ));
        }
        let target_rps = match self.target_rps {
            None => None,
            Some(r) if r.is_finite() && r > 0.0 => Some(r),
            Some(r) => {
                return Err(Error::Usage(format!(
                    "LoadTestConfig.target_rps must be > 0 (got {r}); use None for the closed model"
                )))
            }
        };
        Ok(LoadPlan {
            duration: secs(
                "LoadTestConfig.duration_seconds",
                self.duration_seconds,
                false,
            )?,
            users: self.concurrent_users,
            ramp_up: secs("LoadTestConfig.ramp_up_seconds", self.ramp_up_seconds, true)?,
            think_time: secs(
                "LoadTestConfig.think_time_ms",
                self.think_time_ms / 1000.0,
                true,
            )?,
            target_rps,
            warmup: secs("LoadTestConfig.warmup_seconds", self.warmup_seconds, true)?,
            grace: grace(self.timeout()?),
        })
    }

    pub(crate) fn timeout(&self) -> Result<Option<Duration>> {
        timeout("LoadTestConfig.request_timeout", self.request_timeout)
    }
}

/// Settings of a stress test: closed-model steps of rising concurrency (default 5 → 50 users by 5), each
/// warmed then measured, until a stop rule fires (error rate, p95, saturation, collapse) or the last step
/// passes — "no breaking point found up to N users" is a finding, not a failure.
///
/// ```
/// let cfg = perfgate::StressConfig { max_concurrent: 20, step_size: 10, ..Default::default() };
/// assert_eq!(cfg.start_concurrent, 5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StressConfig {
    /// Users of the first step (default 5).
    pub start_concurrent: u32,
    /// Users of the last step (default 50).
    pub max_concurrent: u32,
    /// Users added per step (default 5).
    pub step_size: u32,
    /// Measured time of each step, seconds (default 10).
    pub step_duration_seconds: f64,
    /// Unrecorded warm-up of each step, seconds (default 2).
    pub step_warmup_seconds: f64,
    /// Stop when a step's error rate is above this, percent (default 5).
    pub max_error_rate_percent: f64,
    /// Stop when a step's p95 is above this, milliseconds (default 500, the p95 gate).
    pub max_p95_ms: f64,
    /// Time limit of one call, seconds; 0 = none (default 30).
    pub request_timeout: f64,
    /// Sample the process's CPU and memory once a second (default true).
    pub collect_system_metrics: bool,
    /// Export the run's spans over OTLP after the run (default false; see [`crate::api`]).
    pub enable_tracing: bool,
    /// Narrow the breaking point by bisection after the first failing step, to `step_size / 4` users
    /// (default false).
    pub bisect: bool,
}

impl Default for StressConfig {
    fn default() -> Self {
        Self {
            start_concurrent: 5,
            max_concurrent: 50,
            step_size: 5,
            step_duration_seconds: 10.0,
            step_warmup_seconds: 2.0,
            max_error_rate_percent: perfgate_reports::limits::ERROR_RATE_PERCENT,
            max_p95_ms: perfgate_reports::limits::P95_MS,
            request_timeout: 30.0,
            collect_system_metrics: true,
            enable_tracing: false,
            bisect: false,
        }
    }
}

impl StressConfig {
    pub(crate) fn plan(&self) -> Result<StressPlan> {
        if self.start_concurrent == 0 || self.step_size == 0 {
            return Err(Error::Usage(
                "StressConfig.start_concurrent and StressConfig.step_size must be >= 1".into(),
            ));
        }
        if self.max_concurrent < self.start_concurrent {
            return Err(Error::Usage(format!(
                "StressConfig.max_concurrent ({}) must be >= start_concurrent ({})",
                self.max_concurrent, self.start_concurrent
            )));
        }
        for (field, v) in [
            (
                "StressConfig.max_error_rate_percent",
                self.max_error_rate_percent,
            ),
            ("StressConfig.max_p95_ms", self.max_p95_ms),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::Usage(format!("{field} must be >= 0 (got {v})")));
            }
        }
        Ok(StressPlan {
            start_concurrency: self.start_concurrent,
            max_concurrency: self.max_concurrent,
            step_size: self.step_size,
            step_duration: secs(
                "StressConfig.step_duration_seconds",
                self.step_duration_seconds,
                false,
            )?,
            step_warmup: secs(
                "StressConfig.step_warmup_seconds",
                self.step_warmup_seconds,
                true,
            )?,
            think_time: Duration::ZERO,
            grace: grace(self.timeout()?),
            rules: StressRules {
                max_error_rate_percent: self.max_error_rate_percent,
                max_p95_ms: self.max_p95_ms,
                ..StressRules::default()
            },
            bisect: self.bisect,
        })
    }

    pub(crate) fn timeout(&self) -> Result<Option<Duration>> {
        timeout("StressConfig.request_timeout", self.request_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_config_file_defaults() {
        let s = crate::config::Settings::resolve(
            None,
            &Default::default(),
            &crate::config::Overrides::default(),
        )
        .unwrap();
        let b = BenchmarkConfig::default().plan().unwrap();
        assert_eq!(b.iterations, s.benchmark.iterations);
        assert_eq!(b.warmup_iterations, s.benchmark.warmup_iterations);
        let l = LoadTestConfig::default().plan().unwrap();
        assert_eq!(
            (l.duration, l.users, l.ramp_up, l.target_rps, l.grace),
            (
                s.load.duration,
                s.load.users,
                s.load.ramp_up,
                s.load.target_rps,
                s.load.grace
            )
        );
        let st = StressConfig::default().plan().unwrap();
        assert_eq!(st.levels(), s.stress.levels());
        assert_eq!(st.step_duration, s.stress.step_duration);
        assert_eq!(st.rules.max_p95_ms, s.stress.rules.max_p95_ms);
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = LoadTestConfig {
            concurrent_users: 0,
            ..Default::default()
        }
        .plan()
        .unwrap_err();
        assert!(e.to_string().contains("concurrent_users"), "{e}");
        let e = LoadTestConfig {
            duration_seconds: f64::NAN,
            ..Default::default()
        }
        .plan()
        .unwrap_err();
        assert!(e.to_string().contains("duration_seconds"), "{e}");
        let e = LoadTestConfig {
            target_rps: Some(-1.0),
            ..Default::default()
        }
        .plan()
        .unwrap_err();
        assert!(e.to_string().contains("target_rps"), "{e}");
        let e = StressConfig {
            max_concurrent: 2,
            ..Default::default()
        }
        .plan()
        .unwrap_err();
        assert!(e.to_string().contains("max_concurrent"), "{e}");
        let e = BenchmarkConfig {
            request_timeout: -1.0,
            ..Default::default()
        }
        .timeout()
        .unwrap_err();
        assert!(e.to_string().contains("request_timeout"), "{e}");
        assert_eq!(
            BenchmarkConfig {
                request_timeout: 0.0,
                ..Default::default()
            }
            .timeout()
            .unwrap(),
            None
        );
    }
}
