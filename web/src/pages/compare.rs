//! The comparison of a PR run with its baseline: a headline of the verdicts, what the baseline is (one run,
//! or the last N runs of a branch), then one row per operation, regressions first — the same rows and verdicts
//! as the PR comment, with the noise each change had to beat and the smallest change each row can flag.

use leptos::prelude::*;

use perfgate_reports::analysis::compare::NoiseSource;
use perfgate_reports::site::min_detectable_percent;

use super::{document, Badge, Ctx};
use crate::format;
use crate::input::{ComparisonRow, JudgedRun, OperationKey, Verdict};
use crate::model::Model;
use crate::paths;

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Regressed => 0,
        Verdict::Improved => 1,
        Verdict::New => 2,
        Verdict::Missing => 3,
        Verdict::Unchanged => 4,
    }
}

/// "e8697b8 against the last 12 runs of main" / "PR #7: e8697b8 against run r1 on main (0123456)".
pub fn against(j: &JudgedRun) -> String {
    let head = j.head.sha7();
    let base = &j.comparison.base.label;
    match j.head.git.pr_number {
        Some(pr) => format!("PR #{pr}: {head} against {base}"),
        None => format!("{head} against {base}"),
    }
}

/// A link to a run's page when it is part of the site, else the text alone.
fn run_link(model: &Model<'_>, here: &str, run_id: Option<&str>, text: String) -> AnyView {
    match run_id.and_then(|id| model.run_by_id(id)) {
        Some(run) => {
            view! { <a href=paths::link(here, &run.page)><span class="id">{text}</span></a> }
                .into_any()
        }
        None => view! { <span class="id">{text}</span> }.into_any(),
    }
}

fn noise_source(s: NoiseSource) -> &'static str {
    match s {
        NoiseSource::WithinRun => "sampling noise inside the two runs",
        NoiseSource::History => "the run-to-run spread of the history",
        NoiseSource::Trials => "the spread of interleaved A/B trials",
        NoiseSource::RunToRun => "sampling noise inside the two runs plus a run-to-run term",
        NoiseSource::None => "no noise estimate: the threshold alone decides",
    }
}

