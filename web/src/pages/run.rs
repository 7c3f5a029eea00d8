//! A run's page: where and on what it ran, its warnings, the benchmark table, the load timeline, the stress
//! curve with its breaking point, the latency percentile distribution, and the analysis's advice.

use leptos::prelude::*;

use perfgate_reports::record::{LatencyMs, OperationResult, TestType};
use perfgate_reports::RunRecord;

use super::events::{change_events, event_item, regression_events};
use super::{document, Chart, Ctx, LegendItem};
use crate::charts::distribution::{percentile_distribution, Curve};
use crate::charts::stress::{stress_curve, Step};
use crate::charts::timeline::{latency_per_second, throughput_and_users, Second};
use crate::charts::{ChartError, PALETTE};
use crate::downsample::lttb_indices;
use crate::format;
use crate::input::{OperationKey, SiteError};
use crate::model::{Model, Run};
use crate::paths;

/// Ticks per half distance when walking a histogram for the distribution chart (about 10 points per decade).
const DIST_TICKS: u32 = 5;

/// Renders the page of `model.runs[index]`.
pub fn render(ctx: &Ctx<'_>, model: &Model<'_>, index: usize) -> Result<String, SiteError> {
    let run = &model.runs[index];
    let here = run.page.as_str();
    let r = run.record;
    let chart_err = |chart: &'static str| {
        move |e: ChartError| SiteError::Chart {
            chart,
            page: here.to_string(),
            message: e.0,
        }
    };

    let header = header(run, here);
    let env = environment(r);
    let warnings: Vec<String> = r
        .warnings
        .iter()
        .cloned()
        .chain(r.system.runner_saturated.then(|| {
            "The runner used most of its CPU: these numbers may measure perfgate rather than the service.".to_string()
        }))
        .collect();

    let regs: Vec<_> = model
        .series
        .values()
        .flat_map(|s| s.regressions.iter().copied())
        .filter(|g| g.run_id == r.run_id)
        .collect();
    let cps: Vec<_> = model
        .series
        .values()
        .flat_map(|s| s.change_points.iter().copied())
        .filter(|c| c.run_id() == r.run_id)
        .collect();
    let events: Vec<AnyView> = regression_events(&regs)
        .into_iter()
        .chain(change_events(&cps))
        .map(|e| event_item(model, here, e).into_any())
        .collect();

    let bench = r.benchmark.as_ref().map(|b| {
        let caption = format!(
            "{} iterations after {} warm-up iterations per operation",
            b.iterations, b.warmup_iterations
        );
        view! {
            <h2>"Benchmark"</h2>
            <p class="muted">{caption}</p>
            {ops_table(here, &r.suite, TestType::Benchmark, &b.operations)}
        }
    });

    let load = match &r.load {
        Some(l) => {
            let seconds: Vec<Second> = l
                .timeline
                .iter()
                .map(|t| Second {
                    second: f64::from(t.second),
                    rps: t.rps,
                    users: f64::from(t.active_users),
                    p50: t.p50_ms,
                    p95: t.p95_ms,
                    p99: t.p99_ms,
                })
                .collect();
            let xs: Vec<f64> = seconds.iter().map(|p| p.second).collect();
            let ys: Vec<f64> = seconds.iter().map(|p| p.p95).collect();
            let keep = lttb_indices(&xs, &ys, ctx.opts.max_chart_points.max(3) * 2);
            let seconds: Vec<Second> = keep.iter().map(|&i| seconds[i]).collect();
            let charts = if seconds.is_empty() {
                None
            } else {
                Some((
                    throughput_and_users(&seconds, "throughput and active users per second")
                        .map_err(chart_err("load timeline"))?,
                    latency_per_second(&seconds, "latency per second")
                        .map_err(chart_err("load latency"))?,
                ))
            };
            let mut facts = format!(
                "{} model · {} users · {:.0} s · ramp-up {:.0} s · {} rps overall",
                l.model,
                l.concurrent_users,
                l.duration_seconds,
                l.ramp_up_seconds,
                format::rps(l.overall.throughput_rps)
            );
            if let Some(t) = l.target_rps {
                facts.push_str(&format!(" (target {})", format::rps(t)));
            }
            if l.late_starts > 0 || l.dropped_starts > 0 {
                facts.push_str(&format!(
                    " · {} late starts, {} dropped",
                    l.late_starts, l.dropped_starts
                ));
            }
            Some(view! {
                <h2>"Load"</h2>
                <p class="muted">{facts}</p>
                {charts.map(|(a, b)| view! {
                    <Chart svg=a caption="Throughput and active users per second".to_string()
                        legend=vec![LegendItem::line(PALETTE[0], "rps"), LegendItem::line(PALETTE[3], "active users (right axis, dashed)")]/>
                    <Chart svg=b caption="Latency per second".to_string()
                        legend=vec![LegendItem::line(PALETTE[2], "p50"), LegendItem::line(PALETTE[0], "p95"), LegendItem::line(PALETTE[1], "p99")]/>
                })}
                {ops_table(here, &r.suite, TestType::Load, &l.operations)}
            })
        }
        None => None,
    };

    let stress = match &r.stress {
        Some(st) => {
            let steps: Vec<Step> = st
                .steps
                .iter()
                .map(|s| Step {
                    concurrency: f64::from(s.concurrency),
                    rps: s.throughput_rps,
                    p95: s.latency_ms.p95,
                })
                .collect();
            let bp = st.breaking_point.as_ref().map(|b| f64::from(b.concurrency));
            let capacity = st.capacity.as_ref();
            let fitted = capacity.filter(|c| c.is_fitted());
            let fit_fn = |n: f64| fitted.and_then(|c| c.throughput_at(n)).unwrap_or(f64::NAN);
            let fit: Option<&dyn Fn(f64) -> f64> = fitted.map(|_| &fit_fn as &dyn Fn(f64) -> f64);
            let svg = stress_curve(&steps, bp, fit, "stress curve").map_err(chart_err("stress"))?;
            let mut legend = vec![
                LegendItem::line(PALETTE[0], "throughput (rps)"),
                LegendItem::line(PALETTE[1], "p95 (right axis, dashed)"),
            ];
            if fitted.is_some() {
                legend.push(LegendItem::line(PALETTE[3], "USL fit"));
            }
            let capacity_line = capacity.map(|c| c.line());
            let reason = st
                .breaking_point
                .as_ref()
                .map(|b| format!("Breaking point at {} users: {}", b.concurrency, b.reason));
            let rows = st
                .steps
                .iter()
                .map(|s| {
                    view! {
                        <tr>
                            <td class="num">{s.concurrency}</td>
                            <td class="num">{s.total_requests}</td>
                            <td class="num">{format::rps(s.throughput_rps)}</td>
                            <td class="num">{format::ms(s.latency_ms.p50)}</td>
                            <td class="num">{format::ms(s.latency_ms.p95)}</td>
                            <td class="num">{format::ms(s.latency_ms.p99)}</td>
                            <td class="num">{format::percent(s.error_rate_percent)}</td>
                            <td>{s.stop_reason.clone()}</td>
                        </tr>
                    }
                })
                .collect_view();
            Some(view! {
                <h2>"Stress"</h2>
                <p>{st.conclusion.clone()}</p>
                {reason.map(|t| view! { <p class="notice">{t}</p> })}
                {capacity_line.map(|t| view! { <p class="capacity">{t}</p> })}
                <Chart svg=svg caption="Throughput and p95 by concurrency".to_string()
                    legend=legend/>
                <div class="table-wrap">
                    <table>
                        <thead><tr>
                            <th class="num">"users"</th><th class="num">"requests"</th><th class="num">"rps"</th><th class="num">"p50"</th>
                            <th class="num">"p95"</th><th class="num">"p99"</th><th class="num">"errors"</th><th>"stopped because"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })
        }
        None => None,
    };

    let distribution = {
        let (curves, legend, note) = distribution_curves(r, ctx.opts.max_distribution_series);
        if curves.is_empty() {
            None
        } else {
            let svg = percentile_distribution(&curves, "latency percentile distribution")
                .map_err(chart_err("distribution"))?;
            Some(view! {
                <h2>"Latency distribution"</h2>
                <Chart svg=svg caption=note legend=legend/>
            })
        }
    };

    let recs = perfgate_reports::site::recommendations(r);
    let recommendations = (!recs.is_empty()).then(|| {
        let items = recs
            .into_iter()
            .map(|(operation, x)| {
                let class = format!("badge {}", x.severity.as_str());
                let head = match operation {
                    Some(op) => format!("{op}: {}", x.message),
                    None => x.message.clone(),
                };
                let kind = x.kind.as_str();
                let severity = x.severity.as_str();
                let suggestions = x.suggestions.clone();
                view! {
                    <li>
                        <span class=class>{severity}</span> " " {head} " " <span class="tt">{kind}</span>
                        {(!suggestions.is_empty()).then(|| view! {
                            <ul>{suggestions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                        })}
                    </li>
                }
            })
            .collect_view();
        view! { <h2>"Recommendations"</h2><ul class="events">{items}</ul> }
    });

    let neighbours = neighbours(model, index, here);
    let title = format!("Run {}", r.run_id);
    let body = view! {
        {header}
        {warnings.into_iter().map(|w| view! { <p class="notice">{w}</p> }).collect_view()}
        {(!events.is_empty()).then(|| view! { <h2>"Flagged in this run"</h2><ul class="events">{events}</ul> })}
        {bench}
        {load}
        {stress}
        {distribution}
        {recommendations}
        <h2>"Environment"</h2>
        {env}
        {neighbours}
    };
    Ok(document(ctx, here, &title, body))
}

