//! `[[load.stages]]`: a load test as a list of stages (k6's ramping executors as config).
//!
//! Each stage moves the intended load linearly, over `duration_seconds`, from where the previous stage
//! ended (0 before the first) to its `users` (ramping users, closed model) or its `target_rps` (ramping
//! arrival rate, open model). All stages of a test use the same model. A stage whose level equals the
//! previous one holds it (a soak); a short stage to a high level is a spike. [`intended_at`] is the one
//! function that says what load was intended at a time: the engine schedules from it and the timeline
//! records it next to what was achieved.

use serde::Deserialize;
use serde_spanned::Spanned;

use super::source::at;
use crate::error::{Error, Result};

/// One `[[load.stages]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub duration_seconds: f64,
    pub users: Option<u32>,
    pub target_rps: Option<f64>,
}

/// Which model the stages drive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StageModel {
    /// Ramping users (closed model): the level is a number of virtual users.
    Users,
    /// Ramping arrival rate (open model): the level is requests (iterations) per second.
    Rate,
}

/// A resolved stage: its length in seconds and the level it ends at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    pub duration_seconds: f64,
    pub level: f64,
}

/// The stages of a load test.
#[derive(Clone, Debug, PartialEq)]
pub struct Stages {
    pub model: StageModel,
    pub stages: Vec<Stage>,
}

impl Stages {
    /// The whole test's length in seconds.
    pub fn duration_seconds(&self) -> f64 {
        self.stages.iter().map(|s| s.duration_seconds).sum()
    }

    /// The highest level any stage reaches (users to prepare, or the peak rate).
    pub fn peak(&self) -> f64 {
        self.stages.iter().map(|s| s.level).fold(0.0, f64::max)
    }

    /// The index of the stage running at `t` seconds (the last one at or after the end).
    pub fn stage_at(&self, t: f64) -> usize {
        let mut end = 0.0;
        for (i, s) in self.stages.iter().enumerate() {
            end += s.duration_seconds;
            if t < end {
                return i;
            }
        }
        self.stages.len().saturating_sub(1)
    }
}

/// The intended level at `t` seconds from the start: linear within each stage from the previous stage's
/// level (0 before the first); the last level after the end.
pub fn intended_at(stages: &[Stage], t: f64) -> f64 {
    let mut start = 0.0;
    let mut from = 0.0;
    for s in stages {
        let end = start + s.duration_seconds;
        if t < end {
            let f = if s.duration_seconds > 0.0 {
                ((t - start) / s.duration_seconds).clamp(0.0, 1.0)
            } else {
                1.0
            };
            return from + (s.level - from) * f;
        }
        start = end;
        from = s.level;
    }
    from
}

/// Ramping users: how many virtual users should be running at `t` seconds (the intended level, rounded).
/// User `u` (0-based) runs while `u < users_at(t)`: users start in order on the way up and the newest stop
/// first on the way down, each keeping its connection and data row while it runs.
pub fn users_at(stages: &[Stage], t: f64) -> u32 {
    intended_at(stages, t)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

/// When the `k`-th arrival (0-based) of a ramping arrival rate is due, in seconds from the start: the time
/// at which the rate's integral reaches `k`, so a rate ramping 0 → 10/s over 10 s has its arrivals bunch
/// towards the end (50 in all). `None` when the stages end first. Open-model schedulers start each request
/// at this intended time and measure latency from it (no coordinated omission).
pub fn arrival_time(stages: &[Stage], k: u64) -> Option<f64> {
    let mut remaining = k as f64;
    let mut start = 0.0;
    let mut from = 0.0_f64;
    for s in stages {
        let (a, b, d) = (from, s.level, s.duration_seconds);
        let in_stage = (a + b) / 2.0 * d;
        if remaining < in_stage {
            let x = if (b - a).abs() < 1e-12 {
                remaining / a
            } else {
                let slope = (b - a) / d;
                (-a + (a * a + 2.0 * slope * remaining).max(0.0).sqrt()) / slope
            };
            return Some(start + x.clamp(0.0, d));
        }
        remaining -= in_stage;
        start += d;
        from = b;
    }
    None
}

/// Only `load.stages` (the rest of `[load]` is [`super::file::LoadConfig`]'s business).
#[derive(Debug, Default, Deserialize)]
struct StagesOnly {
    #[serde(default)]
    load: LoadView,
}

#[derive(Debug, Default, Deserialize)]
struct LoadView {
    #[serde(default)]
    stages: Vec<Spanned<StageConfig>>,
}

/// Parses and checks the `[[load.stages]]` of config `text`; `None` when there are none.
pub fn resolve_stages(text: &str, name: &str) -> Result<Option<Stages>> {
    let parsed: StagesOnly = super::parse_str_as(text, name)?;
    let mut model = None;
    let mut stages = Vec::new();
    for s in &parsed.load.stages {
        let pos = at(name, text, s);
        let c = s.get_ref();
        if !(c.duration_seconds.is_finite()
            && c.duration_seconds > 0.0
            && c.duration_seconds <= super::ranges::YEAR)
        {
            return Err(Error::Config(format!(
                "{pos}: key `load.stages.duration_seconds`: must be > 0 s and at most a year (got {})",
                c.duration_seconds
            )));
        }
        let (m, level) = match (c.users, c.target_rps) {
            (Some(u), None) if u <= 100_000 => (StageModel::Users, f64::from(u)),
            (None, Some(r)) if r.is_finite() && (0.0..=1e7).contains(&r) => (StageModel::Rate, r),
            (Some(_), Some(_)) | (None, None) => {
                return Err(Error::Config(format!(
                    "{pos}: key `load.stages`: set either `users` (ramping users) or `target_rps` (ramping arrival rate)"
                )))
            }
            _ => {
                return Err(Error::Config(format!(
                    "{pos}: key `load.stages`: `users` must be at most 100000 and `target_rps` between 0 and 1e7"
                )))
            }
        };
        if let Some(prev) = model {
            if prev != m {
                return Err(Error::Config(format!(
                    "{pos}: key `load.stages`: every stage must use the same model (all `users` or all `target_rps`)"
                )));
            }
        }
        model = Some(m);
        stages.push(Stage {
            duration_seconds: c.duration_seconds,
            level,
        });
    }
    Ok(model.map(|model| Stages { model, stages }))
}
