//! The pull request comment: its body (the same Markdown as the job summary) and posting it.
//!
//! Posting goes through [`crate::github::sticky`]: one comment per suite per pull request, updated in
//! place. A `403` is the expected answer on a fork's pull request (its token is read-only); it does not fail
//! the step — the caller keeps the result in the job summary and the report directory and explains the
//! two-workflow mode. Other GitHub failures, after the bounded retries, are warnings too: the verdict of
//! the run does not depend on GitHub accepting a comment.

use std::collections::BTreeMap;

use perfgate_reports::render::escape::escape_prose;
use perfgate_reports::render::pr_comment::{self, CommentInput, CommentLinks};
use perfgate_reports::RunRecord;
use perfgate_web::paths::operation_page;
use perfgate_web::OperationKey;

use super::inputs::CommentWhen;
use super::judge::Tally;
use crate::github::{sticky, ApiError, GitHub, RetryPolicy, StickyOutcome};

/// The hidden marker that finds a suite's comment again (the renderer's).
pub fn marker(suite: &str) -> String {
    pr_comment::comment_marker(suite)
}

/// The links of the comment: the run, the base commit, and the site's home and operation pages (relative
/// to `site_url`, in the layout of `perfgate-web`).
pub fn links(
    record: &RunRecord,
    run_url: Option<String>,
    base_commit_url: Option<String>,
    site_url: Option<String>,
) -> CommentLinks {
    let mut operation_urls = BTreeMap::new();
    if let Some(site) = &site_url {
        for (test_type, op) in record.operations() {
            let key = OperationKey::new(record.suite.clone(), test_type, op.operation_name.clone());
            operation_urls
                .entry(op.operation_name.clone())
                .or_insert_with(|| format!("{site}{}", operation_page(&key, 1)));
        }
    }
    CommentLinks {
        run_url,
        site_url,
        base_commit_url,
        operation_urls,
    }
}

/// The comment's Markdown (also the job summary): marker, verdict, changed rows, details, links, and the
/// note on the baseline when there is none; within GitHub's 65,536 characters.
pub fn body(
    record: &RunRecord,
    links: CommentLinks,
    baseline_note: Option<&str>,
    base_capacity: Option<&perfgate_reports::capacity::Capacity>,
) -> String {
    let note = baseline_note
        .map(|n| format!("\n> {}\n", escape_prose(n)))
        .unwrap_or_default();
    let budget = pr_comment::MAX_COMMENT_CHARS.saturating_sub(note.chars().count());
    let mut out = pr_comment::render_with_limit(
        &CommentInput {
            suite: &record.suite,
            head: record,
            comparison: None,
            links,
            // The line shows when the capacity moved from the base's latest stress run.
            base_capacity,
        },
        budget,
    );
    out.push_str(&note);
    out
}

/// Whether this run's comment should be created (`Some(true)`), only kept current if it exists
/// (`Some(false)`), or left alone (`None`).
pub fn wanted(when: CommentWhen, t: &Tally) -> Option<bool> {
    match when {
        CommentWhen::Never => None,
        CommentWhen::Auto | CommentWhen::Always => Some(true),
        CommentWhen::OnChange => Some(t.failed_gates + t.regressions + t.improvements > 0),
        CommentWhen::OnRegression => Some(t.failed_gates + t.regressions > 0),
    }
}

/// Creates or updates the sticky comment.
pub fn post(
    api_url: &str,
    token: &str,
    repository: &str,
    number: u64,
    suite: &str,
    body: &str,
    create: bool,
) -> Result<StickyOutcome, ApiError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::Setup(format!("tokio runtime: {e}")))?;
    rt.block_on(async {
        let gh = GitHub::new(api_url, token, repository, RetryPolicy::from_env())?;
        sticky::upsert(&gh, number, &marker(suite), body, create).await
    })
}

