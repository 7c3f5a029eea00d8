//! `[ab]` (formerly `[baseline]`): the A/B interleaved mode's base build and trial sizes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_spanned::Spanned;

use super::env::secs;
use super::file;
use super::operations::{OperationKind, OperationSettings};
use super::service::{resolve_service, ServiceSettings};
use super::source::at;
use super::urls::is_http_url;
use crate::engine::{BenchmarkPlan, LoadPlan};
use crate::error::{Error, Result};

/// A resolved `[ab]`: the A/B interleaved mode.
#[derive(Clone, Debug)]
pub struct AbSettings {
    /// Where the base build answers (the A side of every HTTP operation).
    pub base_url: String,
    /// The base build, when perfgate starts it.
    pub service: Option<ServiceSettings>,
    /// Trials per side.
    pub trials: u32,
    /// One benchmark trial.
    pub benchmark: BenchmarkPlan,
    /// One load trial.
    pub load: LoadPlan,
    /// Smallest change of a row that counts, percent (default 10).
    pub threshold_percent: f64,
}

/// `[ab]` (or its old name `[baseline]`, given as `section`): checks it and sizes one trial of each kind
/// from the run's plans.
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve_ab(
    section: &str,
    b: &Spanned<file::AbConfig>,
    name: &str,
    text: &str,
    env: &BTreeMap<String, String>,
    output_dir: &Path,
    operations: &[OperationSettings],
    benchmark: &BenchmarkPlan,
    load: &LoadPlan,
) -> Result<AbSettings> {
    let cfg = b.get_ref();
    let url = cfg.base_url.get_ref().trim().to_string();
    if !is_http_url(&url) {
        return Err(Error::Config(format!(
            "{}: key `{section}.base_url`: `{url}` is not an http:// or https:// URL",
            at(name, text, &cfg.base_url)
        )));
    }
    if let Some(op) = operations
        .iter()
        .find(|o| !matches!(o.kind, OperationKind::Http { .. }))
    {
        return Err(Error::Config(format!(
            "{}: key `{section}`: the A/B mode compares two HTTP services, but operation `{}` is not an HTTP \
             request",
            at(name, text, b),
            op.name
        )));
    }
    let trials = match &cfg.trials {
        Some(t) if *t.get_ref() < 3 || *t.get_ref() > 50 => {
            return Err(Error::Config(format!(
                "{}: key `{section}.trials`: {} trials a side cannot be judged; use 3 to 50 (6 is the default)",
                at(name, text, t),
                t.get_ref()
            )))
        }
        Some(t) => *t.get_ref(),
        None => 6,
    };
    let per_trial_seconds = cfg
        .trial_duration_seconds
        .map(secs)
        .unwrap_or_else(|| (load.duration / trials).max(Duration::from_secs(2)));
    let per_trial_iterations = cfg
        .trial_iterations
        .unwrap_or_else(|| (benchmark.iterations / u64::from(trials)).max(10));
    Ok(AbSettings {
        base_url: url,
        service: cfg
            .service
            .as_ref()
            .map(|s| resolve_service(s, env, output_dir, "service-base.log")),
        trials,
        benchmark: BenchmarkPlan {
            iterations: per_trial_iterations,
            ..benchmark.clone()
        },
        load: LoadPlan {
            duration: per_trial_seconds,
            ..load.clone()
        },
        threshold_percent: cfg.threshold_percent.unwrap_or(10.0),
    })
}
