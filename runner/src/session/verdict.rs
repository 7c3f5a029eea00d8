//! The one place a record is judged: the verdict settings come from the config here ([`Verdict::from_settings`]),
//! and [`Verdict::judge`] applies them — acknowledgements, gates, recommendations, the comparison — once.
//!
//! Gate expressions are parsed when the config is read, so a bad one is a config error (exit 2, with
//! file:line:col) before the target is touched, not after a ten-minute run.

use perfgate_reports::analysis::{
    self, apply_acknowledgements, Acknowledgement, Comparison, OptimizerSettings, OverallStatus,
};
use perfgate_reports::gates::{default_gates, Comparator, Gate, GateExpr, Gates, RegressionPolicy};
use perfgate_reports::metric::Metric;
use perfgate_reports::record::RunRecord;

use crate::config::Settings;
use crate::error::{ExitStatus, Result};
use crate::targets::mcp::INITIALIZE_OPERATION;

/// What a run is judged by: the project's gates, acknowledgements and optimizer limits.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub gates: Gates,
    pub acknowledgements: Vec<Acknowledgement>,
    pub optimizer: OptimizerSettings,
    /// Operations that run as a side effect of the schedule (`mcp.initialize`): no throughput findings.
    pub side_operations: Vec<String>,
}

impl Default for Verdict {
    fn default() -> Self {
        Self {
            gates: default_gates(),
            acknowledgements: Vec::new(),
            optimizer: OptimizerSettings::default(),
            side_operations: Vec::new(),
        }
    }
}

impl Verdict {
    /// The verdict settings of `settings` (whose gate expressions were checked when the config was read).
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        Ok(Self {
            gates: build_gates(settings),
            acknowledgements: settings.acknowledgements.clone(),
            optimizer: optimizer_settings(settings),
            side_operations: if settings.mcp.is_some() {
                vec![INITIALIZE_OPERATION.to_string()]
            } else {
                Vec::new()
            },
        })
    }

    /// Judges `record` against `comparison` (when there is one): acknowledgements first (expired ones become
    /// record warnings), then gates and recommendations into `record.analysis`. Returns the exit status.
    pub fn judge(&self, record: &mut RunRecord, mut comparison: Option<Comparison>) -> ExitStatus {
        tracing::debug!(
            run = %record.run_id,
            compared = comparison.is_some(),
            "judging the run"
        );
        let today = chrono::Utc::now().date_naive();
        let expired: Vec<_> = match comparison.as_mut() {
            Some(c) => {
                for note in &c.notes {
                    eprintln!("perfgate: {note}");
                }
                apply_acknowledgements(c, &self.acknowledgements, today).expired
            }
            None => self
                .acknowledgements
                .iter()
                .filter(|a| !a.is_active(today))
                .cloned()
                .collect(),
        };
        for ack in expired {
            let warning = format!(
                "acknowledgement for {}{} expired on {} ({}): remove it from perfgate.toml or extend `until`",
                ack.operation,
                ack.metric.map(|m| format!(" {m}")).unwrap_or_default(),
                ack.until,
                ack.reason
            );
            if !record.warnings.contains(&warning) {
                record.warnings.push(warning);
            }
        }
        let mut section = analysis::analyze(record, &self.gates, comparison, &self.optimizer);
        self.quiet_side_operations(&mut section.operations);
        let status = if section.status == OverallStatus::Fail {
            ExitStatus::GateFailed
        } else {
            ExitStatus::Pass
        };
        record.analysis = Some(section);
        status
    }

    /// Side operations run as often as the schedule opens sessions: a throughput finding about them says
    /// nothing about the service, so it is dropped (their other findings stay).
    fn quiet_side_operations(&self, operations: &mut [analysis::optimizer::OperationAnalysis]) {
        use analysis::optimizer::{RecommendationType, Status};
        for op in operations
            .iter_mut()
            .filter(|o| self.side_operations.contains(&o.operation))
        {
            op.recommendations
                .retain(|r| r.kind != RecommendationType::Throughput);
            if op.recommendations.is_empty() {
                op.status = Status::Ok;
            }
        }
    }
}

