//! The index: what needs attention first (regressions, recent change points), then every operation grouped by
//! suite with its latest figures, a sparkline and the change since the previous run, behind a filter box.

use leptos::prelude::*;

use super::events::{event_item, Event};
use super::{document, Badge, Ctx};
use crate::charts::sparkline::sparkline;
use crate::format;
use crate::input::{SiteError, Verdict};
use crate::model::{Model, Series};
use crate::pages::compare::against;
use crate::paths;

/// Most regressions and change points listed at the top.
const MAX_EVENTS: usize = 10;
/// Most runs in the "latest runs" list.
const LATEST_RUNS: usize = 10;

/// The filter: hides the operation rows whose `data-filter` text does not contain what was typed.
const FILTER_JS: &str = "(function(){var f=document.getElementById('filter');if(!f)return;\
var rows=document.querySelectorAll('tr[data-filter]'),out=document.getElementById('filter-count');\
function run(){var q=f.value.trim().toLowerCase(),n=0;rows.forEach(function(r){\
var hide=q!==''&&r.getAttribute('data-filter').indexOf(q)<0;r.hidden=hide;if(!hide)n++;});\
out.textContent=n+' of '+rows.length+' shown';}f.addEventListener('input',run);run();})();";

/// Events sorted newest run first (unknown runs last), at most `n`.
fn newest<'a, T>(
    model: &Model<'_>,
    items: impl Iterator<Item = &'a T>,
    run_id: fn(&T) -> &str,
    n: usize,
) -> Vec<&'a T>
where
    T: 'a,
{
    let mut v: Vec<(&T, i64)> = items
        .map(|t| (t, model.run_index(run_id(t)).map_or(-1, |i| i as i64)))
        .collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v.into_iter().take(n).map(|(t, _)| t).collect()
}

/// One row of the operations table.
fn op_row(model: &Model<'_>, s: &Series<'_>, spark: String) -> impl IntoView {
    let here = paths::INDEX;
    let href = paths::link(here, &paths::operation_page(&s.key, 1));
    let filter = format!("{} {} {}", s.key.suite, s.key.test_type, s.key.operation).to_lowercase();
    let last = s.latest().copied();
    let p95 = last.map(|p| format::ms(p.p95)).unwrap_or_default();
    let rps = last.map(|p| format::rps(p.rps)).unwrap_or_default();
    let err = last
        .map(|p| format::percent(p.error_percent))
        .unwrap_or_default();
    let change = s.p95_change_percent();
    // p95: a rise is worse.
    let change_class = match change {
        Some(c) if c >= 5.0 => "num worse",
        Some(c) if c <= -5.0 => "num better",
        _ => "num",
    };
    let change_text = change
        .map(format::delta)
        .unwrap_or_else(|| format::NOT_MEASURED.into());
    let last_run = last.map(|p| &model.runs[p.run]);
    let when = last_run
        .map(|r| format::date(&r.record.started_at))
        .unwrap_or_default();
    view! {
        <tr data-filter=filter>
            <td class="op">
                <a class="name" href=href>{s.key.operation.clone()}</a>
                <span class="tt">{s.key.test_type.as_str()}</span>
            </td>
            <td class="num" data-label="p95">{p95}</td>
            <td class=change_class data-label="Δ p95">{change_text}</td>
            <td class="num" data-label="rps">{rps}</td>
            <td class="num" data-label="errors">{err}</td>
            <td data-label="">
                <Badge text=s.status.as_str()/>
            </td>
            <td class="spark" title=format!("p95 of the last runs, latest {when}")>
                <div inner_html=spark></div>
            </td>
        </tr>
    }
}