fn header(run: &Run<'_>, here: &str) -> impl IntoView {
    let r = run.record;
    let sha = r.sha7().to_string();
    let commit = match run.commit_url() {
        Some(url) => view! { <a class="mono" href=url>{sha}</a> }.into_any(),
        None => view! { <span class="mono">{sha}</span> }.into_any(),
    };
    let duration = (r.finished_at - r.started_at).num_milliseconds() as f64 / 1000.0;
    let mut branch = r
        .git
        .branch
        .clone()
        .unwrap_or_else(|| format::NOT_MEASURED.into());
    if let Some(pr) = r.git.pr_number {
        branch.push_str(&format!(" (PR #{pr})"));
    }
    if r.git.dirty {
        branch.push_str(" · uncommitted changes");
    }
    let crumbs = format!("{} · {}", r.suite, r.test_type);
    view! {
        <p class="crumbs"><a href=paths::link(here, paths::INDEX)>"Operations"</a> " › "
            <a href=paths::link(here, &paths::runs_list_page(1))>"Runs"</a> " › " {crumbs}</p>
        <h1 class="name">"Run " <span class="id">{r.run_id.clone()}</span></h1>
        <p class="name">{r.git.commit_message.clone()}</p>
        <dl class="figures">
            <div><dt>"started"</dt><dd>{format::date_time(&r.started_at)}</dd></div>
            <div><dt>"duration"</dt><dd>{format!("{duration:.1} s")}</dd></div>
            <div><dt>"commit"</dt><dd>{commit}</dd></div>
            <div><dt>"branch"</dt><dd>{branch}</dd></div>
        </dl>
    }
}

