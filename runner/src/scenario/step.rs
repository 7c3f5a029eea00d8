//! One virtual user's walk through a scenario: build each step's request from the user's variables, and
//! take the response's checks and extractions back into them.
//!
//! The engine (or any sender) calls [`UserState::request`] for step `i`, sends it, and hands the response to
//! [`UserState::response`]. A [`StepError`] ends the iteration: the sender records it under the step's
//! operation with [`StepError::kind`] as the error kind (`check`, `extract`, `template`) and skips the rest.

use super::inspect::{run_checks, run_extracts, Response};
use super::template::{Generator, Vars};
use crate::config::scenarios::{ScenarioSettings, StepSettings};

/// A request ready to send: everything filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltRequest {
    pub method: String,
    /// Path and query, relative to the target's base URL.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

/// Why a step ended its iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct StepError {
    /// The error kind for the record: `check`, `extract` or `template`.
    pub kind: &'static str,
    /// Names the check or the variable.
    pub message: String,
}

/// One virtual user's state in a scenario.
#[derive(Debug)]
pub struct UserState {
    /// The data row, then whatever steps extracted (reset to the row at each iteration).
    pub vars: Vars,
    row: Vars,
    pub generator: Generator,
}

impl UserState {
    /// User `user` (0-based) of `scenario`: takes data row `user` (wrapping) and a generator seeded from
    /// `seed` and the user.
    pub fn new(scenario: &ScenarioSettings, user: usize, seed: u64) -> Self {
        let row = scenario.row(user);
        Self {
            vars: row.clone(),
            row,
            generator: Generator::new(seed ^ (user as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }

    /// Starts an iteration: `${seq}` advances (1, 2, …) and extractions of the last one are forgotten.
    pub fn begin_iteration(&mut self) {
        self.generator.seq += 1;
        self.vars.clone_from(&self.row);
    }

    /// The request of `step`, filled from the user's variables.
    pub fn request(&mut self, step: &StepSettings) -> Result<BuiltRequest, StepError> {
        let fill = |e: String| StepError {
            kind: "template",
            message: format!("step `{}`: {e}", step.name),
        };
        let path = step
            .path
            .render(&self.vars, &mut self.generator)
            .map_err(fill)?;
        let mut headers = Vec::with_capacity(step.headers.len());
        for (k, t) in &step.headers {
            headers.push((
                k.clone(),
                t.render(&self.vars, &mut self.generator).map_err(fill)?,
            ));
        }
        let (body, content_type) = match &step.body {
            Some((t, ct)) => (
                Some(t.render(&self.vars, &mut self.generator).map_err(fill)?),
                ct.clone(),
            ),
            None => (None, None),
        };
        Ok(BuiltRequest {
            method: step.method.clone(),
            path,
            headers,
            body,
            content_type,
        })
    }

    /// Runs `step`'s checks, then its extractions, on `response`.
    pub fn response(
        &mut self,
        step: &StepSettings,
        response: &Response<'_>,
    ) -> Result<(), StepError> {
        run_checks(&step.checks, response).map_err(|message| StepError {
            kind: "check",
            message: format!("step `{}`: {message}", step.name),
        })?;
        run_extracts(&step.extracts, response, &mut self.vars).map_err(|message| StepError {
            kind: "extract",
            message: format!("step `{}`: {message}", step.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::scenarios::resolve_scenarios;

    const FLOW: &str = r#"
[[scenarios]]
name = "flow"
[[scenarios.steps]]
name = "login"
method = "POST"
path = "/login"
json = { user = "u${seq}" }
extract = { token = { json = "/token" } }
checks = [{ name = "logged in", json = "/ok", equals = true }]
[[scenarios.steps]]
name = "get"
path = "/items/${random_int(7,7)}"
headers = { Authorization = "Bearer ${token}" }
"#;

    #[test]
    fn a_token_extracted_by_one_step_is_sent_by_the_next() {
        let s = &resolve_scenarios(FLOW, "perfgate.toml", std::path::Path::new(".")).unwrap()[0];
        let mut u = UserState::new(s, 0, 1);
        u.begin_iteration();
        let login = u.request(&s.steps[0]).unwrap();
        assert_eq!(
            (login.method.as_str(), login.path.as_str()),
            ("POST", "/login")
        );
        assert_eq!(login.body.as_deref(), Some(r#"{"user":"u1"}"#));
        assert_eq!(login.content_type.as_deref(), Some("application/json"));
        let body = br#"{"ok":true,"token":"abc"}"#;
        let r = Response {
            status: 200,
            headers: &[],
            body,
        };
        u.response(&s.steps[0], &r).unwrap();
        let get = u.request(&s.steps[1]).unwrap();
        assert_eq!(get.path, "/items/7");
        assert_eq!(
            get.headers,
            [("Authorization".to_string(), "Bearer abc".to_string())]
        );
        // The next iteration starts afresh: a new seq, no token until login extracts one again.
        u.begin_iteration();
        assert_eq!(
            u.request(&s.steps[0]).unwrap().body.as_deref(),
            Some(r#"{"user":"u2"}"#)
        );
        let e = u.request(&s.steps[1]).unwrap_err();
        assert_eq!(e.kind, "template");
    }

    #[test]
    fn a_failed_check_is_of_kind_check_and_names_it() {
        let s = &resolve_scenarios(FLOW, "perfgate.toml", std::path::Path::new(".")).unwrap()[0];
        let mut u = UserState::new(s, 0, 1);
        u.begin_iteration();
        let r = Response {
            status: 200,
            headers: &[],
            body: br#"{"ok":false,"token":"x"}"#,
        };
        let e = u.response(&s.steps[0], &r).unwrap_err();
        assert_eq!(e.kind, "check");
        assert!(e.message.contains("`logged in`"), "{}", e.message);
        assert!(
            !u.vars.contains_key("token"),
            "nothing is extracted after a failed check"
        );
        let r = Response {
            status: 200,
            headers: &[],
            body: br#"{"ok":true}"#,
        };
        assert_eq!(u.response(&s.steps[0], &r).unwrap_err().kind, "extract");
    }
}