/// The gates of the settings: `[gates]` expressions (or the defaults), plus the memory/CPU thresholds.
fn build_gates(settings: &Settings) -> Gates {
    let g = &settings.gates;
    let mut gates = match &g.all {
        Some(all) => Gates::new().with_all(all.iter().cloned()),
        None => default_gates(),
    };
    for (op, exprs) in &g.operations {
        gates = gates.with_operation(op, exprs.iter().cloned());
    }
    if settings.mcp.is_some() {
        // `mcp.initialize` runs as often as the schedule opens sessions (once per user in `per_user`
        // mode): a throughput floor from `gates.all` means nothing for it. Its latency and error gates
        // still apply, and `[gates.operations] "mcp.initialize"` can add more.
        gates = gates.with_operation(
            INITIALIZE_OPERATION,
            [GateExpr::new(Metric::Rps, Comparator::Ge, 0.0)],
        );
    }
    let thresholds = [
        g.memory_threshold_mb.map(|mb| (Metric::MemoryMb, mb)),
        g.cpu_threshold_percent.map(|cpu| (Metric::CpuPercent, cpu)),
    ];
    for (metric, limit) in thresholds.into_iter().flatten() {
        gates.gates.push(Gate {
            operation: None,
            expr: GateExpr::new(metric, Comparator::Le, limit),
        });
    }
    gates.regression = if g.regression_fails {
        RegressionPolicy::Fail
    } else {
        RegressionPolicy::Warn
    };
    gates
}

/// The optimizer's limits, from the same settings as the gates: its p95 target is the project's p95 gate.
fn optimizer_settings(settings: &Settings) -> OptimizerSettings {
    let mut o = OptimizerSettings {
        p95_limit_ms: settings.gates.p95_limit_ms(),
        ..OptimizerSettings::default()
    };
    if let Some(mb) = settings.gates.memory_threshold_mb {
        o.memory_threshold_mb = Some(mb);
    }
    if let Some(cpu) = settings.gates.cpu_threshold_percent {
        o.cpu_threshold_percent = Some(cpu);
    }
    o
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::config::{parse_str, Overrides};

    fn settings(text: &str) -> Settings {
        let cfg = parse_str(text, "perfgate.toml").unwrap();
        Settings::resolve(
            Some((&cfg, Path::new("perfgate.toml"), text)),
            &BTreeMap::new(),
            &Overrides::default(),
        )
        .unwrap()
    }

    const OPS: &str = "[target]\nbase_url = \"http://127.0.0.1:9\"\n[[operations]]\nname = \"a\"\npath = \"/a\"\n";

    #[test]
    fn the_projects_p95_gate_is_the_optimizers_target() {
        let v = Verdict::from_settings(&settings(&format!(
            "{OPS}[gates]\nall = [\"p95 < 200ms\"]\n"
        )))
        .unwrap();
        assert_eq!(v.optimizer.p95_limit_ms, 200.0);
        assert_eq!(v.gates.gates.len(), 1);
        let d = Verdict::from_settings(&settings(OPS)).unwrap();
        assert_eq!(d.optimizer.p95_limit_ms, 500.0);
        assert_eq!(d.gates, default_gates());
    }

    #[test]
    fn thresholds_become_gates_and_the_policy_follows_the_config() {
        let v = Verdict::from_settings(&settings(&format!(
            "{OPS}[gates]\nregression = \"warn\"\nmemory_threshold_mb = 64\n"
        )))
        .unwrap();
        assert_eq!(v.gates.regression, RegressionPolicy::Warn);
        assert!(v
            .gates
            .gates
            .iter()
            .any(|g| g.expr.metric == Metric::MemoryMb && g.expr.limit == 64.0));
        assert_eq!(v.optimizer.memory_threshold_mb, Some(64.0));
    }
}
