//! The default error key of a failed operation: a short, stable slug of the error's `Display` text.
//!
//! The key is what the run record counts failures by (`errors: {"db_timeout": 12}`), so it must not vary
//! with incidental details such as ids, ports or durations, or a long run would grow one key per request.
//! The rule: the text before the first `:` (the usual "kind: details" shape of error messages, including
//! `anyhow` context chains), ASCII letters lower-cased, numbers dropped (ids, counts, ports, durations —
//! and status codes: classify when those matter), every run of other characters turned into one `_`, at
//! most [`MAX_KEY_LEN`] bytes, and `error` when nothing is left.
//!
//! The slug is built while the error formats itself into a fixed buffer, so classifying allocates nothing
//! (the profiler relies on that). Errors whose text varies in other ways should be classified with
//! [`Operation::classify`](super::Operation::classify).

use std::fmt::{self, Display, Write};

/// Longest default key, in bytes.
pub const MAX_KEY_LEN: usize = 48;

/// A key being built from formatted text (see the module docs).
pub(crate) struct KeyBuf {
    buf: [u8; MAX_KEY_LEN],
    len: usize,
    /// A separator is due before the next kept character.
    sep: bool,
    /// A `:` was seen, or the buffer is full.
    done: bool,
}

impl KeyBuf {
    fn new() -> Self {
        Self {
            buf: [0; MAX_KEY_LEN],
            len: 0,
            sep: false,
            done: false,
        }
    }

    fn push(&mut self, b: u8) {
        let sep = self.sep && self.len > 0;
        if self.len + usize::from(sep) + 1 > MAX_KEY_LEN {
            self.done = true;
            return;
        }
        if sep {
            self.buf[self.len] = b'_';
            self.len += 1;
        }
        self.sep = false;
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// The key (`error` when the text had nothing to keep).
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII letters and `_` are ever pushed.
        match std::str::from_utf8(&self.buf[..self.len]) {
            Ok("") | Err(_) => "error",
            Ok(s) => s,
        }
    }
}

impl Write for KeyBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.done {
                break;
            }
            if c == ':' {
                self.done = true;
            } else if c.is_ascii_alphabetic() {
                self.push(c.to_ascii_lowercase() as u8);
            } else {
                // Digits and everything else separate words.
                self.sep = true;
            }
        }
        Ok(())
    }
}

/// The default key of `error` (see the module docs). Allocates nothing.
pub(crate) fn key_of(error: &dyn Display) -> KeyBuf {
    let mut k = KeyBuf::new();
    let _ = write!(k, "{error}");
    k
}

/// The default key of `error` as an owned string.
///
/// ```
/// use perfgate::api::error_key;
/// assert_eq!(error_key(&"Connection refused (os error 111)"), "connection_refused_os_error");
/// assert_eq!(error_key(&"user 123456 not found"), "user_not_found");
/// assert_eq!(error_key(&"query failed: timeout after 30s"), "query_failed");
/// assert_eq!(error_key(&"HTTP 503 from 10.0.0.7"), "http_from");
/// ```
pub fn error_key(error: &dyn Display) -> String {
    key_of(error).as_str().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        error_key(&s)
    }

    #[test]
    fn slugs_are_short_stable_and_lowercase() {
        assert_eq!(key("Database Timeout"), "database_timeout");
        assert_eq!(key("  --weird__spacing!! "), "weird_spacing");
        assert_eq!(key("request 88231 failed"), "request_failed");
        assert_eq!(key("request 9 failed"), "request_failed");
        assert_eq!(key("retry 3 of 5"), "retry_of");
        assert_eq!(key("x9y"), "x_y");
        assert_eq!(key("ctx: inner: cause"), "ctx");
        assert_eq!(key(""), "error");
        assert_eq!(key("12345"), "error");
        assert_eq!(key("::"), "error");
        assert_eq!(key("Ünïcode ✓ stays out"), "n_code_stays_out");
        let long = "a".repeat(200);
        assert_eq!(key(&long).len(), MAX_KEY_LEN);
        assert_eq!(key("word ").len(), 4);
    }
}
