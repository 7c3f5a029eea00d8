//! File names and relative links of the site.
//!
//! Names come from run records (operation names, run ids), so they are never used as file names directly: a
//! file name is a lowercase ASCII slug of the name plus a short stable hash of the whole key, which keeps
//! names readable, unique (`a/b` and `a-b` differ) and safe on every file system and URL. Every link is
//! relative to the page it is on, so the site works at `/`, under `https://org.github.io/repo/` and from a
//! `file://` copy alike.

use sha2::{Digest, Sha256};

pub use perfgate_reports::site::OperationKey;

/// The stylesheet, at the site root.
pub const CSS: &str = "site.css";
/// The index page.
pub const INDEX: &str = "index.html";
/// The comparison page.
pub const COMPARE: &str = "compare.html";
/// GitHub Pages serves this at any missing path.
pub const NOT_FOUND: &str = "404.html";

/// Lowercase ASCII letters and digits of `name`, other runs of characters collapsed to `-`, at most 40 chars.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

/// First 8 hex digits of SHA-256 over the parts, separated by NUL (stable across builds and platforms).
fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The page of an operation (page 1 of its run table); `page` > 1 adds `-p<N>`.
pub fn operation_page(key: &OperationKey, page: usize) -> String {
    let base = format!(
        "ops/{}-{}-{}",
        slug(&key.operation),
        key.test_type.as_str(),
        short_hash(&[&key.suite, key.test_type.as_str(), &key.operation])
    );
    if page <= 1 {
        format!("{base}.html")
    } else {
        format!("{base}-p{page}.html")
    }
}

/// The page of a run. A run id that is already a safe slug is used as is; anything else is slugged and hashed.
pub fn run_page(run_id: &str, shard: Option<(u32, u32)>) -> String {
    let safe = !run_id.is_empty()
        && run_id.len() <= 64
        && run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let mut name = if safe {
        run_id.to_string()
    } else {
        format!("{}-{}", slug(run_id), short_hash(&[run_id]))
    };
    if let Some((i, n)) = shard {
        name.push_str(&format!("-shard{i}of{n}"));
    }
    format!("run/{name}.html")
}

/// The list of all runs, page `page` (1-based).
pub fn runs_list_page(page: usize) -> String {
    if page <= 1 {
        "run/index.html".to_string()
    } else {
        format!("run/index-p{page}.html")
    }
}

/// The prefix that leads from the page at `from` back to the site root (`""` or `"../"`).
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

/// A link from the page at `from` to the site file `to` (both relative to the root).
pub fn link(from: &str, to: &str) -> String {
    format!("{}{}", root_prefix(from), to)
}

/// Where commits link when a record names no server: github.com.
pub const DEFAULT_SERVER: &str = "https://github.com";

/// A link to a commit on the run's git host (`server`: the record's `GITHUB_SERVER_URL`, e.g. a GitHub
/// Enterprise Server; github.com when absent), when the server, repository and SHA look like what they
/// should be.
pub fn commit_url(
    server: Option<&str>,
    repository: Option<&str>,
    sha: Option<&str>,
) -> Option<String> {
    let repo = repository?;
    let sha = sha?;
    let server = server.unwrap_or(DEFAULT_SERVER).trim_end_matches('/');
    let host = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))?;
    let server_ok = !host.is_empty()
        && !host.starts_with('/')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '~'));
    let repo_ok = repo.split('/').count() == 2
        && repo.split('/').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    let sha_ok = (7..=64).contains(&sha.len()) && sha.chars().all(|c| c.is_ascii_hexdigit());
    (server_ok && repo_ok && sha_ok).then(|| format!("{server}/{repo}/commit/{sha}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::record::TestType;

    #[test]
    fn slugs_are_safe_and_keys_stay_distinct() {
        assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
        assert_eq!(slug("GET /users/{id}"), "get-users-id");
        assert_eq!(slug("../../etc"), "etc");
        let a = operation_page(&OperationKey::new("s", TestType::Load, "a/b"), 1);
        let b = operation_page(&OperationKey::new("s", TestType::Load, "a-b"), 1);
        assert_ne!(a, b);
        assert!(
            a.starts_with("ops/a-b-load-") && a.ends_with(".html"),
            "{a}"
        );
        let bench = operation_page(&OperationKey::new("s", TestType::Benchmark, "a/b"), 2);
        assert!(bench.ends_with("-p2.html"), "{bench}");
        // Stable across builds: the hash is SHA-256, not the std hasher.
        assert_eq!(
            a,
            operation_page(&OperationKey::new("s", TestType::Load, "a/b"), 1)
        );
    }

    #[test]
    fn run_ids_are_used_when_safe_and_hashed_otherwise() {
        assert_eq!(
            run_page("20261127T1000-abc", None),
            "run/20261127T1000-abc.html"
        );
        assert_eq!(run_page("r1", Some((2, 4))), "run/r1-shard2of4.html");
        let odd = run_page("../x\"<y>", None);
        assert!(odd.starts_with("run/x-y-") && !odd.contains(".."), "{odd}");
    }

    #[test]
    fn links_are_relative_to_the_page() {
        assert_eq!(link("index.html", "ops/a.html"), "ops/a.html");
        assert_eq!(link("ops/a.html", "run/r.html"), "../run/r.html");
        assert_eq!(link("run/r.html", CSS), "../site.css");
    }

    #[test]
    fn commit_urls_only_for_plausible_values() {
        assert_eq!(
            commit_url(None, Some("org/repo"), Some("0123456789abcdef")).as_deref(),
            Some("https://github.com/org/repo/commit/0123456789abcdef")
        );
        assert_eq!(
            commit_url(
                Some("https://ghe.example.com/"),
                Some("org/repo"),
                Some("0123456")
            )
            .as_deref(),
            Some("https://ghe.example.com/org/repo/commit/0123456"),
            "GitHub Enterprise Server"
        );
        assert_eq!(
            commit_url(None, Some("org/repo\"><x"), Some("0123456")),
            None
        );
        assert_eq!(
            commit_url(None, Some("org/repo"), Some("javascript:x")),
            None
        );
        assert_eq!(commit_url(None, None, Some("0123456")), None);
        for bad in [
            "javascript:alert(1)",
            "https://",
            "https://x\"><y",
            "ftp://host",
        ] {
            assert_eq!(
                commit_url(Some(bad), Some("org/repo"), Some("0123456")),
                None,
                "{bad}"
            );
        }
    }
}
