//! `[[scenarios]]`: multi-step user journeys, parsed and checked before anything runs.
//!
//! Every template (path, header values, body) is parsed here, so a malformed `${…}` or a variable that no
//! data-file column and no earlier step's `extract` defines is a config error with file:line:col, not a
//! request sent with a literal `${token}` in it. Unknown keys are refused as everywhere in the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::source::at;
use crate::error::{Error, Result};
use crate::scenario::{Check, CheckKind, Extract, Source, Template, Vars};

/// One `[[scenarios]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    pub name: Spanned<String>,
    /// Weight in the load mix (1).
    pub weight: Option<u32>,
    /// CSV (header row first) or JSON lines (`.jsonl`/`.ndjson`): user N takes row N, wrapping.
    pub data_file: Option<Spanned<String>>,
    pub steps: Vec<Spanned<StepConfig>>,
}

/// One `[[scenarios.steps]]` entry: an HTTP request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    pub name: Spanned<String>,
    pub method: Option<String>,
    pub path: Spanned<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    pub body: Option<Spanned<String>>,
    pub json: Option<Spanned<toml::Value>>,
    pub expect_status: Option<Vec<u16>>,
    /// Pause after this step, in milliseconds.
    pub think_time_ms: Option<f64>,
    pub timeout: Option<f64>,
    /// Variables taken from the response: `token = { json = "/token" }`, `{ header = "location" }`,
    /// `{ regex = "id=(\\d+)" }`.
    #[serde(default)]
    pub extract: BTreeMap<String, Spanned<ExtractConfig>>,
    #[serde(default)]
    pub checks: Vec<Spanned<CheckConfig>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractConfig {
    pub json: Option<String>,
    pub header: Option<String>,
    pub regex: Option<String>,
}

/// A check: `json` with one of `equals`/`exists`/`matches`, or `body_contains`, or `header`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    pub name: String,
    pub json: Option<String>,
    pub equals: Option<toml::Value>,
    pub exists: Option<bool>,
    pub matches: Option<String>,
    pub body_contains: Option<String>,
    pub header: Option<String>,
}

/// A resolved scenario.
#[derive(Clone, Debug)]
pub struct ScenarioSettings {
    pub name: String,
    pub weight: u32,
    /// Per-user rows (empty: no data file).
    pub data: Vec<Vars>,
    pub steps: Vec<StepSettings>,
}

impl ScenarioSettings {
    /// The variables of virtual user `user` (its data row, wrapping), before any extraction.
    pub fn row(&self, user: usize) -> Vars {
        if self.data.is_empty() {
            Vars::new()
        } else {
            self.data[user % self.data.len()].clone()
        }
    }

    /// The operation names this scenario records: `<scenario>/<step>` for each step, then `<scenario>`.
    pub fn operation_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{}/{}", self.name, s.name))
            .collect();
        names.push(self.name.clone());
        names
    }
}

/// A resolved step.
#[derive(Clone, Debug)]
pub struct StepSettings {
    pub name: String,
    pub method: String,
    pub path: Template,
    pub headers: Vec<(String, Template)>,
    /// Body template and its content type (JSON bodies: `application/json`).
    pub body: Option<(Template, Option<String>)>,
    pub expect_status: Option<Vec<u16>>,
    pub think_time: Duration,
    pub timeout: Option<Duration>,
    pub extracts: Vec<Extract>,
    pub checks: Vec<Check>,
}

/// Only the `scenarios` key of a config file (the rest is [`super::file::ConfigFile`]'s business).
#[derive(Debug, Default, Deserialize)]
struct ScenariosOnly {
    #[serde(default)]
    scenarios: Vec<Spanned<ScenarioConfig>>,
}

