//! Regressions and change points as list items: the operation, what changed and by how much, how sure, and
//! the run where it happened. Used by the index, operation and run pages.

use leptos::prelude::*;

use crate::format;
use crate::input::{ChangePoint, FlaggedRegression, OperationKey};
use crate::model::Model;
use crate::paths;

/// A regression or change point as a line of the attention lists.
pub struct Event {
    key: OperationKey,
    run_id: String,
    label: String,
    before: f64,
    after: f64,
    metric: String,
    magnitude: f64,
    p_value: Option<f64>,
}

impl From<&FlaggedRegression> for Event {
    fn from(r: &FlaggedRegression) -> Self {
        Self {
            key: r.key.clone(),
            run_id: r.run_id.clone(),
            label: r.label.clone(),
            before: r.before,
            after: r.after,
            metric: r.metric.clone(),
            magnitude: r.magnitude_percent,
            p_value: r.p_value,
        }
    }
}

impl From<&ChangePoint> for Event {
    fn from(c: &ChangePoint) -> Self {
        Self {
            key: c.key.clone(),
            run_id: c.run_id.clone(),
            label: c.label.clone(),
            before: c.before,
            after: c.after,
            metric: c.metric.clone(),
            magnitude: c.magnitude_percent,
            p_value: c.p_value,
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
    let class = if e.magnitude > 0.0 { "up" } else { "down" };
    let change = format!(
        "{} {} → {} ",
        e.metric,
        format::metric_value(&e.metric, e.before),
        format::metric_value(&e.metric, e.after)
    );
    let tt = format!("{} · {}", e.key.suite, e.key.test_type);
    view! {
        <li>
            <a class="name" href=op_href>{e.key.operation}</a>
            <span class="tt">{tt}</span>
            " — " {e.label} " — " {change}
            <strong class=class>{format::delta(e.magnitude)}</strong>
            " " <span class="muted">{format::p_value(e.p_value)}</span>
            " " {run_link}
        </li>
    }
}

pub fn regression_events(regs: &[&FlaggedRegression]) -> Vec<Event> {
    regs.iter().map(|r| Event::from(*r)).collect()
}

pub fn change_events(cps: &[&ChangePoint]) -> Vec<Event> {
    cps.iter().map(|c| Event::from(*c)).collect()
}
