//! An operation's page: its latest figures, its regressions and change points, the latency trend (band, lines,
//! linked points, markers), throughput / error rate / memory / CPU over time, and a paginated table of runs.
//! Only the first page carries the charts; later pages hold the older rows of the table.

use leptos::prelude::*;

use super::events::{change_events, event_item, regression_events};
use super::{document, page_count, pager, Badge, Chart, Ctx, LegendItem};
use crate::charts::trend::{latency_trend, metric_trend, Marker, TrendPoint};
use crate::charts::{ChartError, PALETTE};
use crate::downsample::indices_keeping;
use crate::format;
use crate::input::SiteError;
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
}

/// A metric chart of the operation page: title, unit, the value of a point, palette index.
type MetricSpec = (
    &'static str,
    &'static str,
    fn(&crate::model::Point) -> f64,
    usize,
);

fn charts(
    ctx: &Ctx<'_>,
    model: &Model<'_>,
    s: &Series<'_>,
    here: &str,
) -> Result<Charts, (&'static str, ChartError)> {
    let xs: Vec<f64> = s
        .points
        .iter()
        .map(|p| model.runs[p.run].record.started_at.timestamp() as f64)
        .collect();
    let ys: Vec<f64> = s.points.iter().map(|p| p.p95).collect();
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
                time: run.record.started_at,
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
            let run = model.run_by_id(&c.run_id)?;
            Some(Marker {
                time: run.record.started_at,
                tip: format!(
                    "change point: {} ({} {} → {}) at {}",
                    c.label,
                    c.metric,
                    format::metric_value(&c.metric, c.before),
                    format::metric_value(&c.metric, c.after),
                    run.record.sha7()
                ),
                href: paths::link(here, &run.page),
            })
        })
        .collect();
    let trend = latency_trend(
        &trend_points,
        &markers,
        &format!("latency of {} over time", s.key.operation),
    )
    .map_err(|e| ("latency trend", e))?;

    let series = |f: fn(&crate::model::Point) -> f64| -> Vec<_> {
        keep.iter()
            .map(|&i| {
                (
                    model.runs[s.points[i].run].record.started_at,
                    f(&s.points[i]),
                )
            })
            .filter(|(_, v)| v.is_finite())
            .collect()
    };
    let specs: [MetricSpec; 4] = [
        ("Throughput", "rps", |p| p.rps, 0),
        ("Error rate", "%", |p| p.error_percent, 1),
        ("Memory", "MB", |p| p.memory_mb, 3),
        ("CPU", "%", |p| p.cpu_percent, 2),
    ];
    let mut metrics = Vec::new();
    for (title, unit, f, color) in specs {
        let svg = metric_trend(
            &series(f),
            unit,
            PALETTE[color],
            &format!("{title} of {}", s.key.operation),
        )
        .map_err(|e| ("metric", e))?;
        metrics.push((svg, format!("{title} ({unit})")));
    }
    Ok(Charts {
        trend,
        metrics,
        shown: keep.len(),
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
                {figure("Δ p95 vs previous", s.p95_change_percent().map(format::delta).unwrap_or_else(|| "–".into()))}
                <div><dt>"status"</dt><dd><Badge text=s.status.as_str()/></dd></div>
            </dl>
        }
    });

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
        let caption = if c.shown < s.points.len() {
            format!("Latency over {} runs ({} points shown, downsampled keeping peaks and flagged runs). Click a point for its run.", s.points.len(), c.shown)
        } else {
            format!("Latency over {} runs. Click a point for its run.", s.points.len())
        };
        let legend = vec![
            LegendItem::line(PALETTE[2], "p50"),
            LegendItem::line(PALETTE[0], "p95"),
            LegendItem::line(PALETTE[1], "p99"),
            LegendItem { kind: "band", color: Some(super::hex(PALETTE[0])), label: "p50–p99".into() },
            LegendItem { kind: "ring", color: None, label: "flagged regression".into() },
            LegendItem { kind: "cp", color: None, label: "change point".into() },
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
