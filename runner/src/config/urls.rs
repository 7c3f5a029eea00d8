//! URL checks and redaction shared by every section that takes a URL.

/// A URL without its `user:password@` part, for messages.
pub fn redact_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// True for an `http://` or `https://host[:port][/path]` URL.
pub fn is_http_url(url: &str) -> bool {
    url.parse::<hyper::Uri>().ok().is_some_and(|u| {
        matches!(u.scheme_str(), Some("http") | Some("https")) && u.authority().is_some()
    })
}