/// The warning of a `403`: what happened, where the result is, and how to get the comment.
pub fn forbidden_warning(number: u64, err: &ApiError, report_dir: &str) -> String {
    format!(
        "perfgate could not comment on pull request #{number}: {err}. Pull requests from forks get a read-only \
         token, so the result is in this job's summary and in {report_dir} (upload it as an artifact). To get \
         the comment, use the two-workflow mode: the `pull_request` workflow runs `perfgate action --mode run` \
         (input `mode: run`, no write permission) and uploads the `report-dir` output as an artifact; a \
         `workflow_run` workflow with `pull-requests: write` downloads it and runs \
         `perfgate action --mode report --from DIR` (inputs `mode: report`, `from: DIR`). That workflow never \
         runs the pull request's code. See examples/workflows/pull-request.yml and report.yml."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_links_point_at_the_sites_pages_under_the_site_url() {
        let rec = perfgate_reports::RunRecord::from_json_value(
            serde_json::json!({
                "schema": "perfgate/run@1", "run_id": "r1", "suite": "api", "test_type": "benchmark",
                "started_at": "2026-11-27T10:00:00Z", "finished_at": "2026-11-27T10:00:01Z",
                "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 2, "memory_gib": 8, "fingerprint": "f"},
                "benchmark": {"iterations": 1, "warmup_iterations": 0, "operations": [{
                    "operation_name": "search", "total_requests": 1, "failed_requests": 0,
                    "latency_ms": {"min": 1.0, "max": 1.0, "p50": 1.0, "p95": 1.0, "p99": 1.0, "avg": 1.0},
                    "throughput_rps": 1.0, "success_rate_percent": 100.0,
                    "memory_usage_mb": 0.0, "cpu_usage_percent": 0.0}]}
            }),
            "r1.json",
        )
        .unwrap();
        let l = links(&rec, None, None, Some("https://o.github.io/r/".into()));
        let url = &l.operation_urls["search"];
        assert!(
            url.starts_with("https://o.github.io/r/ops/search-benchmark-"),
            "{url}"
        );
        assert!(links(&rec, None, None, None).operation_urls.is_empty());
        let b = body(&rec, l.clone(), Some("no baseline yet"), None);
        assert!(b.starts_with(&marker("api")), "{b}");
        assert!(b.trim_end().ends_with("> no baseline yet"), "{b}");

        // A stress run whose capacity moved from the base's latest: the line is in the comment, with the base
        // found among the history (the newest run that has a fit).
        use perfgate_reports::capacity::{estimate, CurvePoint};
        let curve = |lambda: f64| -> Vec<CurvePoint> {
            (1..=6)
                .map(|i| {
                    let n = f64::from(i) * 5.0;
                    let x = perfgate_reports::capacity::usl(lambda, 0.03, 0.001, n);
                    CurvePoint {
                        users: n,
                        throughput_rps: x,
                        mean_ms: n / x * 1e3,
                        p95_ms: 2e3 * n / x,
                    }
                })
                .collect()
        };
        let with_capacity = |lambda: f64, at: &str| {
            let mut r = rec.clone();
            r.started_at = at.parse().unwrap();
            r.stress = Some(perfgate_reports::record::StressSection {
                capacity: Some(estimate(&curve(lambda), 0.0, None)),
                ..Default::default()
            });
            r
        };
        let history = [
            with_capacity(100.0, "2026-11-25T10:00:00Z"),
            with_capacity(200.0, "2026-11-26T10:00:00Z"),
            rec.clone(),
        ];
        let base = super::super::judge::base_capacity(&history).expect("a base fit");
        assert!(
            base.max_throughput_rps.unwrap() > 1000.0,
            "the newest fit: {base:?}"
        );
        let head = with_capacity(100.0, "2026-11-27T10:00:00Z");
        let b = body(&head, l.clone(), None, Some(&base));
        assert!(b.contains("max throughput -50%"), "{b}");
        let same = with_capacity(200.0, "2026-11-27T10:00:00Z");
        assert!(!body(&same, l, None, Some(&base)).contains("max throughput"));
    }

    #[test]
    fn when_to_comment() {
        let quiet = Tally::default();
        let better = Tally {
            improvements: 1,
            ..Tally::default()
        };
        let worse = Tally {
            regressions: 1,
            ..Tally::default()
        };
        assert_eq!(wanted(CommentWhen::Auto, &quiet), Some(true));
        assert_eq!(wanted(CommentWhen::OnChange, &quiet), Some(false));
        assert_eq!(wanted(CommentWhen::OnChange, &better), Some(true));
        assert_eq!(wanted(CommentWhen::OnRegression, &better), Some(false));
        assert_eq!(wanted(CommentWhen::OnRegression, &worse), Some(true));
        assert_eq!(wanted(CommentWhen::Never, &worse), None);
    }
}
