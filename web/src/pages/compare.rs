//! The comparison of a PR run with its baseline: a headline of the verdicts, then one row per operation,
//! regressions first — the same verdicts as the PR comment.

use leptos::prelude::*;

use super::{document, Badge, Ctx};
use crate::format;
use crate::input::{Comparison, Verdict};
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

/// A link to a run's page when it is part of the site, else its id.
fn run_ref(model: &Model<'_>, here: &str, run_id: &str, sha: &str) -> AnyView {
    let text = format!("{sha} (run {run_id})");
    match model.run_by_id(run_id) {
        Some(run) => view! { <a href=paths::link(here, &run.page)>{text}</a> }.into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    }
}

/// Renders `compare.html`.
pub fn render(ctx: &Ctx<'_>, model: &Model<'_>, c: &Comparison) -> String {
    let here = paths::COMPARE;
    let count = |v: Verdict| c.rows.iter().filter(|r| r.verdict == v).count();
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
    let mut rows: Vec<_> = c.rows.iter().collect();
    rows.sort_by(|a, b| {
        rank(a.verdict)
            .cmp(&rank(b.verdict))
            .then_with(|| {
                b.delta_percent
                    .unwrap_or(0.0)
                    .abs()
                    .total_cmp(&a.delta_percent.unwrap_or(0.0).abs())
            })
            .then_with(|| a.key.cmp(&b.key))
    });
    let rows = rows
        .into_iter()
        .map(|row| {
            let href = paths::link(here, &paths::operation_page(&row.key, 1));
            let delta_class = match row.verdict {
                Verdict::Regressed => "num up",
                Verdict::Improved => "num down",
                _ => "num",
            };
            let value = |v: Option<f64>| v.map(|v| format::metric_value(&row.metric, v)).unwrap_or_else(|| "–".into());
            let tt = format!("{} · {}", row.key.suite, row.key.test_type);
            view! {
                <tr data-verdict=row.verdict.as_str()>
                    <td class="op"><a class="name" href=href>{row.key.operation.clone()}</a><span class="tt">{tt}</span></td>
                    <td><Badge text=row.verdict.as_str()/></td>
                    <td data-label="metric">{row.metric.clone()}</td>
                    <td class="num" data-label="base">{value(row.base_value)}</td>
                    <td class="num" data-label="head">{value(row.head_value)}</td>
                    <td class=delta_class data-label="change">{row.delta_percent.map(format::delta).unwrap_or_else(|| "–".into())}</td>
                    <td class="num" data-label="">{format::p_value(row.p_value)}</td>
                    <td class="note">{row.note.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let title = match c.head.git.pr_number {
        Some(pr) => format!("PR #{pr}: {} against {}", c.head.sha7(), c.base.sha7()),
        None => format!("{} against {}", c.head.sha7(), c.base.sha7()),
    };
    let head = run_ref(model, here, &c.head.run_id, c.head.sha7());
    let base = run_ref(model, here, &c.base.run_id, c.base.sha7());
    let message = c.head.git.commit_message.clone();
    let body = view! {
        <h1 class="name">{title.clone()}</h1>
        <p class="name">{message}</p>
        <p><Badge text=verdict/> " " <strong>{headline}</strong></p>
        <dl class="figures">
            <div><dt>"head"</dt><dd>{head}</dd></div>
            <div><dt>"base"</dt><dd>{base}</dd></div>
        </dl>
        <div class="table-wrap">
            <table class="compare cards">
                <thead><tr>
                    <th>"Operation"</th><th>"verdict"</th><th>"metric"</th><th class="num">"base"</th><th class="num">"head"</th>
                    <th class="num">"change"</th><th class="num">"confidence"</th><th>"note"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    };
    document(ctx, here, &title, body)
}
