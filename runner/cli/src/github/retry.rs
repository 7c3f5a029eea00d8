//! When to try a GitHub API call again, and how long to wait first.
//!
//! GitHub's documented rules (REST API, "Rate limits"): on a `429`, or a `403` that carries rate-limit
//! headers, wait `Retry-After` seconds when it is present; else, when `x-ratelimit-remaining` is `0`, wait
//! until `x-ratelimit-reset`; else (a secondary rate limit without headers) wait at least a minute. Server
//! errors (`5xx`) and dropped connections are retried with exponential backoff. A `403` without any of those
//! signs is a permission problem (the read-only token of a fork's pull request) and is never retried.
//!
//! Everything is bounded: attempts, any single wait, and the total time spent waiting. A wait GitHub asks
//! for that is longer than perfgate is willing to sleep ends the retries with a message that says so,
//! rather than holding a CI job for an hour. The decision is a pure function of the failure and the clock,
//! so the rules are unit-tested without a server.

use std::time::Duration;

use http::HeaderMap;

/// Bounds of the retries around one GitHub call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff after a server error; it doubles per attempt.
    pub base_backoff: Duration,
    /// Longest backoff after a server error.
    pub max_backoff: Duration,
    /// Longest single wait perfgate accepts from `Retry-After` or a rate-limit reset.
    pub max_wait: Duration,
    /// Longest total time spent waiting for one call.
    pub budget: Duration,
    /// How long one attempt may wait for GitHub's answer (read and write timeout of the connection).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(16),
            max_wait: Duration::from_secs(90),
            budget: Duration::from_secs(180),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

/// The variable that sets [`RetryPolicy::attempt_timeout`] in seconds (a slow GitHub Enterprise Server).
pub const TIMEOUT_VAR: &str = "PERFGATE_GITHUB_TIMEOUT";

impl RetryPolicy {
    /// The default policy, with the attempt timeout from `PERFGATE_GITHUB_TIMEOUT` (seconds, > 0) when it
    /// is set; any other value is ignored with a warning.
    pub fn from_env() -> RetryPolicy {
        let mut p = RetryPolicy::default();
        if let Ok(v) = std::env::var(TIMEOUT_VAR) {
            match v.trim().parse::<f64>() {
                Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
                    p.attempt_timeout = Duration::from_secs_f64(secs);
                }
                _ => tracing::warn!(
                    "{TIMEOUT_VAR}={v:?} is not a number of seconds (0 < s ≤ 3600); using {} s",
                    p.attempt_timeout.as_secs()
                ),
            }
        }
        p
    }
}

/// What went wrong with one attempt.
#[derive(Clone, Copy, Debug)]
pub struct Failure<'a> {
    /// The HTTP status; `None` when no response arrived (connection refused, reset, timed out).
    pub status: Option<u16>,
    pub headers: Option<&'a HeaderMap>,
    /// GitHub's `message`.
    pub message: &'a str,
}

/// Whether to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Do not retry; the text says why when that is not obvious from the failure itself.
    Stop(Option<String>),
}

/// The rate-limit wait GitHub asks for, if this failure is a rate limit. `now` is the Unix time in seconds.
fn rate_limit_wait(f: &Failure<'_>, now: i64) -> Option<Duration> {
    let header = |name: &str| {
        f.headers
            .and_then(|h| h.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some(Duration::from_secs((t.timestamp() - now).max(0) as u64));
        }
    }
    if header("x-ratelimit-remaining") == Some("0") {
        if let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()) {
            return Some(Duration::from_secs((reset - now).max(1) as u64));
        }
    }
    let secondary = f.message.to_ascii_lowercase().contains("rate limit");
    if f.status == Some(429) || secondary {
        return Some(Duration::from_secs(60));
    }
    None
}

/// Decides what to do after attempt number `attempt` (1-based) failed with `f`, having already slept
/// `slept` for this call.
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    f: &Failure<'_>,
    now: i64,
    slept: Duration,
) -> Decision {
    let wait = match f.status {
        None => backoff(policy, attempt),
        Some(s) if s >= 500 => backoff(policy, attempt),
        Some(429) | Some(403) => match rate_limit_wait(f, now) {
            Some(w) if w > policy.max_wait => {
                return Decision::Stop(Some(format!(
                    "GitHub asks to wait {} s before the next request (rate limit); perfgate waits at most {} s",
                    w.as_secs(),
                    policy.max_wait.as_secs()
                )))
            }
            Some(w) => w,
            None => return Decision::Stop(None),
        },
        Some(_) => return Decision::Stop(None),
    };
    if attempt >= policy.max_attempts {
        return Decision::Stop(Some(format!("gave up after {attempt} attempts")));
    }
    if slept + wait > policy.budget {
        return Decision::Stop(Some(format!(
            "gave up after {attempt} attempts and {} s of waiting",
            slept.as_secs()
        )));
    }
    Decision::RetryAfter(wait)
}

