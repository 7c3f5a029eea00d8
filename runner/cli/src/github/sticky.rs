//! One comment per suite per pull request, edited in place on every run.
//!
//! The comment is found by a hidden marker in its body (`<!-- perfgate:comment suite=NAME -->`, from the
//! comment renderer), so each suite keeps its own comment and nothing else is touched. Comments written by a
//! bot are preferred over a human's comment that happens to quote the marker. Should two jobs have raced and
//! left two perfgate comments for the same suite, the oldest is kept and updated and the others are deleted,
//! so a pull request converges back to one comment.
//!
//! Creating is the one call that must not be repeated blind: when GitHub created the comment but the answer
//! was lost (a timeout, a dropped connection, a 5xx from a proxy), a second POST makes a second comment. So a
//! create that may have happened is followed by listing the comments again; the one with the marker, if it
//! is there now, is updated, and only otherwise is the create tried again (within the retry policy's bounds).

use super::client::{ApiError, GitHub, IssueComment};

/// What happened to the comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StickyOutcome {
    Created(IssueComment),
    Updated(IssueComment),
    /// No comment exists and none was wanted.
    Skipped,
}

impl StickyOutcome {
    /// The comment's URL, when there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            StickyOutcome::Created(c) | StickyOutcome::Updated(c) => Some(&c.html_url),
            StickyOutcome::Skipped => None,
        }
    }
}

/// The comments carrying `marker`, the one to keep first.
pub fn matching<'a>(comments: &'a [IssueComment], marker: &str) -> Vec<&'a IssueComment> {
    let mut found: Vec<&IssueComment> = comments
        .iter()
        .filter(|c| c.body.contains(marker))
        .collect();
    // Stable: bots first, then oldest (the API lists oldest first).
    found.sort_by_key(|c| !c.author_is_bot);
    found
}

/// Updates the perfgate comment of `number` carrying `marker`, or creates it when `create` is true.
/// Extra copies (from racing jobs) are deleted; failing to delete one is only logged.
pub async fn upsert(
    gh: &GitHub,
    number: u64,
    marker: &str,
    body: &str,
    create: bool,
) -> Result<StickyOutcome, ApiError> {
    let comments = gh.list_comments(number).await?;
    let found = matching(&comments, marker);
    let Some(keep) = found.first() else {
        if !create {
            return Ok(StickyOutcome::Skipped);
        }
        return create_once(gh, number, marker, body).await;
    };
    let updated = if keep.body == body {
        (*keep).clone()
    } else {
        gh.update_comment(keep.id, body).await?
    };
    for extra in found.iter().skip(1).filter(|c| c.author_is_bot) {
        if let Err(e) = gh.delete_comment(extra.id).await {
            tracing::warn!("could not delete a duplicate perfgate comment: {e}");
        }
    }
    Ok(StickyOutcome::Updated(updated))
}

/// Creates the comment; after a failure that may have created it, looks again before another try.
async fn create_once(
    gh: &GitHub,
    number: u64,
    marker: &str,
    body: &str,
) -> Result<StickyOutcome, ApiError> {
    let mut attempt = 1;
    loop {
        let err = match gh.create_comment(number, body).await {
            Ok(c) => return Ok(StickyOutcome::Created(c)),
            Err(e) => e,
        };
        if !err.may_have_happened() || attempt >= gh.policy().max_attempts {
            return Err(err);
        }
        tracing::warn!(
            "{err}; looking for the comment on #{number} before creating it again (attempt {} of {})",
            attempt + 1,
            gh.policy().max_attempts
        );
        tokio::time::sleep(super::retry::backoff(gh.policy(), attempt)).await;
        let comments = gh.list_comments(number).await?;
        if let Some(made) = matching(&comments, marker).first() {
            let made = if made.body == body {
                (*made).clone()
            } else {
                gh.update_comment(made.id, body).await?
            };
            return Ok(StickyOutcome::Created(made));
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u64, body: &str, bot: bool) -> IssueComment {
        IssueComment {
            id,
            body: body.into(),
            html_url: format!("https://example.invalid/c/{id}"),
            author: if bot { "github-actions[bot]" } else { "alice" }.into(),
            author_is_bot: bot,
        }
    }

    #[test]
    fn finds_only_its_suite_and_prefers_the_bots_oldest_comment() {
        let m = "<!-- perfgate:comment suite=api -->";
        let all = vec![
            c(1, "> quoting <!-- perfgate:comment suite=api -->", false),
            c(2, "<!-- perfgate:comment suite=web -->\nweb", true),
            c(3, "<!-- perfgate:comment suite=api -->\nold", true),
            c(4, "<!-- perfgate:comment suite=api -->\ndup", true),
            c(5, "unrelated", true),
        ];
        let ids: Vec<u64> = matching(&all, m).iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![3, 4, 1]);
        assert!(matching(&all, "<!-- perfgate:comment suite=none -->").is_empty());
    }
}
