//! Userinfo (`user:password@`) in an http:// URL.
//!
//! A URL such as `http://user:secret@127.0.0.1:8080/` carries credentials. They are split off where a URL
//! enters perfgate, sent as HTTP Basic auth, and never reach a host name (a DNS lookup would carry the
//! password), a message, a record or a span. [`redact`] is for any URL that is printed.

use base64::Engine as _;

/// Credentials taken out of a URL. `Debug` does not print them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

impl Credentials {
    /// The `Authorization` header value: `Basic base64(user:password)` (RFC 7617), percent-decoded first.
    pub fn basic_authorization(&self) -> String {
        let pair = format!("{}:{}", self.user, self.password.as_deref().unwrap_or(""));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// Where the authority of `url` is (`None` without a `scheme://`).
fn authority_range(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    Some((start, end))
}

/// `url` without its userinfo, and the credentials it carried.
pub fn split(url: &str) -> (String, Option<Credentials>) {
    let Some((start, end)) = authority_range(url) else {
        return (url.to_string(), None);
    };
    let Some(at) = url[start..end].rfind('@').map(|i| start + i) else {
        return (url.to_string(), None);
    };
    let info = &url[start..at];
    let (user, password) = match info.split_once(':') {
        Some((u, p)) => (u, Some(percent_decode(p))),
        None => (info, None),
    };
    let clean = format!("{}{}", &url[..start], &url[at + 1..]);
    (
        clean,
        Some(Credentials {
            user: percent_decode(user),
            password,
        }),
    )
}

/// `url` with any userinfo replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match split(url) {
        (_, None) => url.to_string(),
        (clean, Some(_)) => {
            let start = authority_range(&clean).map_or(0, |(s, _)| s);
            format!("{}***@{}", &clean[..start], &clean[start..])
        }
    }
}

/// `%XX` sequences decoded (invalid ones kept as they are); non-UTF-8 results are kept lossily.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_split_off_and_sent_as_basic_auth() {
        let (clean, creds) = split("http://user:s%40cret@127.0.0.1:8080/a?b=c@d");
        assert_eq!(clean, "http://127.0.0.1:8080/a?b=c@d");
        let creds = creds.expect("credentials");
        // base64("user:s@cret")
        assert_eq!(creds.basic_authorization(), "Basic dXNlcjpzQGNyZXQ=");
        assert_eq!(format!("{creds:?}"), "Credentials(***)");
        let (_, user_only) = split("http://bob@h/");
        assert_eq!(
            user_only.expect("user").basic_authorization(),
            "Basic Ym9iOg=="
        );
    }

    #[test]
    fn urls_without_userinfo_are_unchanged() {
        for url in [
            "http://127.0.0.1:1/x@y",
            "http://h",
            "not a url",
            "http://h?q=a@b",
        ] {
            assert_eq!(split(url), (url.to_string(), None));
            assert_eq!(redact(url), url);
        }
    }

    #[test]
    fn redact_hides_user_and_password() {
        assert_eq!(
            redact("http://user:secret@127.0.0.1:9/p"),
            "http://***@127.0.0.1:9/p"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