/// The pause after failed attempt number `attempt` (1-based) of a server error: doubling, capped.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    crate::backoff::doubling(
        policy.base_backoff,
        policy.max_backoff,
        attempt.saturating_sub(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn fail<'a>(status: Option<u16>, h: Option<&'a HeaderMap>, msg: &'a str) -> Failure<'a> {
        Failure {
            status,
            headers: h,
            message: msg,
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn server_errors_and_dropped_connections_back_off_exponentially_then_stop() {
        let p = RetryPolicy::default();
        let f = fail(Some(502), None, "Bad Gateway");
        let waits: Vec<_> = (1..=4)
            .map(|a| decide(&p, a, &f, NOW, Duration::ZERO))
            .collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8].map(|s| Decision::RetryAfter(Duration::from_secs(s)))
        );
        assert!(matches!(
            decide(&p, 5, &f, NOW, Duration::ZERO),
            Decision::Stop(Some(_))
        ));
        assert_eq!(
            decide(
                &p,
                1,
                &fail(None, None, "connection reset"),
                NOW,
                Duration::ZERO
            ),
            Decision::RetryAfter(Duration::from_secs(1))
        );
    }

    #[test]
    fn retry_after_wins_in_seconds_or_as_a_date() {
        let p = RetryPolicy::default();
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(
            decide(&p, 1, &fail(Some(429), Some(&h), ""), NOW, Duration::ZERO),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        let date = chrono::DateTime::from_timestamp(NOW + 12, 0)
            .unwrap()
            .to_rfc2822();
        let h = headers(&[("retry-after", &date)]);
        assert_eq!(
            decide(&p, 1, &fail(Some(403), Some(&h), ""), NOW, Duration::ZERO),
            Decision::RetryAfter(Duration::from_secs(12))
        );
    }

    #[test]
    fn primary_limit_waits_for_the_reset_and_secondary_limit_for_a_minute() {
        let p = RetryPolicy::default();
        let reset = (NOW + 30).to_string();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(
            decide(
                &p,
                1,
                &fail(Some(403), Some(&h), "API rate limit exceeded"),
                NOW,
                Duration::ZERO
            ),
            Decision::RetryAfter(Duration::from_secs(30))
        );
        let msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
        assert_eq!(
            decide(&p, 1, &fail(Some(403), None, msg), NOW, Duration::ZERO),
            Decision::RetryAfter(Duration::from_secs(60))
        );
        assert_eq!(
            decide(&p, 1, &fail(Some(429), None, ""), NOW, Duration::ZERO),
            Decision::RetryAfter(Duration::from_secs(60))
        );
    }

    #[test]
    fn a_plain_403_and_other_client_errors_are_not_retried() {
        let p = RetryPolicy::default();
        let msg = "Resource not accessible by integration";
        assert_eq!(
            decide(&p, 1, &fail(Some(403), None, msg), NOW, Duration::ZERO),
            Decision::Stop(None)
        );
        for s in [400, 401, 404, 422] {
            assert_eq!(
                decide(&p, 1, &fail(Some(s), None, "x"), NOW, Duration::ZERO),
                Decision::Stop(None)
            );
        }
    }

    #[test]
    fn waits_are_bounded_singly_and_in_total() {
        let p = RetryPolicy::default();
        let h = headers(&[("retry-after", "3600")]);
        match decide(&p, 1, &fail(Some(429), Some(&h), ""), NOW, Duration::ZERO) {
            Decision::Stop(Some(why)) => assert!(why.contains("3600"), "{why}"),
            other => panic!("{other:?}"),
        }
        let h = headers(&[("retry-after", "60")]);
        assert!(matches!(
            decide(
                &p,
                2,
                &fail(Some(429), Some(&h), ""),
                NOW,
                Duration::from_secs(150)
            ),
            Decision::Stop(Some(_))
        ));
    }
}
