//! The one place a record is judged: the verdict settings come from the config here ([`Verdict::from_settings`]),
//! and [`Verdict::judge`] applies them — acknowledgements, gates, recommendations, the comparison — once.
//!
//! Gate expressions are parsed when the config is read, so a bad one is a config error (exit 2, with
//! file:line:col) before the target is touched, not after a ten-minute run.

use perfgate_reports::analysis::Comparison;
use perfgate_reports::analysis::{judge, JudgeSettings, OverallStatus};
use perfgate_reports::gates::{default_gates, Comparator, Gate, GateExpr, Gates, RegressionPolicy};
use perfgate_reports::metric::Metric;
use perfgate_reports::record::RunRecord;

use crate::config::Settings;
use crate::error::{ExitStatus, Result};
use crate::targets::mcp::INITIALIZE_OPERATION;

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// What a run is judged by: `reports`' [`JudgeSettings`] (the project's gates, acknowledgements and side
/// operations), built from the config in one place.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub settings: JudgeSettings,
}

impl Verdict {
    /// The verdict settings of `settings` (whose gate expressions were checked when the config was read).
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let mut judge = JudgeSettings::new(build_gates(settings))
            .with_acknowledgements(settings.acknowledgements.iter().cloned());
        if settings.mcp.is_some() {
            // `mcp.initialize` runs as often as the schedule opens sessions: not the user's operation.
            judge = judge.with_side_operations([INITIALIZE_OPERATION]);
        }
        if settings.base_url.as_deref().is_some_and(is_https) {
            // `tls.handshake` runs once per new connection, not at the user's rate.
            judge = judge.with_side_operations([crate::tls::HANDSHAKE_OPERATION]);
        }
        Ok(Self { settings: judge })
    }

    /// Judges by `gates` alone (the library API's runs).
    pub fn of_gates(gates: Gates) -> Self {
        Self {
            settings: JudgeSettings::new(gates),
        }
    }

    /// The p95 limit every operation without its own gate is held to, ms.
    pub fn p95_limit_ms(&self) -> f64 {
        self.settings.p95_limit_ms(None)
    }

    /// Judges `record` against `comparison` (when there is one) with [`judge`]: acknowledgements first
    /// (expired ones become record warnings), then gates and recommendations into `record.analysis`.
    /// Prints the comparison's notes; returns the exit status.
    pub fn judge(&self, record: &mut RunRecord, comparison: Option<Comparison>) -> ExitStatus {
        tracing::debug!(
            run = %record.run_id,
            compared = comparison.is_some(),
            "judging the run"
        );
        let today = chrono::Utc::now().date_naive();
        let judgement = judge(record, &self.settings, comparison, today);
        for note in &judgement.notes {
            eprintln!("perfgate: {note}");
        }
        // A run cut short (SIGINT/SIGTERM) is never a pass, whatever its numbers say.
        if let Some(why) = record.incomplete.clone() {
            let analysis = record.analysis.get_or_insert_with(Default::default);
            analysis.status = OverallStatus::Fail;
            analysis
                .reasons
                .insert(0, format!("incomplete run ({why})"));
            return ExitStatus::GateFailed;
        }
        if judgement.failed() {
            ExitStatus::GateFailed
        } else {
            ExitStatus::Pass
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
        // The optimizer judges each operation by the gates in force: `a` is held to 200 ms.
        let optimizer = v.settings.optimizer_settings();
        assert_eq!(optimizer.gates.limits(Some("a")).p95_ms, 200.0);
        assert_eq!(v.p95_limit_ms(), 200.0);
        assert_eq!(v.settings.gates.gates.len(), 1);
        let d = Verdict::from_settings(&settings(OPS)).unwrap();
        assert_eq!(
            d.settings
                .optimizer_settings()
                .gates
                .limits(Some("a"))
                .p95_ms,
            500.0
        );
        assert_eq!(d.settings.gates, default_gates());
    }

    #[test]
    fn thresholds_become_gates_and_the_policy_follows_the_config() {
        let v = Verdict::from_settings(&settings(&format!(
            "{OPS}[gates]\nregression = \"warn\"\nmemory_threshold_mb = 64\n"
        )))
        .unwrap();
        assert_eq!(v.settings.gates.regression, RegressionPolicy::Warn);
        assert!(v
            .settings
            .gates
            .gates
            .iter()
            .any(|g| g.expr.metric == Metric::MemoryMb && g.expr.limit == 64.0));
        assert!(v
            .settings
            .optimizer_settings()
            .gates
            .gates
            .iter()
            .any(|g| g.expr.metric == Metric::MemoryMb));
    }
}
