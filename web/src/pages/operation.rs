//! An operation's page: its latest figures, its regressions and change points, the latency trend (band, lines,
//! linked points, markers), throughput / error rate / memory / CPU over time, and a paginated table of runs.
//! Only the first page carries the charts; later pages hold the older rows of the table.

use leptos::prelude::*;

use super::events::{change_events, event_item, regression_events};
use super::{document, page_count, pager, Badge, Chart, Ctx, LegendItem};
use crate::charts::trend::{latency_trend, limit_drawn, metric_trend, Limit, Marker, TrendPoint};
use crate::charts::{ChartError, PALETTE};
use crate::downsample::indices_keeping;
use crate::format;
use crate::input::{Metric, SiteError};
use crate::model::{Model, Series};
use crate::paths;

/// Renders every page of one operation: `(path, html)` pairs.
pub fn render(
    ctx: &Ctx<'_>,
    model: &Model<'_>,
    s: &Series<'_>,
) -> Result<Vec<(String, String)>, SiteError> {
    let per_page = ctx.opts.table_page_size.max(1);
    let pages = page_count(s.points.len(), per_page);
    let mut out = Vec::with_capacity(pages);
    for page in 1..=pages {
        let here = paths::operation_page(&s.key, page);
        let charts = if page == 1 {
            Some(
                charts(ctx, model, s, &here).map_err(|(chart, e)| SiteError::Chart {
                    chart,
                    page: here.clone(),
                    message: e.0,
                })?,
            )
        } else {
            None
        };
        let html = render_page(ctx, model, s, &here, page, pages, charts);
        out.push((here, html));
    }
    Ok(out)
}

struct Charts {
    trend: String,
    metrics: Vec<(String, String)>,
    shown: usize,
    /// Gates whose limit is too far above the data to draw.
    off_chart: Vec<String>,
}

/// A metric chart of the operation page: title, unit, the metric, the value of a point, palette index.
type MetricSpec = (
    &'static str,
    &'static str,
    Metric,
    fn(&crate::model::Point) -> f64,
    usize,
);

/// The limit of the project's gate on `metric` for this operation, if it has one.
fn limit_of(s: &Series<'_>, metric: Metric) -> Option<Limit> {
    s.gates.iter().find(|g| g.metric == metric).map(|g| Limit {
        value: g.limit,
        text: g.to_string(),
    })
}

/// Axis labels in run order: each run's date (its time of day when the series spans less than 36 hours).
fn run_labels(model: &Model<'_>, s: &Series<'_>) -> Vec<String> {
    let time = |i: usize| model.runs[s.points[i].run].record.started_at;
    let days = match (s.points.first(), s.points.last()) {
        (Some(_), Some(_)) => (time(s.points.len() - 1) - time(0)).num_hours() >= 36,
        _ => true,
    };
    (0..s.points.len())
        .map(|i| {
            let t = time(i);
            if days {
                t.format("%m-%d").to_string()
            } else {
                t.format("%H:%M").to_string()
            }
        })
        .collect()
}

