//! What a step does with its response: checks (beyond the status) and extractions into variables.
//!
//! A failed check is reported with its name so the engine can record an error of kind `check` and skip the
//! rest of the iteration; an extraction that finds nothing is an error too (the next step would send a
//! literal `${var}` otherwise).

use regex::Regex;
use serde_json::Value;

use super::template::Vars;

/// The parts of a response a step can look at.
#[derive(Clone, Copy, Debug)]
pub struct Response<'a> {
    pub status: u16,
    /// Header names in any case; matched case-insensitively.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Response<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Where an extracted value comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// An RFC 6901 JSON pointer into the body (`/data/id`); strings are taken without quotes.
    JsonPointer(String),
    /// A response header.
    Header(String),
    /// A regex over the body: its first capture group, or the whole match when it has none.
    Regex(Regex),
}

/// `extract = { token = { json = "/token" } }`: one variable from a response.
#[derive(Clone, Debug)]
pub struct Extract {
    pub var: String,
    pub source: Source,
}

/// What a check asserts.
#[derive(Clone, Debug)]
pub enum CheckKind {
    JsonEquals(String, Value),
    JsonExists(String),
    JsonMatches(String, Regex),
    BodyContains(String),
    HeaderPresent(String),
}

/// A named check (`name` is what the error and the report show).
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub kind: CheckKind,
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses the body as JSON at most once per response.
struct Json<'a> {
    body: &'a [u8],
    parsed: Option<Option<Value>>,
}

impl Json<'_> {
    fn pointer(&mut self, p: &str) -> Option<&Value> {
        let body = self.body;
        self.parsed
            .get_or_insert_with(|| serde_json::from_slice(body).ok())
            .as_ref()
            .and_then(|v| v.pointer(p))
    }
}

/// Runs `checks` in order; the first that fails is returned as `Err(message)` naming it.
pub fn run_checks(checks: &[Check], response: &Response<'_>) -> Result<(), String> {
    let mut json = Json {
        body: response.body,
        parsed: None,
    };
    for c in checks {
        let ok = match &c.kind {
            CheckKind::JsonEquals(p, want) => json.pointer(p) == Some(want),
            CheckKind::JsonExists(p) => json.pointer(p).is_some(),
            CheckKind::JsonMatches(p, re) => {
                json.pointer(p).is_some_and(|v| re.is_match(&as_text(v)))
            }
            CheckKind::BodyContains(s) => {
                String::from_utf8_lossy(response.body).contains(s.as_str())
            }
            CheckKind::HeaderPresent(h) => response.header(h).is_some(),
        };
        if !ok {
            return Err(format!("check `{}` failed", c.name));
        }
    }
    Ok(())
}

/// Runs `extracts` into `vars`. A value that is not found is an error naming the variable.
pub fn run_extracts(
    extracts: &[Extract],
    response: &Response<'_>,
    vars: &mut Vars,
) -> Result<(), String> {
    let mut json = Json {
        body: response.body,
        parsed: None,
    };
    for e in extracts {
        let value = match &e.source {
            Source::JsonPointer(p) => json.pointer(p).map(as_text),
            Source::Header(h) => response.header(h).map(str::to_string),
            Source::Regex(re) => {
                let body = String::from_utf8_lossy(response.body);
                re.captures(&body).and_then(|c| {
                    c.get(1)
                        .or_else(|| c.get(0))
                        .map(|m| m.as_str().to_string())
                })
            }
        };
        match value {
            Some(v) => {
                vars.insert(e.var.clone(), v);
            }
            None => return Err(format!("extract `{}` found nothing", e.var)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response<'a>(headers: &'a [(String, String)], body: &'a str) -> Response<'a> {
        Response {
            status: 200,
            headers,
            body: body.as_bytes(),
        }
    }

    #[test]
    fn extracts_from_json_header_and_regex() {
        let headers = [("Location".to_string(), "/items/9".to_string())];
        let r = response(&headers, r#"{"token":"t-1","item":{"id":42}} id=77"#);
        // The body is not pure JSON here; use a JSON body for the pointer below.
        let json_body = r#"{"token":"t-1","item":{"id":42}}"#;
        let rj = response(&headers, json_body);
        let mut vars = Vars::new();
        let ex = [
            Extract {
                var: "token".into(),
                source: Source::JsonPointer("/token".into()),
            },
            Extract {
                var: "id".into(),
                source: Source::JsonPointer("/item/id".into()),
            },
            Extract {
                var: "loc".into(),
                source: Source::Header("location".into()),
            },
        ];
        run_extracts(&ex, &rj, &mut vars).unwrap();
        let re = [Extract {
            var: "n".into(),
            source: Source::Regex(Regex::new(r"id=(\d+)").unwrap()),
        }];
        run_extracts(&re, &r, &mut vars).unwrap();
        assert_eq!(vars["token"], "t-1");
        assert_eq!(vars["id"], "42");
        assert_eq!(vars["loc"], "/items/9");
        assert_eq!(vars["n"], "77");
        let missing = [Extract {
            var: "x".into(),
            source: Source::JsonPointer("/nope".into()),
        }];
        let e = run_extracts(&missing, &rj, &mut vars).unwrap_err();
        assert!(e.contains("`x`"), "{e}");
    }

    #[test]
    fn the_first_failing_check_is_named() {
        let headers = [("content-type".to_string(), "application/json".to_string())];
        let r = response(&headers, r#"{"status":"ok","n":3}"#);
        let pass = [
            Check {
                name: "ok".into(),
                kind: CheckKind::JsonEquals("/status".into(), Value::from("ok")),
            },
            Check {
                name: "n".into(),
                kind: CheckKind::JsonMatches("/n".into(), Regex::new("^[0-9]+$").unwrap()),
            },
            Check {
                name: "ct".into(),
                kind: CheckKind::HeaderPresent("Content-Type".into()),
            },
            Check {
                name: "has".into(),
                kind: CheckKind::BodyContains("\"n\"".into()),
            },
            Check {
                name: "exists".into(),
                kind: CheckKind::JsonExists("/n".into()),
            },
        ];
        run_checks(&pass, &r).unwrap();
        let fail = [
            Check {
                name: "ct".into(),
                kind: CheckKind::HeaderPresent("content-type".into()),
            },
            Check {
                name: "status is done".into(),
                kind: CheckKind::JsonEquals("/status".into(), Value::from("done")),
            },
            Check {
                name: "never".into(),
                kind: CheckKind::JsonExists("/zzz".into()),
            },
        ];
        assert_eq!(
            run_checks(&fail, &r).unwrap_err(),
            "check `status is done` failed"
        );
        let not_json = response(&[], "<html>");
        let e = run_checks(&pass[4..], &not_json).unwrap_err();
        assert!(e.contains("exists"));
    }
}