fn environment(r: &RunRecord) -> impl IntoView {
    let e = &r.environment;
    let rows: Vec<(&'static str, String)> = vec![
        (
            "OS",
            format!("{} {}", e.os, e.os_version).trim().to_string(),
        ),
        ("architecture", e.arch.clone()),
        (
            "CPU",
            format!("{} ({} cores)", e.cpu_model, e.cpu_cores)
                .trim()
                .to_string(),
        ),
        ("memory", format!("{} GiB", e.memory_gib)),
        ("runner", e.runner_kind.clone()),
        ("fingerprint", e.fingerprint.clone()),
        ("perfgate", e.perfgate_version.clone()),
        ("config digest", r.config_digest.clone()),
        ("repository", r.git.repository.clone().unwrap_or_default()),
        (
            "targets",
            r.targets
                .iter()
                .map(|t| format!("{} ({})", t.name, t.kind))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    let rows = rows
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| view! { <tr><th>{k}</th><td class="name">{v}</td></tr> })
        .collect_view();
    view! { <div class="table-wrap"><table class="env"><tbody>{rows}</tbody></table></div> }
}

/// The per-operation table of a benchmark or load section.
fn ops_table(here: &str, suite: &str, tt: TestType, ops: &[OperationResult]) -> impl IntoView {
    let rows = ops
        .iter()
        .map(|o| {
            let key = OperationKey::new(suite, tt, &o.operation_name);
            let href = paths::link(here, &paths::operation_page(&key, 1));
            let errors = o
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let samples = o.error_samples.join(" | ");
            view! {
                <tr>
                    <td><a class="name" href=href>{o.operation_name.clone()}</a></td>
                    <td class="num">{o.total_requests}</td>
                    <td class="num">{format::ms(o.latency_ms.p50)}</td>
                    <td class="num">{format::ms(o.latency_ms.p95)}</td>
                    <td class="num">{format::ms(o.latency_ms.p99)}</td>
                    <td class="num">{format::ms(o.latency_ms.max)}</td>
                    <td class="num">{format::rps(o.throughput_rps)}</td>
                    <td class="num">{format::percent(o.success_rate_percent)}</td>
                    <td class="num">{format::measured(o.memory_usage_mb, |v| format::num(v, "MB"))}</td>
                    <td class="num">{format::measured(o.cpu_usage_percent, format::percent)}</td>
                    <td class="msg" title=samples>{errors}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="ops-run">
                <thead><tr>
                    <th>"Operation"</th><th class="num">"requests"</th><th class="num">"p50"</th><th class="num">"p95"</th>
                    <th class="num">"p99"</th><th class="num">"max"</th><th class="num">"rps"</th><th class="num">"success"</th>
                    <th class="num">"memory"</th><th class="num">"CPU"</th><th>"errors"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The summary percentiles as distribution points, for results whose histogram was not kept.
fn summary_points(l: &LatencyMs) -> Vec<(f64, f64)> {
    [
        (0.0, l.min),
        (50.0, l.p50),
        (90.0, l.p90),
        (95.0, l.p95),
        (99.0, l.p99),
        (99.9, l.p999),
        (100.0, l.max),
    ]
    .into_iter()
    .filter(|&(p, v)| v > 0.0 || p == 0.0)
    .collect()
}

/// Curves for the slowest operations (by p99), the load's overall result first.
fn distribution_curves(r: &RunRecord, max: usize) -> (Vec<Curve>, Vec<LegendItem>, String) {
    let mut picked: Vec<(String, &OperationResult)> = Vec::new();
    if let Some(l) = &r.load {
        if l.overall.total_requests > 0 {
            picked.push(("load: all operations".to_string(), &l.overall));
        }
    }
    let mut ops: Vec<(TestType, &OperationResult)> = r
        .operations()
        .filter(|(tt, o)| *tt != TestType::Stress && o.total_requests > 0)
        .collect();
    let total = ops.len();
    ops.sort_by(|a, b| b.1.latency_ms.p99.total_cmp(&a.1.latency_ms.p99));
    for (tt, o) in ops {
        if picked.len() >= max.max(1) {
            break;
        }
        picked.push((format!("{tt}: {}", o.operation_name), o));
    }
    let mut from_summary = false;
    let mut curves = Vec::new();
    let mut legend = Vec::new();
    for (i, (name, o)) in picked.into_iter().enumerate() {
        let points = match &o.histogram {
            Some(h) if !h.is_empty() => h.percentile_distribution(DIST_TICKS),
            _ => {
                from_summary = true;
                summary_points(&o.latency_ms)
            }
        };
        legend.push(LegendItem::line(PALETTE[i % PALETTE.len()], name));
        curves.push(Curve { points });
    }
    let mut note = "Latency by percentile; the x axis is log-scaled so the tail (99 %, 99.9 %, …) is readable.".to_string();
    if total > curves.len() {
        note.push_str(&format!(
            " The {} slowest of {total} operations by p99.",
            curves.len()
        ));
    }
    if from_summary {
        note.push_str(
            " Some curves join the summary percentiles because the record kept no histogram.",
        );
    }
    (curves, legend, note)
}

/// Links to the previous and next run of the same suite.
fn neighbours(model: &Model<'_>, index: usize, here: &str) -> impl IntoView {
    let suite = &model.runs[index].record.suite;
    let prev = model.runs[..index]
        .iter()
        .rev()
        .find(|r| &r.record.suite == suite);
    let next = model.runs[index + 1..]
        .iter()
        .find(|r| &r.record.suite == suite);
    let link = |r: &Run<'_>| {
        (
            paths::link(here, &r.page),
            format!(
                "{} · {}",
                r.record.sha7(),
                format::date_time(&r.record.started_at)
            ),
        )
    };
    let prev = prev.map(link);
    let next = next.map(link);
    view! {
        <nav class="pages">
            {prev.map(|(h, t)| view! { <a href=h rel="prev">"← " {t}</a> })}
            {next.map(|(h, t)| view! { <a href=h rel="next">{t} " →"</a> })}
        </nav>
    }
}