/// Renders `compare.html`.
pub fn render(ctx: &Ctx<'_>, model: &Model<'_>, j: &JudgedRun) -> String {
    let here = paths::COMPARE;
    let c = &j.comparison;
    let mut rows: Vec<&ComparisonRow> = j.rows_per_operation();
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let headline = format!(
        "{} regressed · {} improved · {} unchanged · {} new · {} missing",
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Unchanged),
        count(Verdict::New),
        count(Verdict::Missing)
    );
    let verdict = if count(Verdict::Regressed) > 0 {
        "regressed"
    } else {
        "ok"
    };
    rows.sort_by(|a, b| {
        rank(a.verdict)
            .cmp(&rank(b.verdict))
            .then_with(|| {
                b.change_percent
                    .unwrap_or(0.0)
                    .abs()
                    .total_cmp(&a.change_percent.unwrap_or(0.0).abs())
            })
            .then_with(|| (a.test_type, &a.operation).cmp(&(b.test_type, &b.operation)))
    });
    let suite = j.head.suite.clone();
    let rows = rows
        .into_iter()
        .map(|row| {
            let key = OperationKey::new(&suite, row.test_type, row.operation.clone());
            let href = paths::link(here, &paths::operation_page(&key, 1));
            // The verdict is direction-aware (a throughput drop regresses), so the colour follows it.
            let delta_class = match row.verdict {
                Verdict::Regressed => "num worse",
                Verdict::Improved => "num better",
                _ => "num",
            };
            let m = row.metric;
            let change = row
                .change_percent
                .map_or_else(|| format::NOT_MEASURED.to_string(), |v| format::change(m, v));
            let noise_title = noise_source(row.noise_source);
            let detectable = format::magnitude(m, min_detectable_percent(row));
            let note = match (&row.acknowledged, &row.note) {
                (Some(ack), _) => Some(format!("acknowledged until {}: {}", ack.until, ack.reason)),
                (None, Some(n)) => Some(n.clone()),
                (None, None) => None,
            };
            let tt = format!("{} · {}", key.suite, key.test_type);
            view! {
                <tr data-verdict=row.verdict.as_str() data-metric=m.key()>
                    <td class="op"><a class="name" href=href>{row.operation.clone()}</a><span class="tt">{tt}</span></td>
                    <td><Badge text=row.verdict.as_str()/></td>
                    <td data-label="metric">{m.key()}</td>
                    <td class="num" data-label="base">{format::metric_opt(m, row.base)}</td>
                    <td class="num" data-label="head">{format::metric_opt(m, row.head)}</td>
                    <td class=delta_class data-label="change">{change}</td>
                    <td class="num noise" data-label="noise" title=noise_title>{format::spread(m, row.noise_percent)}</td>
                    <td class="num mdc" data-label="min. detectable">{detectable}</td>
                    <td class="num" data-label="">{format::p_value(row.p_value)}</td>
                    <td class="note">{note}</td>
                </tr>
            }
        })
        .collect_view();
    let title = against(j);
    let head = run_link(
        model,
        here,
        Some(&j.head.run_id),
        format!("{} (run {})", j.head.sha7(), j.head.run_id),
    );
    // The base as the analysis names it; for a history baseline its newest run is linked as such.
    let base_newest = (c.base.runs > 1)
        .then_some(c.base.run_id.as_deref())
        .flatten()
        .map(|id| {
            let sha = c
                .base
                .sha
                .as_deref()
                .map_or("nogit", |s| &s[..s.len().min(7)]);
            view! { " · newest: " {run_link(model, here, Some(id), format!("{sha} (run {id})"))} }
        });
    let base = if c.base.runs == 1 {
        run_link(model, here, c.base.run_id.as_deref(), c.base.label.clone())
    } else {
        view! { <span>{c.base.label.clone()}</span> }.into_any()
    };
    let method = match c.method.as_str() {
        "history" => format!(
            "Judged against the history: each row against the spread of the last {} runs.",
            c.base.runs
        ),
        "trials" => "Judged by interleaved A/B trials of base and head in the same job.".to_string(),
        _ => "Two single runs compared: run-to-run drift is not seen, only the sampling noise inside each run."
            .to_string(),
    };
    let message = j.head.git.commit_message.clone();
    let notes = c.notes.clone();
    let body = view! {
        <h1 class="name">{title.clone()}</h1>
        <p class="name">{message}</p>
        <p><Badge text=verdict/> " " <strong>{headline}</strong></p>
        <dl class="figures">
            <div><dt>"head"</dt><dd>{head}</dd></div>
            <div class="wide"><dt>"base"</dt><dd>{base}{base_newest}</dd></div>
            <div><dt>"threshold"</dt><dd>{format!("{} %", perfgate_reports::metric::sig(c.threshold_percent))}</dd></div>
        </dl>
        <p class="muted method">{method}</p>
        {notes.into_iter().map(|n| view! { <p class="notice">{n}</p> }).collect_view()}
        <div class="table-wrap">
            <table class="compare cards">
                <thead><tr>
                    <th>"Operation"</th><th>"verdict"</th><th>"metric"</th><th class="num">"base"</th><th class="num">"head"</th>
                    <th class="num">"change"</th><th class="num">"noise"</th><th class="num">"min. detectable"</th>
                    <th class="num">"confidence"</th><th>"note"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p class="muted">"One row per operation: its regression or improvement, else p95. noise: the spread the \
            change had to beat (hover for its source). min. detectable: the smallest change the row can flag — \
            the history's minimum detectable change (80 % power) when there is one, else the larger of the \
            threshold and the noise."</p>
    };
    document(ctx, here, &title, body)
}