/// Parses and resolves the `[[scenarios]]` of config `text` (named `name` in errors); data files are read
/// relative to `base_dir`.
pub fn resolve_scenarios(text: &str, name: &str, base_dir: &Path) -> Result<Vec<ScenarioSettings>> {
    let parsed: ScenariosOnly = super::parse_str_as(text, name)?;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for sc in &parsed.scenarios {
        let sc = sc.get_ref();
        let sname = sc.name.get_ref();
        let pos = at(name, text, &sc.name);
        if sname.trim().is_empty() || sname.contains('/') {
            return Err(Error::Config(format!(
                "{pos}: key `scenarios.name`: must be non-empty and without `/` (steps are recorded as `<scenario>/<step>`)"
            )));
        }
        if !seen.insert(sname.clone()) {
            return Err(Error::Config(format!(
                "{pos}: key `scenarios.name`: scenario `{sname}` is defined twice"
            )));
        }
        if sc.steps.is_empty() {
            return Err(Error::Config(format!(
                "{pos}: scenario `{sname}` has no `[[scenarios.steps]]`"
            )));
        }
        let data = match &sc.data_file {
            Some(f) => read_data(&base_dir.join(f.get_ref())).map_err(|e| {
                Error::Config(format!(
                    "{}: key `scenarios.data_file`: {e}",
                    at(name, text, f)
                ))
            })?,
            None => Vec::new(),
        };
        // Variables every row defines are known from the start; extractions add theirs step by step.
        let mut known: BTreeSet<String> = data
            .first()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        let mut step_names = BTreeSet::new();
        let mut steps = Vec::new();
        for st in &sc.steps {
            let st = st.get_ref();
            let spos = at(name, text, &st.name);
            let stname = st.name.get_ref();
            if stname.trim().is_empty()
                || stname.contains('/')
                || !step_names.insert(stname.clone())
            {
                return Err(Error::Config(format!(
                    "{spos}: key `scenarios.steps.name`: `{stname}` must be non-empty, without `/`, and unique in scenario `{sname}`"
                )));
            }
            let tpl = |v: &Spanned<String>, key: &str| -> Result<Template> {
                let p = at(name, text, v);
                let t = Template::parse(v.get_ref())
                    .map_err(|e| Error::Config(format!("{p}: key `{key}`: {e}")))?;
                if let Some(var) = t.variables().find(|v| !known.contains(*v)) {
                    return Err(Error::Config(format!(
                        "{p}: key `{key}`: variable `{var}` is not defined (not a column of the data_file and not extracted by an earlier step of `{sname}`)"
                    )));
                }
                Ok(t)
            };
            let path = tpl(&st.path, "scenarios.steps.path")?;
            let mut headers = Vec::new();
            for (k, v) in &st.headers {
                headers.push((k.clone(), tpl(v, &format!("scenarios.steps.headers.{k}"))?));
            }
            let body = match (&st.body, &st.json) {
                (Some(_), Some(j)) => {
                    return Err(Error::Config(format!(
                        "{}: step `{stname}`: set either `body` or `json`, not both",
                        at(name, text, j)
                    )))
                }
                (Some(b), None) => Some((tpl(b, "scenarios.steps.body")?, None)),
                (None, Some(j)) => {
                    let json = serde_json::to_string(j.get_ref()).map_err(|e| {
                        Error::Config(format!(
                            "{}: key `scenarios.steps.json`: {e}",
                            at(name, text, j)
                        ))
                    })?;
                    let spanned = Spanned::new(j.span(), json);
                    Some((
                        tpl(&spanned, "scenarios.steps.json")?,
                        Some("application/json".into()),
                    ))
                }
                (None, None) => None,
            };
            let mut checks = Vec::new();
            for c in &st.checks {
                checks.push(check(c.get_ref()).map_err(|e| {
                    Error::Config(format!(
                        "{}: key `scenarios.steps.checks`: {e}",
                        at(name, text, c)
                    ))
                })?);
            }
            let mut extracts = Vec::new();
            for (var, e) in &st.extract {
                let source = extract_source(e.get_ref()).map_err(|m| {
                    Error::Config(format!(
                        "{}: key `scenarios.steps.extract.{var}`: {m}",
                        at(name, text, e)
                    ))
                })?;
                extracts.push(Extract {
                    var: var.clone(),
                    source,
                });
            }
            let think = st.think_time_ms.unwrap_or(0.0);
            if !(0.0..=3.6e6).contains(&think) {
                return Err(Error::Config(format!(
                    "{spos}: key `scenarios.steps.think_time_ms`: must be between 0 and 3600000 (got {think})"
                )));
            }
            // Only after the step: its own extractions are for the steps that follow.
            known.extend(extracts.iter().map(|e| e.var.clone()));
            steps.push(StepSettings {
                name: stname.clone(),
                method: st
                    .method
                    .clone()
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                path,
                headers,
                body,
                expect_status: st.expect_status.clone(),
                think_time: Duration::from_secs_f64(think / 1000.0),
                timeout: st
                    .timeout
                    .filter(|t| t.is_finite() && *t > 0.0)
                    .map(Duration::from_secs_f64),
                extracts,
                checks,
            });
        }
        out.push(ScenarioSettings {
            name: sname.clone(),
            weight: sc.weight.unwrap_or(1),
            data,
            steps,
        });
    }
    Ok(out)
}

