//! The Action's microbenchmark mode (inputs `bench-command`, `bench-format`, `bench-output`): run the harness
//! the project already has, ingest its output (`perfgate ingest`), judge it against the base branch's history
//! (the same fingerprint rules as a perfgate run), then comment and publish like any run.
//!
//! A microbench is judged by comparison only: no absolute gates (a 500 ms p95 or 10 rps floor means nothing
//! for a 12 ns function), so the verdict's gates are empty and a regression against history is what fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use perfgate::error::{Error, Result};
use perfgate::session::Verdict;
use perfgate_reports::gates::Gates;

use super::{
    alert, alert_changes, comment, comment_on, judge, publish_run, should_publish, Done, Inputs,
    Level, Note,
};
use crate::commands::ingest::{self, IngestFormat};
use crate::github::Context;

/// Runs `bench-command`, ingests and judges its output, comments or publishes.
pub(super) fn run_bench(
    inputs: &Inputs,
    ctx: &Context,
    env: &BTreeMap<String, String>,
) -> Result<Done> {
    let (Some(command), Some(format)) = (&inputs.bench_command, inputs.bench_format) else {
        return Err(Error::Usage(
            "bench-command and bench-format are both needed".into(),
        ));
    };
    let report_dir = PathBuf::from(
        env.get("PERFORMANCE_OUTPUT_DIR")
            .cloned()
            .unwrap_or_else(|| perfgate::config::DEFAULT_OUTPUT_DIR.to_string()),
    );
    std::fs::create_dir_all(&report_dir).map_err(|e| Error::io(&report_dir, e))?;
    let stdout_file = report_dir.join("bench-output.txt");
    eprintln!("perfgate: running the benchmarks: {command}");
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::Usage(format!("bench-command: could not start sh: {e}")))?;
    std::fs::write(&stdout_file, &out.stdout).map_err(|e| Error::io(&stdout_file, e))?;
    // The harness's own output stays visible in the job log.
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "bench-command exited with {}; its output is in {}",
            out.status,
            stdout_file.display()
        )));
    }
    let files = if !inputs.bench_output.is_empty() {
        inputs.bench_output.clone()
    } else if format == IngestFormat::Criterion && Path::new("target/criterion").is_dir() {
        vec![PathBuf::from("target/criterion")]
    } else {
        vec![stdout_file]
    };
    let suite = inputs
        .bench_suite
        .clone()
        .or_else(|| env.get("PERFORMANCE_SUITE").cloned())
        .unwrap_or_else(|| "default".to_string());
    let mut record = ingest::ingest(format, &files, &suite, chrono::Utc::now())?;
    // Each CI run is its own run, even when the harness printed identical numbers.
    record.run_id = format!(
        "{}-{}",
        record.run_id,
        record.started_at.format("%Y%m%dT%H%M%S")
    );

    let mut notes = Vec::new();
    let pr = ctx.pull_request.as_ref();
    let base_branch = pr
        .map(|p| p.base_ref.clone())
        .or_else(|| record.git.branch.clone());
    let (comparison, history, baseline_note) = match &base_branch {
        Some(b) => {
            match judge::compare_with_branch(Path::new("."), &record, &inputs.reports_branch, b) {
                Ok((c, h)) => (Some(c), h, None),
                Err(why) => (None, Vec::new(), Some(why)),
            }
        }
        None => (
            None,
            Vec::new(),
            Some("no baseline: the branch of this run is not known".to_string()),
        ),
    };
    if let Some(n) = &baseline_note {
        notes.push(Note {
            level: Level::Notice,
            text: n.clone(),
        });
    }
    Verdict::of_gates(Gates::default()).judge(&mut record, comparison);
    let changes = alert_changes(inputs, ctx, &history, &record);
    let summary = perfgate_reports::render::text_summary::render(&record);
    let written = perfgate::session::write_reports(&report_dir, &record, &summary)?;
    let mut done = Done {
        record,
        record_path: written.run_record,
        report_dir,
        regression_fails: true,
        comment_url: None,
        site_url: None,
        links: Default::default(),
        baseline_note,
        notes,
        deferred: None,
        alert_url: None,
        // Microbenchmarks have no stress curve.
        base_capacity: None,
    };
    done.links = comment::links(
        &done.record,
        ctx.run_url(),
        pr.and_then(|p| p.base_sha.as_deref())
            .and_then(|s| ctx.commit_url(s)),
        ctx.pages_url(),
    );
    if should_publish(inputs.publish, ctx.is_mainline()) {
        publish_run(inputs, ctx, &mut done);
    }
    if let Some(pr) = pr {
        comment_on(inputs, ctx, pr.number, &mut done);
    }
    if ctx.is_mainline() {
        if let Some(b) = &base_branch {
            alert::run(inputs, ctx, &mut done, &changes, b);
        }
    }
    Ok(done)
}