fn charts(
    ctx: &Ctx<'_>,
    model: &Model<'_>,
    s: &Series<'_>,
    here: &str,
) -> Result<Charts, (&'static str, ChartError)> {
    // Run order, not time: every run one step (see `charts::trend`).
    let xs: Vec<f64> = (0..s.points.len()).map(|i| i as f64).collect();
    let ys: Vec<f64> = s.points.iter().map(|p| p.p95).collect();
    let labels = run_labels(model, s);
    let flagged: Vec<usize> = s
        .regressions
        .iter()
        .filter_map(|r| s.position_of(&model.runs, &r.run_id))
        .collect();
    let keep = indices_keeping(&xs, &ys, ctx.opts.max_chart_points, &flagged);
    let trend_points: Vec<TrendPoint> = keep
        .iter()
        .map(|&i| {
            let p = &s.points[i];
            let run = &model.runs[p.run];
            TrendPoint {
                x: i as f64,
                p50: p.p50,
                p95: p.p95,
                p99: p.p99,
                href: paths::link(here, &run.page),
                tip: format!(
                    "{} · {}\np50 {} · p95 {} · p99 {}",
                    format::date_time(&run.record.started_at),
                    run.label(),
                    format::ms(p.p50),
                    format::ms(p.p95),
                    format::ms(p.p99)
                ),
                flagged: flagged.contains(&i),
            }
        })
        .collect();
    let markers: Vec<Marker> = s
        .change_points
        .iter()
        .filter_map(|c| {
            let run = model.run_by_id(c.run_id())?;
            let at = s.position_of(&model.runs, c.run_id())?;
            Some(Marker {
                x: at as f64,
                tip: format!(
                    "change point: {} ({} {} → {}) at {}",
                    c.label(),
                    c.metric,
                    format::metric_value(c.metric, c.change.before_mean),
                    format::metric_value(c.metric, c.change.after_mean),
                    run.record.sha7()
                ),
                href: paths::link(here, &run.page),
            })
        })
        .collect();
    let mut off_chart = Vec::new();
    let p95_limit = limit_of(s, Metric::P95);
    if let Some(l) = &p95_limit {
        let values = s.points.iter().flat_map(|p| [p.p50, p.p95, p.p99]);
        if !limit_drawn(values, l) {
            off_chart.push(l.text.clone());
        }
    }
    let trend = latency_trend(
        &trend_points,
        &markers,
        &labels,
        p95_limit.as_ref(),
        &format!("latency of {} over time", s.key.operation),
    )
    .map_err(|e| ("latency trend", e))?;

    // Not measured (NaN): left out of the charts.
    let series = |f: fn(&crate::model::Point) -> f64| -> Vec<(f64, f64)> {
        keep.iter()
            .map(|&i| (i as f64, f(&s.points[i])))
            .filter(|(_, v)| v.is_finite())
            .collect()
    };
    let specs: [MetricSpec; 6] = [
        ("Throughput", "rps", Metric::Rps, |p| p.rps, 0),
        ("Error rate", "%", Metric::ErrorRate, |p| p.error_percent, 1),
        ("Memory", "MB", Metric::MemoryMb, |p| p.memory_mb, 3),
        ("CPU", "%", Metric::CpuPercent, |p| p.cpu_percent, 2),
        (
            "Allocated",
            "bytes/op",
            Metric::BytesPerOp,
            |p| p.bytes_per_op,
            4,
        ),
        (
            "Allocations",
            "allocs/op",
            Metric::AllocsPerOp,
            |p| p.allocs_per_op,
            5,
        ),
    ];
    let mut metrics = Vec::new();
    for (title, unit, metric, f, color) in specs {
        let values = series(f);
        if metric.is_microbench_extra() && values.is_empty() {
            // Only harnesses that report them (Go's -benchmem) get these charts.
            continue;
        }
        let limit = limit_of(s, metric);
        if let Some(l) = &limit {
            if !limit_drawn(values.iter().map(|v| v.1), l) {
                off_chart.push(l.text.clone());
            }
        }
        let svg = metric_trend(
            &values,
            &labels,
            unit,
            PALETTE[color],
            limit.as_ref(),
            &format!("{title} of {}", s.key.operation),
        )
        .map_err(|e| ("metric", e))?;
        metrics.push((svg, format!("{title} ({unit})")));
    }
    Ok(Charts {
        trend,
        metrics,
        shown: keep.len(),
        off_chart,
    })
}

