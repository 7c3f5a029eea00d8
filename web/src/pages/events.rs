//! Regressions and change points as list items: the operation, what changed and by how much, how sure, and
//! the run where it happened. Used by the index, operation and run pages.

use leptos::prelude::*;

use crate::format;
use crate::input::{FlaggedRegression, MarkedChange, Metric, OperationKey};
use crate::model::Model;
use crate::paths;

/// A regression or change point as a line of the attention lists.
pub struct Event {
    key: OperationKey,
    run_id: String,
    label: String,
    before: Option<f64>,
    after: Option<f64>,
    metric: Metric,
    change: Option<f64>,
    p_value: Option<f64>,
    /// Direction-aware, as the analysis decided: a throughput drop is worse.
    worse: bool,
}

impl From<&FlaggedRegression> for Event {
    fn from(r: &FlaggedRegression) -> Self {
        Self {
            key: r.key.clone(),
            run_id: r.run_id.clone(),
            label: r.row.sentence(),
            before: r.row.base,
            after: r.row.head,
            metric: r.row.metric,
            change: r.row.change_percent,
            p_value: r.row.p_value,
            worse: true,
        }
    }
}

impl From<&MarkedChange> for Event {
    fn from(c: &MarkedChange) -> Self {
        Self {
            key: c.key.clone(),
            run_id: c.change.run_id.clone(),
            label: c.label(),
            before: Some(c.change.before_mean),
            after: Some(c.change.after_mean),
            metric: c.metric,
            change: Some(c.change.magnitude_percent),
            p_value: Some(c.change.p_value),
            worse: c.change.regression,
        }
    }
}

/// A list item for an event, linking to its operation and run (relative to `here`).
pub fn event_item(model: &Model<'_>, here: &str, e: Event) -> impl IntoView {
    let op_href = paths::link(here, &paths::operation_page(&e.key, 1));
    let run = model.run_by_id(&e.run_id);
    let run_link = run.map(|r| {
        let href = paths::link(here, &r.page);
        let text = format!(
            "{} · {}",
            r.record.sha7(),
            format::date_time(&r.record.started_at)
        );
        view! { <a href=href>{text}</a> }
    });
    let class = if e.worse { "worse" } else { "better" };
    let change = format!(
        "{} {} → {} ",
        e.metric,
        format::metric_opt(e.metric, e.before),
        format::metric_opt(e.metric, e.after)
    );
    let delta = e.change.map_or_else(
        || format::NOT_MEASURED.to_string(),
        |c| format::change(e.metric, c),
    );
    let tt = format!("{} · {}", e.key.suite, e.key.test_type);
    view! {
        <li>
            <a class="name" href=op_href>{e.key.operation}</a>
            <span class="tt">{tt}</span>
            " — " {e.label} " — " {change}
            <strong class=class>{delta}</strong>
            " " <span class="muted">{format::p_value(e.p_value)}</span>
            " " {run_link}
        </li>
    }
}

pub fn regression_events(regs: &[&FlaggedRegression]) -> Vec<Event> {
    regs.iter().map(|r| Event::from(*r)).collect()
}

pub fn change_events(cps: &[&MarkedChange]) -> Vec<Event> {
    cps.iter().map(|c| Event::from(*c)).collect()
}
