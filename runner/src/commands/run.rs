//! `perfgate run`: the suite from `perfgate.toml`.

use std::path::Path;

use perfgate_reports::analysis::{
    self, apply_acknowledgements, Comparison, OptimizerSettings, OverallStatus,
};
use perfgate_reports::gates::{default_gates, Gate, GateExpr, Gates, RegressionPolicy};
use perfgate_reports::record::RunRecord;

use crate::cli::RunArgs;
use crate::commands::baseline;
use crate::commands::pipeline::{execute, print_finished, ExecOptions};
use crate::config::{self, Overrides, Settings};
use crate::error::{Error, ExitStatus, Result};

pub fn run(args: &RunArgs) -> Result<ExitStatus> {
    let env = config::process_env();
    let mut settings = load_settings(&args.config, &env, overrides(args))?;
    if let Some((index, total)) = args.shard {
        settings.apply_shard(index, total)?;
    }
    let finished = execute(
        &settings,
        args.test_type,
        &env,
        &ExecOptions {
            workers: None,
            quiet: args.output.quiet,
            verbose: args.output.verbose,
            write_files: true,
            baseline: args.baseline.clone(),
        },
    )?;
    print_finished(&finished, args.output.json);
    Ok(finished.status)
}

fn overrides(args: &RunArgs) -> Overrides {
    Overrides {
        duration: args.duration,
        concurrency: args.concurrency,
        iterations: args.iterations,
        target_rps: args.target_rps,
        output_dir: args.output.output_dir.clone(),
        base_url: args.base_url.clone(),
        pushgateway: args.output.pushgateway.clone(),
        metrics_addr: args.output.metrics_addr.clone(),
    }
}

