//! Default-branch alerts on GitHub: one issue per suite, or a comment on the pushed commit.
//!
//! The issue is found again by the hidden marker in its body (`<!-- perfgate-alert suite=NAME -->`), among
//! the repository's **open** issues (every page): while a regression lasts, each run edits the issue's body
//! and adds a short comment (so watchers are notified, not sent a new issue each night); when the series
//! recovers, a last comment says so and the issue is closed. A later regression opens a new issue. Only an
//! issue whose body **starts** with the marker is perfgate's (an issue that quotes it is someone's report,
//! and is never edited); a bot's is preferred, then the oldest.
//!
//! Creating (an issue, a comment, a commit comment) is the one call that must not be repeated blind: a
//! create that may have happened ([`ApiError::may_have_happened`]: no answer, a timeout, a 5xx) is followed
//! by listing again and looking for the marker; only when it is not there is the create tried again, within
//! the retry policy's bounds — as [`super::sticky`] does for the pull request comment. The comment of a run
//! carries the run's own marker, so a re-run of the same workflow run edits its comment instead of adding one.

use std::future::Future;

use super::client::{ApiError, GitHub, Issue, IssueComment};
use super::sticky;

/// What an alert call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertOutcome {
    /// A new issue.
    Opened(Issue),
    /// The open issue, edited and commented.
    Updated(Issue),
    /// The open issue, commented and closed.
    Closed(Issue),
    /// A comment on the commit (new, or the one this suite already had there).
    CommitComment(IssueComment),
}

impl AlertOutcome {
    pub fn url(&self) -> &str {
        match self {
            AlertOutcome::Opened(i) | AlertOutcome::Updated(i) | AlertOutcome::Closed(i) => {
                &i.html_url
            }
            AlertOutcome::CommitComment(c) => &c.html_url,
        }
    }
}

/// The open issues whose body starts with `marker`, the one to keep first: a bot's before a human's (a
/// personal token), then the oldest.
pub fn matching_issues<'a>(issues: &'a [Issue], marker: &str) -> Vec<&'a Issue> {
    let mut found: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.state != "closed" && i.body.trim_start().starts_with(marker))
        .collect();
    found.sort_by_key(|i| (!i.author_is_bot, i.number));
    found
}

/// The open alert issue carrying `marker`, if there is one.
pub async fn find_open(gh: &GitHub, marker: &str) -> Result<Option<Issue>, ApiError> {
    let issues = gh.list_open_issues().await?;
    Ok(matching_issues(&issues, marker)
        .first()
        .map(|i| (*i).clone()))
}

/// Raises the alert: edits `open`'s body and adds `comment` to it (found again by `comment_marker` should
/// this run be repeated), or, without an open issue, opens one with `title` and `body` (`body` carries
/// `marker`).
pub async fn raise(
    gh: &GitHub,
    marker: &str,
    open: Option<&Issue>,
    title: &str,
    body: &str,
    comment: &str,
    comment_marker: &str,
) -> Result<AlertOutcome, ApiError> {
    if let Some(issue) = open {
        let updated = if issue.body == body {
            issue.clone()
        } else {
            gh.update_issue(issue.number, Some(body), None).await?
        };
        sticky::upsert(gh, issue.number, comment_marker, comment, true).await?;
        return Ok(AlertOutcome::Updated(updated));
    }
    let issue = create_once(
        gh,
        || gh.create_issue(title, body),
        || async { find_open(gh, marker).await },
    )
    .await?;
    Ok(AlertOutcome::Opened(issue))
}

/// Resolves the alert: comments on `issue` (the comment carries `comment_marker`), edits its body, closes it.
pub async fn resolve(
    gh: &GitHub,
    issue: &Issue,
    body: &str,
    comment: &str,
    comment_marker: &str,
) -> Result<AlertOutcome, ApiError> {
    sticky::upsert(gh, issue.number, comment_marker, comment, true).await?;
    let closed = gh
        .update_issue(issue.number, Some(body), Some("closed"))
        .await?;
    Ok(AlertOutcome::Closed(closed))
}

/// Comments on commit `sha`, once per `marker`: when the commit already has this suite's alert (a re-run),
/// that comment is returned and nothing is added.
pub async fn comment_on_commit(
    gh: &GitHub,
    sha: &str,
    marker: &str,
    body: &str,
) -> Result<AlertOutcome, ApiError> {
    let look = || async {
        let comments = gh.list_commit_comments(sha).await?;
        Ok(sticky::matching(&comments, marker)
            .first()
            .map(|c| (*c).clone()))
    };
    if let Some(c) = look().await? {
        return Ok(AlertOutcome::CommitComment(c));
    }
    let c = create_once(gh, || gh.create_commit_comment(sha, body), look).await?;
    Ok(AlertOutcome::CommitComment(c))
}

/// Runs `create`; after a failure that may have created the thing, runs `look` before another try and
/// returns what it finds.
async fn create_once<T, C, CF, L, LF>(
    gh: &GitHub,
    mut create: C,
    mut look: L,
) -> Result<T, ApiError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, ApiError>>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<T>, ApiError>>,
{
    let mut attempt = 1;
    loop {
        let err = match create().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !err.may_have_happened() || attempt >= gh.policy().max_attempts {
            return Err(err);
        }
        tracing::warn!(
            "{err}; looking for it before creating it again (attempt {} of {})",
            attempt + 1,
            gh.policy().max_attempts
        );
        tokio::time::sleep(super::retry::backoff(gh.policy(), attempt)).await;
        if let Some(made) = look().await? {
            return Ok(made);
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(number: u64, body: &str, bot: bool, state: &str) -> Issue {
        Issue {
            number,
            title: "t".into(),
            body: body.into(),
            html_url: format!("https://example.invalid/issues/{number}"),
            state: state.into(),
            author_is_bot: bot,
        }
    }

    #[test]
    fn finds_the_suites_open_issue_preferring_the_bots_oldest() {
        let m = "<!-- perfgate-alert suite=api -->";
        let all = vec![
            issue(
                9,
                "> quoting <!-- perfgate-alert suite=api -->",
                false,
                "open",
            ),
            issue(
                8,
                "<!-- perfgate-alert suite=api -->\nby a personal token",
                false,
                "open",
            ),
            issue(3, "<!-- perfgate-alert suite=api2 -->", true, "open"),
            issue(7, "<!-- perfgate-alert suite=api -->\nnewer", true, "open"),
            issue(5, "<!-- perfgate-alert suite=api -->\nolder", true, "open"),
            issue(
                2,
                "<!-- perfgate-alert suite=api -->\nclosed",
                true,
                "closed",
            ),
        ];
        let n: Vec<u64> = matching_issues(&all, m).iter().map(|i| i.number).collect();
        assert_eq!(n, vec![5, 7, 8], "a quote is not perfgate's issue");
        assert!(matching_issues(&all, "<!-- perfgate-alert suite=web -->").is_empty());
    }
}
