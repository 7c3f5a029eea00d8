//! The pull request comment: its body (the same Markdown as the job summary) and posting it.
//!
//! Posting goes through [`crate::github::sticky`]: one comment per suite per pull request, updated in
//! place. A `403` is the expected answer on a fork's pull request (its token is read-only); it does not fail
//! the step — the caller keeps the result in the job summary and the report directory and explains the
//! two-workflow mode. Other GitHub failures, after the bounded retries, are warnings too: the verdict of
//! the run does not depend on GitHub accepting a comment.

use perfgate_reports::render::optimization_report;
use perfgate_reports::RunRecord;

use super::inputs::CommentWhen;
use super::judge::Tally;
use crate::github::{sticky, ApiError, GitHub, RetryPolicy, StickyOutcome};

/// GitHub's limit on a comment body, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// Links shown under the verdict.
#[derive(Clone, Debug, Default)]
pub struct Links {
    pub run: Option<String>,
    pub base_commit: Option<(String, String)>,
    pub site: Option<String>,
}

/// The hidden marker that finds a suite's comment again.
pub fn marker(suite: &str) -> String {
    let safe: String = suite
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("<!-- perfgate:comment suite={safe} -->")
}

/// The comment's Markdown: marker, verdict and table, links; at most [`MAX_COMMENT_CHARS`] characters.
pub fn body(record: &RunRecord, links: &Links) -> String {
    let mut out = marker(&record.suite);
    out.push('\n');
    out.push_str(&optimization_report::render(record, None));
    let mut footer = Vec::new();
    if let Some(run) = &links.run {
        footer.push(format!("[workflow run]({run})"));
    }
    if let Some((sha, url)) = &links.base_commit {
        footer.push(format!("base [`{}`]({url})", sha.get(..7).unwrap_or(sha)));
    }
    if let Some(site) = &links.site {
        footer.push(format!("[history]({site})"));
    }
    let footer = if footer.is_empty() {
        String::new()
    } else {
        format!("\n---\n{}\n", footer.join(" · "))
    };
    let note = "\n\n… (truncated: the full report is in the job summary and the report artifact)\n";
    let room = MAX_COMMENT_CHARS.saturating_sub(footer.chars().count());
    if out.chars().count() > room {
        let keep = room.saturating_sub(note.chars().count());
        out = out.chars().take(keep).collect();
        out.push_str(note);
    }
    out.push_str(&footer);
    out
}

/// Whether this run's comment should be created (`Some(true)`), only kept current if it exists
/// (`Some(false)`), or left alone (`None`).
pub fn wanted(when: CommentWhen, t: &Tally) -> Option<bool> {
    match when {
        CommentWhen::Never => None,
        CommentWhen::Auto | CommentWhen::Always => Some(true),
        CommentWhen::OnChange => {
            Some(t.failed_gates + t.regressions + t.improvements > 0)
        }
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
        let gh = GitHub::new(api_url, token, repository, RetryPolicy::default())?;
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
    fn marker_is_stable_and_cannot_close_the_html_comment_early() {
        assert_eq!(marker("api"), "<!-- perfgate:comment suite=api -->");
        let m = marker("a -->b");
        assert_eq!(m, "<!-- perfgate:comment suite=a_--_b -->");
        assert_eq!(m.matches("-->").count(), 1);
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
