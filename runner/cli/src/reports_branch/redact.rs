//! Keeps credentials out of every message perfgate prints.
//!
//! Remote URLs in CI often carry a token (`https://x-access-token:ghs_…@github.com/o/r.git`), and git echoes
//! the URL in its errors. Every string that may contain a URL or git output goes through [`redact`] before it
//! is shown: the user-info part of any `scheme://user:secret@host` becomes `***`, and the values of
//! token-like environment variables (`GITHUB_TOKEN`, `GH_TOKEN`, `*_TOKEN`, `*PASSWORD*`, `*SECRET*`) are
//! replaced wherever they appear (for example inside an `Authorization` header echoed by a failing command).

/// Environment variable names whose values are treated as secrets.
fn is_secret_var(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("TOKEN")
        || upper.contains("PASSWORD")
        || upper.contains("SECRET")
        || upper == "INPUT_GITHUB-TOKEN"
}

/// Secret values currently in the environment (only values long enough to be meaningful).
fn secret_values() -> Vec<String> {
    std::env::vars()
        .filter(|(k, v)| is_secret_var(k) && v.len() >= 8)
        .map(|(_, v)| v)
        .collect()
}

/// `text` with URL credentials and the values of secret environment variables replaced by `***`.
pub fn redact(text: &str) -> String {
    redact_with(text, &secret_values())
}

/// [`redact`] with an explicit list of secret values (testable without touching the environment).
pub fn redact_with(text: &str, secrets: &[String]) -> String {
    let mut out = redact_url_userinfo(text);
    for s in secrets {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// Replaces the user-info of every `scheme://userinfo@host` in `text` with `***`.
fn redact_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let authority_start = pos + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        // The authority ends at the first '/', '?', '#', whitespace or quote; user-info ends at its last '@'.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '\'' | '"' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_hidden_everywhere_in_a_message() {
        let msg = "fatal: unable to access 'https://x-access-token:ghs_abc123@github.com/o/r.git/': 403\n\
                   remote: https://tok@example.com:8443/path and http://u:p@h";
        let r = redact(msg);
        assert!(
            !r.contains("ghs_abc123") && !r.contains("tok@") && !r.contains("u:p"),
            "{r}"
        );
        assert!(r.contains("https://***@github.com/o/r.git/"), "{r}");
        assert!(r.contains("https://***@example.com:8443/path"), "{r}");
        assert!(r.contains("http://***@h"), "{r}");
    }

    #[test]
    fn urls_without_credentials_and_scp_remotes_are_unchanged() {
        for s in [
            "https://github.com/o/r.git",
            "git@github.com:o/r.git",
            "file:///tmp/remote.git",
            "no url here",
            "ends with ://",
        ] {
            assert_eq!(redact_with(s, &[]), s);
        }
    }

    #[test]
    fn secret_values_are_hidden_even_outside_urls() {
        let secrets = vec!["s3cr3t-value-123".to_string()];
        let r = redact_with(
            "AUTHORIZATION: basic s3cr3t-value-123 (s3cr3t-value-123)",
            &secrets,
        );
        assert_eq!(r, "AUTHORIZATION: basic *** (***)");
        assert!(is_secret_var("GITHUB_TOKEN") && is_secret_var("gh_token"));
        assert!(is_secret_var("DB_PASSWORD") && !is_secret_var("PATH"));
    }
}