fn regex(s: &str) -> std::result::Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|e| format!("invalid regex {s:?}: {e}"))
}

fn extract_source(e: &ExtractConfig) -> std::result::Result<Source, String> {
    match (&e.json, &e.header, &e.regex) {
        (Some(p), None, None) if p.is_empty() || p.starts_with('/') => {
            Ok(Source::JsonPointer(p.clone()))
        }
        (Some(p), None, None) => Err(format!("JSON pointer {p:?} must start with `/`")),
        (None, Some(h), None) => Ok(Source::Header(h.clone())),
        (None, None, Some(r)) => Ok(Source::Regex(regex(r)?)),
        _ => Err("set exactly one of `json` (a JSON pointer), `header` or `regex`".into()),
    }
}

fn check(c: &CheckConfig) -> std::result::Result<Check, String> {
    let kind = match (&c.json, &c.body_contains, &c.header) {
        (Some(p), None, None) => {
            if !(p.is_empty() || p.starts_with('/')) {
                return Err(format!("check `{}`: JSON pointer {p:?} must start with `/`", c.name));
            }
            match (&c.equals, c.exists, &c.matches) {
                (Some(v), None, None) => {
                    let v = serde_json::to_value(v).map_err(|e| format!("check `{}`: {e}", c.name))?;
                    CheckKind::JsonEquals(p.clone(), v)
                }
                (None, Some(true), None) => CheckKind::JsonExists(p.clone()),
                (None, None, Some(r)) => CheckKind::JsonMatches(p.clone(), regex(r)?),
                _ => {
                    return Err(format!(
                        "check `{}`: with `json`, set exactly one of `equals`, `exists = true` or `matches`",
                        c.name
                    ))
                }
            }
        }
        (None, Some(s), None) if c.equals.is_none() && c.exists.is_none() && c.matches.is_none() => {
            CheckKind::BodyContains(s.clone())
        }
        (None, None, Some(h)) if c.equals.is_none() && c.exists.is_none() && c.matches.is_none() => {
            CheckKind::HeaderPresent(h.clone())
        }
        _ => {
            return Err(format!(
                "check `{}`: set one of `json` (with equals/exists/matches), `body_contains` or `header`",
                c.name
            ))
        }
    };
    Ok(Check {
        name: c.name.clone(),
        kind,
    })
}

/// Reads a data file: JSON lines (`.jsonl`, `.ndjson`: one object a line) or CSV (a header row, then rows;
/// plain comma-separated fields — quoted fields are refused rather than misread).
fn read_data(path: &Path) -> std::result::Result<Vec<Vars>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let jsonl = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    );
    let mut rows = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    if jsonl {
        for (i, line) in lines {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
            let obj = v
                .as_object()
                .ok_or_else(|| format!("{}:{}: expected a JSON object", path.display(), i + 1))?;
            rows.push(
                obj.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect(),
            );
        }
    } else {
        let split = |l: &str| {
            l.split(',')
                .map(|f| f.trim().to_string())
                .collect::<Vec<_>>()
        };
        let (_, header) = lines
            .next()
            .ok_or_else(|| format!("{} is empty", path.display()))?;
        let columns = split(header);
        for (i, line) in lines {
            if line.contains('"') {
                return Err(format!(
                    "{}:{}: quoted CSV fields are not supported",
                    path.display(),
                    i + 1
                ));
            }
            let fields = split(line);
            if fields.len() != columns.len() {
                return Err(format!(
                    "{}:{}: {} fields, but the header has {}",
                    path.display(),
                    i + 1,
                    fields.len(),
                    columns.len()
                ));
            }
            rows.push(columns.iter().cloned().zip(fields).collect());
        }
    }
    if rows.is_empty() {
        return Err(format!("{} has no data rows", path.display()));
    }
    Ok(rows)
}