/// Reads, parses and resolves a config file (exit 2 with file:line:key on any problem).
pub fn load_settings(
    path: &Path,
    env: &std::collections::BTreeMap<String, String>,
    flags: Overrides,
) -> Result<Settings> {
    if !path.exists() {
        return Err(Error::Config(format!(
            "{}: no such config file (create one with `perfgate init`, or pass --config)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = config::parse_str(&text, &path.display().to_string())?;
    Settings::resolve(Some((&cfg, path, &text)), env, &flags)
}

/// The gates of the settings: `[gates]` expressions (or the defaults), plus the memory/CPU thresholds.
pub fn build_gates(settings: &Settings) -> Result<Gates> {
    let file = settings
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "config".into());
    let parse = |key: &str, exprs: &[String]| -> Result<Vec<GateExpr>> {
        exprs
            .iter()
            .map(|e| {
                e.parse::<GateExpr>()
                    .map_err(|err| Error::Config(format!("{file}: key `{key}`: gate `{e}`: {err}")))
            })
            .collect()
    };
    let mut gates = match &settings.gates.all {
        Some(all) => Gates::new().with_all(parse("gates.all", all)?),
        None => default_gates(),
    };
    for (op, exprs) in &settings.gates.operations {
        gates = gates.with_operation(op, parse(&format!("gates.operations.{op}"), exprs)?);
    }
    if settings.mcp.is_some() {
        // `mcp.initialize` runs as often as the schedule opens sessions (once per user in `per_user`
        // mode): a throughput floor from `gates.all` means nothing for it. Its latency and error gates
        // still apply, and `[gates.operations] "mcp.initialize"` can add more.
        use perfgate_reports::gates::Comparator;
        use perfgate_reports::metric::Metric;
        gates = gates.with_operation(
            crate::target::mcp::INITIALIZE_OPERATION,
            [GateExpr::new(Metric::Rps, Comparator::Ge, 0.0)],
        );
    }
    let mut extra = Vec::new();
    if let Some(mb) = settings.gates.memory_threshold_mb {
        extra.push(format!("memory_mb <= {mb}"));
    }
    if let Some(cpu) = settings.gates.cpu_threshold_percent {
        extra.push(format!("cpu_percent <= {cpu}"));
    }
    for expr in parse("gates (thresholds)", &extra)? {
        gates.gates.push(Gate {
            operation: None,
            expr,
        });
    }
    gates.regression = if settings.gates.regression_fails {
        RegressionPolicy::Fail
    } else {
        RegressionPolicy::Warn
    };
    Ok(gates)
}

/// The optimizer's limits, from the same settings as the gates.
pub fn optimizer_settings(settings: &Settings) -> OptimizerSettings {
    let mut o = OptimizerSettings {
        p95_limit_ms: settings.stress.rules.max_p95_ms,
        ..OptimizerSettings::default()
    };
    if let Some(mb) = settings.gates.memory_threshold_mb {
        o.memory_threshold_mb = mb;
    }
    if let Some(cpu) = settings.gates.cpu_threshold_percent {
        o.cpu_threshold_percent = cpu;
    }
    o
}

/// Side operations (`mcp.initialize`) run as often as the schedule opens sessions: a throughput finding
/// about them says nothing about the service, so it is dropped (their other findings stay).
fn quiet_side_operations(operations: &mut [analysis::optimizer::OperationAnalysis]) {
    use analysis::optimizer::{RecommendationType, Status};
    for op in operations
        .iter_mut()
        .filter(|o| o.operation == crate::target::mcp::INITIALIZE_OPERATION)
    {
        op.recommendations
            .retain(|r| r.kind != RecommendationType::Throughput);
        if op.recommendations.is_empty() {
            op.status = Status::Ok;
        }
    }
}

/// Evaluates gates and recommendations into `record.analysis`; returns the exit status they imply.
pub fn analyze(record: &mut RunRecord, settings: &Settings) -> Result<ExitStatus> {
    analyze_with_baseline(record, settings, None)
}

/// [`analyze`] with a comparison made by the caller (the Action's baseline from the reports branch);
/// acknowledgements apply as in [`analyze_with_comparison`].
pub fn analyze_with(
    record: &mut RunRecord,
    settings: &Settings,
    comparison: Option<Comparison>,
) -> Result<ExitStatus> {
    analyze_with_comparison(record, settings, comparison)
}

/// [`analyze`] against a baseline: `baseline` is a run record file (compared run to run) or a folder of
/// run records / a reports-branch checkout (compared with the history of runs on the same machine
/// fingerprint). `[[acknowledge]]` entries of `settings` are applied to the comparison; expired ones are
/// added to the record's warnings (with or without a comparison). The comparison lands in
/// `record.analysis.comparison`, and an unacknowledged regression fails the run under
/// `gates.regression = "fail"` (exit 1).
pub fn analyze_with_baseline(
    record: &mut RunRecord,
    settings: &Settings,
    baseline: Option<&Path>,
) -> Result<ExitStatus> {
    let comparison = match baseline {
        Some(path) => Some(baseline::compare_with_baseline(record, path)?),
        None => None,
    };
    analyze_with_comparison(record, settings, comparison)
}

/// [`analyze`] with a comparison made elsewhere (e.g. the A/B trials): acknowledgements are applied first.
pub fn analyze_with_comparison(
    record: &mut RunRecord,
    settings: &Settings,
    mut comparison: Option<Comparison>,
) -> Result<ExitStatus> {
    let today = chrono::Utc::now().date_naive();
    let expired: Vec<_> = match comparison.as_mut() {
        Some(c) => {
            for note in &c.notes {
                eprintln!("perfgate: {note}");
            }
            apply_acknowledgements(c, &settings.acknowledgements, today).expired
        }
        None => settings
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
        // A record analysed again (the Action judges it after the run) keeps one copy.
        if !record.warnings.contains(&warning) {
            record.warnings.push(warning);
        }
    }
    let gates = build_gates(settings)?;
    let mut section = analysis::analyze(record, &gates, comparison, &optimizer_settings(settings));
    quiet_side_operations(&mut section.operations);
    let status = if section.status == OverallStatus::Fail {
        ExitStatus::GateFailed
    } else {
        ExitStatus::Pass
    };
    record.analysis = Some(section);
    Ok(status)
}
