//! Pushing a finished run to a Prometheus Pushgateway (`--pushgateway URL`, `PERFORMANCE_PUSHGATEWAY_URL`).
//!
//! The run is PUT to `<URL>/metrics/job/perfgate/suite/<suite>`: the grouping key is the job and the suite,
//! and PUT replaces the whole group, so the gateway always holds the latest run of each suite — a run that
//! no longer has a stress section leaves no stale stress series behind. Run ids and commits are not in the
//! grouping key on purpose: every run would open a new group that the gateway keeps (and Prometheus scrapes)
//! forever. They are in `performance_test_run_info`. Pushed series must not repeat grouping labels, so the
//! body is rendered without the `suite` label the textfile has; the gateway adds `job`, `suite` and
//! `instance=""` to every series.
//!
//! A gateway that is down must not fail the run: connection errors, timeouts and 5xx answers are retried
//! with exponential backoff (4 attempts, at most ~25 s in all), then the caller gets a warning. A 4xx answer
//! (the gateway refused the body) is not retried; its message is part of the warning.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, Uri};
use perfgate_reports::record::RunRecord;
use perfgate_reports::render::prometheus;

use super::client;
use crate::config::redact_userinfo;

/// The `job` label of pushed series.
pub const JOB: &str = "perfgate";

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Pushes `record` to the gateway at `base_url`. The error is a warning sentence (the URL without any
/// password).
pub fn push(base_url: &str, record: &RunRecord, retry: Retry) -> Result<(), String> {
    let shown = redact_userinfo(base_url);
    let url = group_url(base_url, &record.suite)
        .ok_or_else(|| format!("Pushgateway URL `{shown}` is not an http:// or https:// URL"))?;
    let body = Bytes::from(prometheus::render(record, &[]));
    let auth = basic_auth(base_url);
    let attempt = |n: u32| {
        let mut b = Request::builder()
            .method(Method::PUT)
            .uri(url.clone())
            .header(CONTENT_TYPE, prometheus::CONTENT_TYPE);
        if let Some(a) = &auth {
            b = b.header(AUTHORIZATION, a.as_str());
        }
        let req = b.body(body.clone());
        async move {
            let req = req.map_err(|e| (format!("building the request: {e}"), false))?;
            tracing::debug!("pushing to the Pushgateway, attempt {n}");
            match client::send(req, retry.timeout).await {
                Ok(r) if r.status.is_success() => Ok(()),
                Ok(r) => Err((
                    format!(
                        "HTTP {}: {}",
                        r.status.as_u16(),
                        String::from_utf8_lossy(&r.body).trim()
                    ),
                    r.status.is_server_error(),
                )),
                Err(e) => Err((e.message, e.retryable)),
            }
        }
    };
    let outcome = client::block_on(async {
        let mut backoff = retry.first_backoff;
        let mut n = 1;
        loop {
            match attempt(n).await {
                Ok(()) => return Ok(()),
                Err((msg, retryable)) if retryable && n < retry.attempts => {
                    tracing::debug!("Pushgateway push failed ({msg}); retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    n += 1;
                }
                Err((msg, _)) => return Err((msg, n)),
            }
        }
    })?;
    outcome.map_err(|(msg, n)| {
        format!(
            "could not push metrics to the Pushgateway at {shown} after {n} attempt{}: {msg}",
            if n == 1 { "" } else { "s" }
        )
    })
}

/// `<base>/metrics/job/perfgate/suite/<suite>`, keeping a path prefix of the base URL (a gateway behind a
/// proxy) and dropping user info (sent as a header instead).
pub fn group_url(base_url: &str, suite: &str) -> Option<Uri> {
    let uri: Uri = base_url.trim().parse().ok()?;
    if !matches!(uri.scheme_str(), Some("http") | Some("https")) {
        return None;
    }
    let authority = client::connect_authority(&uri)?;
    let prefix = uri.path().trim_end_matches('/');
    format!(
        "{}://{authority}{prefix}/metrics/job/{JOB}/{}",
        uri.scheme_str().unwrap_or("http"),
        label_segment("suite", suite)
    )
    .parse()
    .ok()
}

/// One `name/value` pair of a grouping key. Values that are not plain URL-safe words are sent base64url
/// encoded (`name@base64/…`), which is how the Pushgateway takes `/`, spaces or an empty value.
pub fn label_segment(name: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if plain {
        format!("{name}/{value}")
    } else if value.is_empty() {
        format!("{name}@base64/=")
    } else {
        format!(
            "{name}@base64/{}",
            base64::engine::general_purpose::URL_SAFE.encode(value.as_bytes())
        )
    }
}

/// `Authorization: Basic …` from `http://user:password@host/`.
fn basic_auth(base_url: &str) -> Option<String> {
    let rest = base_url.split_once("://")?.1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let (userinfo, _) = authority.rsplit_once('@')?;
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(userinfo.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_key_paths() {
        assert_eq!(
            group_url("http://127.0.0.1:9091", "checkout")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:9091/metrics/job/perfgate/suite/checkout"
        );
        assert_eq!(
            group_url("http://gw:9091/prefix/", "a")
                .unwrap()
                .to_string(),
            "http://gw:9091/prefix/metrics/job/perfgate/suite/a"
        );
        assert_eq!(
            group_url("http://u:p@gw/", "a").unwrap().to_string(),
            "http://gw:80/metrics/job/perfgate/suite/a"
        );
        assert_eq!(
            group_url("https://gw", "a").unwrap().to_string(),
            "https://gw:443/metrics/job/perfgate/suite/a"
        );
        assert!(group_url("ftp://gw", "a").is_none());
        assert!(group_url("not a url", "a").is_none());
    }

    #[test]
    fn awkward_suite_names_are_base64url() {
        assert_eq!(label_segment("suite", "api/v2"), "suite@base64/YXBpL3Yy");
        assert_eq!(label_segment("suite", ""), "suite@base64/=");
        assert_eq!(label_segment("suite", ".."), "suite@base64/Li4=");
        assert_eq!(label_segment("suite", "my-suite_1.0"), "suite/my-suite_1.0");
    }

    #[test]
    fn credentials_go_to_a_header_and_never_into_messages() {
        assert_eq!(
            basic_auth("http://user:s3cret@gw:9091/").as_deref(),
            Some("Basic dXNlcjpzM2NyZXQ=")
        );
        assert_eq!(basic_auth("http://gw:9091/"), None);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let rec = perfgate_reports::RunRecord::from_json_value(
            serde_json::json!({
                "schema": "perfgate/run@1", "run_id": "r", "test_type": "load",
                "started_at": "2026-11-27T10:00:00Z", "finished_at": "2026-11-27T10:00:01Z",
                "environment": {"os": "linux", "arch": "x86_64", "cpu_cores": 1, "memory_gib": 1, "fingerprint": "f"}
            }),
            "t",
        )
        .unwrap();
        let err = push(
            &format!("http://user:s3cret@127.0.0.1:{port}"),
            &rec,
            Retry {
                attempts: 2,
                first_backoff: Duration::from_millis(10),
                timeout: Duration::from_secs(1),
            },
        )
        .unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("after 2 attempts"), "{err}");
    }
}