fn render_page(
    ctx: &Ctx<'_>,
    model: &Model<'_>,
    s: &Series<'_>,
    here: &str,
    page: usize,
    pages: usize,
    charts: Option<Charts>,
) -> String {
    let per_page = ctx.opts.table_page_size.max(1);
    let crumbs = format!("{} · {}", s.key.suite, s.key.test_type);
    let last = s.latest().copied();
    let figure =
        |label: &'static str, value: String| view! { <div><dt>{label}</dt><dd>{value}</dd></div> };
    let figures = last.map(|p| {
        view! {
            <dl class="figures">
                {figure("p50", format::ms(p.p50))}
                {figure("p95", format::ms(p.p95))}
                {figure("p99", format::ms(p.p99))}
                {figure("throughput", format!("{} rps", format::rps(p.rps)))}
                {figure("errors", format::percent(p.error_percent))}
                {figure("Δ p95 vs previous", s.p95_change_percent().map(format::delta).unwrap_or_else(|| format::NOT_MEASURED.into()))}
                <div><dt>"status"</dt><dd><Badge text=s.status.as_str()/></dd></div>
            </dl>
        }
    });
    // The project's gates on this operation, each marked by how the latest run did.
    let gates = if s.gates.is_empty() {
        view! { <p class="gates muted">"No gates apply to this operation."</p> }.into_any()
    } else {
        let items = s
            .gates
            .iter()
            .map(|g| {
                let failed = s.failing.contains(g);
                let class = if failed { "gate fail" } else { "gate pass" };
                let title = if failed {
                    "the latest run fails this gate"
                } else {
                    "the latest run passes this gate"
                };
                view! { <li class=class title=title>{g.to_string()}</li> }
            })
            .collect_view();
        view! { <div class="gates"><span class="muted">"Gates: "</span><ul class="gates">{items}</ul></div> }.into_any()
    };

    let events = (page == 1).then(|| {
        let regs: Vec<AnyView> = regression_events(&s.regressions)
            .into_iter()
            .rev()
            .map(|e| event_item(model, here, e).into_any())
            .collect();
        let cps: Vec<AnyView> = change_events(&s.change_points)
            .into_iter()
            .rev()
            .map(|e| event_item(model, here, e).into_any())
            .collect();
        view! {
            {(!regs.is_empty()).then(|| view! { <h2>"Flagged regressions"</h2><ul class="events regressions">{regs}</ul> })}
            {(!cps.is_empty()).then(|| view! { <h2>"Change points"</h2><ul class="events changes">{cps}</ul> })}
        }
    });

    let chart_views = charts.map(|c| {
        let mut caption = if c.shown < s.points.len() {
            format!("Latency over {} runs in run order ({} points shown, downsampled keeping peaks and flagged runs). Click a point for its run.", s.points.len(), c.shown)
        } else {
            format!("Latency over {} runs in run order. Click a point for its run.", s.points.len())
        };
        if !c.off_chart.is_empty() {
            caption.push_str(&format!(" Far above the values, not drawn: {}.", c.off_chart.join(", ")));
        }
        let legend = vec![
            LegendItem::line(PALETTE[2], "p50"),
            LegendItem::line(PALETTE[0], "p95"),
            LegendItem::line(PALETTE[1], "p99"),
            LegendItem { kind: "band", color: Some(super::hex(PALETTE[0])), label: "p50–p99".into() },
            LegendItem { kind: "ring", color: None, label: "flagged regression".into() },
            LegendItem { kind: "cp", color: None, label: "change point".into() },
            LegendItem { kind: "gate", color: None, label: "gate limit".into() },
        ];
        view! {
            <h2>"Latency"</h2>
            <Chart svg=c.trend caption=caption legend=legend/>
            <div class="charts">
                {c.metrics.into_iter().map(|(svg, caption)| view! { <Chart svg=svg caption=caption/> }).collect_view()}
            </div>
        }
    });

    // Newest first: page 1 holds the newest `per_page` runs.
    let rows: Vec<AnyView> = s
        .points
        .iter()
        .rev()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|p| {
            let run = &model.runs[p.run];
            let r = run.record;
            let run_href = paths::link(here, &run.page);
            let sha = r.sha7().to_string();
            let commit = match run.commit_url() {
                Some(url) => view! { <a class="mono" href=url>{sha}</a> }.into_any(),
                None => view! { <span class="mono">{sha}</span> }.into_any(),
            };
            let message = r.git.commit_message.clone().unwrap_or_default();
            let title = message.clone();
            let flagged = s.regressions.iter().any(|g| g.run_id == r.run_id);
            view! {
                <tr>
                    <td><a href=run_href>{format::date_time(&r.started_at)}</a></td>
                    <td>{commit}</td>
                    <td class="msg" title=title>{message}</td>
                    <td class="num">{format::ms(p.p50)}</td>
                    <td class="num">{format::ms(p.p95)}</td>
                    <td class="num">{format::ms(p.p99)}</td>
                    <td class="num">{format::rps(p.rps)}</td>
                    <td class="num">{format::percent(p.error_percent)}</td>
                    <td>{flagged.then(|| view! { <Badge text="regressed"/> })}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let key = s.key.clone();
    let nav = pager(page, pages, |p| {
        paths::link(here, &paths::operation_page(&key, p))
    });
    let nav2 = pager(page, pages, |p| {
        paths::link(here, &paths::operation_page(&key, p))
    });
    let first_page = (page > 1).then(|| {
        view! { <p><a href=paths::link(here, &paths::operation_page(&s.key, 1))>"← charts and latest runs"</a></p> }
    });
    let body = view! {
        <p class="crumbs"><a href=paths::link(here, paths::INDEX)>"Operations"</a> " › " {crumbs}</p>
        <h1 class="name">{s.key.operation.clone()}</h1>
        {figures}
        {gates}
        {events}
        {chart_views}
        {first_page}
        <h2>"Runs"</h2>
        {nav}
        <div class="table-wrap">
            <table class="runs">
                <thead><tr>
                    <th>"Run"</th><th>"Commit"</th><th>"Message"</th><th class="num">"p50"</th><th class="num">"p95"</th>
                    <th class="num">"p99"</th><th class="num">"rps"</th><th class="num">"errors"</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {nav2}
    };
    document(ctx, here, &s.key.operation, body)
}