/// Renders `index.html`.
pub fn render(
    ctx: &Ctx<'_>,
    model: &Model<'_>,
    input: &crate::input::SiteInput,
) -> Result<String, SiteError> {
    let here = paths::INDEX;
    let opts = ctx.opts;

    // Sparklines first: they can fail, and views cannot.
    let mut groups: Vec<(String, Vec<AnyView>)> = Vec::new();
    for s in model.series.values() {
        let values: Vec<f64> = s
            .points
            .iter()
            .rev()
            .take(opts.sparkline_runs)
            .rev()
            .map(|p| p.p95)
            .collect();
        let spark =
            sparkline(&values, &format!("p95 trend of {}", s.key.operation)).map_err(|e| {
                SiteError::Chart {
                    chart: "sparkline",
                    page: here.to_string(),
                    message: e.0,
                }
            })?;
        let row = op_row(model, s, spark).into_any();
        match groups.last_mut() {
            Some((suite, rows)) if *suite == s.key.suite => rows.push(row),
            _ => groups.push((s.key.suite.clone(), vec![row])),
        }
    }

    let regressions = newest(
        model,
        input.regressions.iter(),
        |r| r.run_id.as_str(),
        MAX_EVENTS,
    );
    let changes = newest(
        model,
        input.change_points.iter(),
        |c| c.run_id(),
        MAX_EVENTS,
    );
    let reg_items: Vec<AnyView> = regressions
        .into_iter()
        .map(|r| event_item(model, here, Event::from(r)).into_any())
        .collect();
    let cp_items: Vec<AnyView> = changes
        .into_iter()
        .map(|c| event_item(model, here, Event::from(c)).into_any())
        .collect();

    let compare = input.compare.as_ref().map(|j| {
        let rows = j.rows_per_operation();
        let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
        let text = format!(
            "{}: {} regressed, {} improved, {} operations compared",
            against(j),
            count(Verdict::Regressed),
            count(Verdict::Improved),
            rows.len()
        );
        view! {
            <h2>"Pull request"</h2>
            <p><a href=paths::link(here, paths::COMPARE)>{text}</a></p>
        }
    });

    let latest: Vec<AnyView> = model
        .runs
        .iter()
        .rev()
        .take(LATEST_RUNS)
        .map(|r| {
            let href = paths::link(here, &r.page);
            let text = format!(
                "{} · {} · {}",
                format::date_time(&r.record.started_at),
                r.record.suite,
                r.record.test_type
            );
            let label = r.label();
            view! { <li><a href=href>{text}</a> " " <span class="muted">{label}</span></li> }
                .into_any()
        })
        .collect();

    let n_ops = model.series.len();
    let n_suites = groups.len();
    let n_runs = model.runs.len();
    let span = match (model.runs.first(), model.runs.last()) {
        (Some(a), Some(b)) => format!(
            "{} runs from {} to {}",
            n_runs,
            format::date(&a.record.started_at),
            format::date(&b.record.started_at)
        ),
        _ => "no runs yet".to_string(),
    };
    let summary = format!("{n_ops} operations in {n_suites} suites · {span}");

    let has_regs = !reg_items.is_empty();
    let has_cps = !cp_items.is_empty();
    let body = view! {
        <h1>{opts.title.clone()}</h1>
        <p class="muted">{summary}</p>
        {has_regs.then(|| view! {
            <h2>"Regressions"</h2>
            <ul class="events regressions">{reg_items}</ul>
        })}
        {has_cps.then(|| view! {
            <h2>"Recent change points"</h2>
            <ul class="events changes">{cp_items}</ul>
        })}
        {compare}
        <h2>"Operations"</h2>
        <div class="filter">
            <input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations" autocomplete="off"/>
            <span id="filter-count" class="muted"></span>
        </div>
        {groups
            .into_iter()
            .map(|(suite, rows)| view! {
                <h3>"Suite " {suite}</h3>
                <div class="table-wrap">
                    <table class="ops cards">
                        <thead><tr>
                            <th>"Operation"</th><th class="num">"p95"</th><th class="num">"Δ p95"</th>
                            <th class="num">"rps"</th><th class="num">"errors"</th><th>"status"</th><th>"last runs"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })
            .collect_view()}
        <h2>"Latest runs"</h2>
        <ul class="events">{latest}</ul>
        <p><a href=paths::link(here, &paths::runs_list_page(1))>"All runs →"</a></p>
        <script inner_html=FILTER_JS></script>
    };
    Ok(document(ctx, here, "Operations", body))
}
