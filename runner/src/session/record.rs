//! The one way a run record is put together: [`RecordBuilder`].
//!
//! Every path that produces a record (a suite run, an A/B trial, a library run, the profiler) starts here,
//! so the fields every record carries — schema, run id, git and machine context, the warnings every run
//! gets ([`run_warnings`]) — are filled in one place. The record leaves unjudged (`analysis: None`);
//! [`super::verdict`] judges it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use perfgate_reports::record::{
    BenchmarkSection, Environment, GitInfo, LoadSection, RunRecord, Shard, StressSection,
    SystemSummary, TargetInfo, SCHEMA,
};
use rand::Rng;

use crate::environment::{detect_environment, detect_git};

/// Builds an unjudged [`RunRecord`].
#[derive(Debug)]
pub struct RecordBuilder {
    record: RunRecord,
}

impl RecordBuilder {
    /// A record of `suite` / `test_type` that started at `started_at`, with a fresh run id, finished now,
    /// and no git or machine context (see [`RecordBuilder::detect_context`]).
    pub fn new(suite: &str, test_type: &str, started_at: DateTime<Utc>) -> Self {
        Self {
            record: RunRecord {
                schema: SCHEMA.to_string(),
                run_id: new_run_id(),
                suite: suite.to_string(),
                test_type: test_type.to_string(),
                started_at,
                finished_at: Utc::now(),
                git: GitInfo::default(),
                environment: Environment::default(),
                config_digest: String::new(),
                shard: None,
                benchmark: None,
                load: None,
                stress: None,
                analysis: None,
                system: SystemSummary::default(),
                targets: Vec::new(),
                warnings: Vec::new(),
                incomplete: None,
            },
        }
    }

    /// Git (from the working directory and `GITHUB_*`) and the machine's fingerprint.
    pub fn detect_context(mut self, env: &BTreeMap<String, String>) -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        self.record.git = detect_git(&cwd, env);
        self.record.environment = detect_environment(env);
        self
    }

    pub fn run_id(mut self, id: String) -> Self {
        self.record.run_id = id;
        self
    }

    pub fn finished_at(mut self, t: DateTime<Utc>) -> Self {
        self.record.finished_at = t;
        self
    }

    pub fn git(mut self, git: GitInfo) -> Self {
        self.record.git = git;
        self
    }

    pub fn config_digest(mut self, digest: &str) -> Self {
        self.record.config_digest = digest.to_string();
        self
    }

    pub fn shard(mut self, shard: Option<Shard>) -> Self {
        self.record.shard = shard;
        self
    }

    pub fn sections(
        mut self,
        benchmark: Option<BenchmarkSection>,
        load: Option<LoadSection>,
        stress: Option<StressSection>,
    ) -> Self {
        self.record.benchmark = benchmark;
        self.record.load = load;
        self.record.stress = stress;
        self
    }

    /// The system summary, and the warnings every record carries when they apply ([`run_warnings`]),
    /// after `warnings` (what the target and the service had to say).
    pub fn system(mut self, mut system: SystemSummary, mut warnings: Vec<String>) -> Self {
        let r = &self.record;
        warnings.extend(run_warnings(
            r.benchmark.as_ref(),
            r.load.as_ref(),
            r.stress.as_ref(),
            &mut system,
        ));
        self.record.system = system;
        self.record.warnings.extend(warnings);
        self
    }

    pub fn targets(mut self, targets: Vec<TargetInfo>) -> Self {
        self.record.targets = targets;
        self
    }

    /// Marks the record as cut short (SIGINT/SIGTERM), with why; `None` leaves it complete.
    pub fn incomplete(mut self, reason: Option<String>) -> Self {
        if let Some(r) = &reason {
            self.record
                .warnings
                .insert(0, format!("incomplete run: {r}"));
        }
        self.record.incomplete = reason;
        self
    }

    pub fn build(self) -> RunRecord {
        self.record
    }
}

/// Warnings every run record carries when they apply, whoever ran it (CLI or library): the runner was
/// CPU-saturated in some phase (also set on `system`), or the open model dropped intended requests.
pub fn run_warnings(
    benchmark: Option<&BenchmarkSection>,
    load: Option<&LoadSection>,
    stress: Option<&StressSection>,
    system: &mut SystemSummary,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let saturated = [
        benchmark.map(|b| b.system.runner_saturated),
        load.map(|l| l.system.runner_saturated),
        stress.map(|s| s.system.runner_saturated),
    ]
    .into_iter()
    .flatten()
    .any(|x| x);
    if saturated || system.runner_saturated {
        system.runner_saturated = true;
        warnings.push(
            "perfgate itself was CPU-saturated: throughput and latency partly measure the load generator; \
             lower concurrency, add shards (--shard) or run the service on another machine"
                .to_string(),
        );
    }
    if let Some(l) = load {
        if l.dropped_starts > 0 {
            warnings.push(format!(
                "open model: {} intended requests never started (all users busy): the service could not keep up \
                 with {} rps, or raise concurrent_users",
                l.dropped_starts,
                l.target_rps.unwrap_or(0.0)
            ));
        }
    }
    warnings
}

/// The run id every shard of one sharded run agrees on: `PERFGATE_RUN_ID`, else the GitHub Actions run (id and
/// attempt) with the config digest, else a fresh id (then `perfgate merge` names the merged run itself).
pub fn shared_run_id(env: &BTreeMap<String, String>, digest: &str) -> String {
    if let Some(id) = env.get("PERFGATE_RUN_ID").filter(|v| !v.is_empty()) {
        return id.clone();
    }
    match env.get("GITHUB_RUN_ID").filter(|v| !v.is_empty()) {
        Some(run) => format!(
            "gh{run}-{}-{}",
            env.get("GITHUB_RUN_ATTEMPT")
                .map(String::as_str)
                .unwrap_or("1"),
            &digest[..digest.len().min(8)]
        ),
        None => new_run_id(),
    }
}

/// A new short run id (12 hex digits).
pub fn new_run_id() -> String {
    let n: u64 = rand::rng().random();
    format!("{:012x}", n & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_record_is_unjudged_and_carries_the_saturation_warning() {
        let system = SystemSummary {
            runner_saturated: true,
            ..Default::default()
        };
        let r = RecordBuilder::new("s", "load", Utc::now())
            .config_digest("abc")
            .system(system, vec!["from the target".into()])
            .build();
        assert_eq!(r.schema, SCHEMA);
        assert_eq!(r.run_id.len(), 12);
        assert!(r.analysis.is_none());
        assert_eq!(r.warnings[0], "from the target");
        assert!(r.warnings[1].contains("CPU-saturated"), "{:?}", r.warnings);
    }

    #[test]
    fn shards_of_one_github_run_share_a_run_id() {
        let env: BTreeMap<String, String> = [("GITHUB_RUN_ID", "42"), ("GITHUB_RUN_ATTEMPT", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(shared_run_id(&env, "0123456789"), "gh42-2-01234567");
        assert_eq!(
            shared_run_id(&env, "0123456789"),
            shared_run_id(&env, "0123456789")
        );
    }
}
