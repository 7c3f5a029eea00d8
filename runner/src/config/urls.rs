//! URL checks and redaction shared by every section that takes a URL.

/// A URL with its `user:password@` part shown as `***@`, for messages (one redaction for every URL perfgate
/// prints: targets, Pushgateway, OTLP).
pub fn redact_userinfo(url: &str) -> String {
    crate::targets::http::userinfo::redact(url)
}

/// True for an `http://` or `https://host[:port][/path]` URL.
pub fn is_http_url(url: &str) -> bool {
    url.parse::<hyper::Uri>().ok().is_some_and(|u| {
        matches!(u.scheme_str(), Some("http") | Some("https")) && u.authority().is_some()
    })
}
