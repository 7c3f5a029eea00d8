//! An operation's history: the latency band with p50/p95/p99 lines (each point linked to its run), change
//! points and flagged regressions marked, the p95 gate's limit; and the small single-metric charts beside it.
//!
//! The x axis is the run order, not the clock: nightly runs minutes apart and runs weeks apart each get one
//! step, so a burst of runs never bunches into one blob. Dates are the axis labels (the run at each tick).

use plotters::prelude::*;

use super::{
    axis_number, finish, value_range, ChartError, Overlay, FG, FONT, GRID, LABEL_SIZE, PALETTE,
};

/// Size of the latency trend chart.
pub const TREND_SIZE: (u32, u32) = (640, 320);
/// Size of a small metric chart.
pub const METRIC_SIZE: (u32, u32) = (360, 200);

/// One run in the latency trend.
pub struct TrendPoint {
    /// Position in the run order (0 = the series' oldest run).
    pub x: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// Link of the point (the run page, relative).
    pub href: String,
    /// Tooltip (commit, message, values): any text, escaped here.
    pub tip: String,
    /// Drawn as a regression marker.
    pub flagged: bool,
}

/// A vertical marker (a change point) at a run.
pub struct Marker {
    /// Position in the run order.
    pub x: f64,
    pub tip: String,
    pub href: String,
}

/// A gate's limit drawn as a horizontal line, e.g. `p95 <= 200ms`.
pub struct Limit {
    /// In the chart's unit.
    pub value: f64,
    /// The gate as written.
    pub text: String,
}

/// The x range of `n` runs in run order, half a step of room on each side.
fn x_range(n: usize) -> (f64, f64) {
    (-0.5, n.max(1) as f64 - 0.5)
}

/// x-axis labels: the label of the run at a whole-number position, nothing between runs.
fn run_label(labels: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        labels.get(i as usize).cloned().unwrap_or_default()
    }
}

/// The y range widened to show `limit` when it is near the data (at most twice the highest value); a limit
/// far above would flatten the data into a line at the bottom, so it is left out (and the page says so).
fn with_limit(hi: f64, data_max: f64, limit: Option<&Limit>) -> (f64, Option<&Limit>) {
    match limit {
        Some(l) if l.value.is_finite() && l.value >= 0.0 && l.value <= 2.0 * data_max.max(0.0) => {
            (hi.max(l.value * 1.08), Some(l))
        }
        _ => (hi, None),
    }
}

/// Whether `limit` is drawn on a chart of these values (see [`with_limit`]).
pub fn limit_drawn(values: impl Iterator<Item = f64>, limit: &Limit) -> bool {
    let max = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    with_limit(0.0, max, Some(limit)).1.is_some()
}

/// Draws the limit line with its text at the right end.
fn draw_limit(overlay: &mut Overlay, (x0, x1): (i32, i32), y: i32, limit: &Limit) {
    overlay.hline((x0, x1), y, "gate", &format!("gate {}", limit.text));
    overlay.text((x1 - 4, y - 4), "gate-label", "end", &limit.text);
}

/// The latency trend: p50–p99 band, the three lines, linked points, change points, regressions and the p95
/// gate. `labels[i]` names the run at position `i` (its date).
pub fn latency_trend(
    points: &[TrendPoint],
    markers: &[Marker],
    labels: &[String],
    limit: Option<&Limit>,
    label: &str,
) -> Result<String, ChartError> {
    let range = x_range(labels.len());
    let data_max = points
        .iter()
        .flat_map(|p| [p.p50, p.p95, p.p99])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (_, ymax) = value_range(points.iter().flat_map(|p| [p.p50, p.p95, p.p99]), true);
    let (ymax, limit) = with_limit(ymax, data_max, limit);
    let mut svg = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut svg, TREND_SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(34)
            .y_label_area_size(54)
            .build_cartesian_2d(range.0..range.1, 0f64..ymax)?;
        let fmt_x = run_label(labels);
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(5)
            .y_labels(6)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&|v| axis_number(*v))
            .x_desc("runs, oldest to newest")
            .y_desc("ms")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;

        if points.len() >= 2 {
            let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.p99)).collect();
            band.extend(points.iter().rev().map(|p| (p.x, p.p50)));
            chart.draw_series(std::iter::once(Polygon::new(band, PALETTE[0].mix(0.15))))?;
        }
        let lines = super::percentile_lines::<TrendPoint>(|p| p.p50, |p| p.p95, |p| p.p99);
        for (value, color, width) in lines {
            chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.x, value(p))),
                color.stroke_width(width),
            ))?;
        }

        let (top, bottom) = (
            chart.backend_coord(&(range.0, ymax)).1,
            chart.backend_coord(&(range.0, 0.0)).1,
        );
        if let Some(l) = limit {
            let (x0, y) = chart.backend_coord(&(range.0, l.value));
            let (x1, _) = chart.backend_coord(&(range.1, l.value));
            draw_limit(&mut overlay, (x0, x1), y, l);
        }
        for m in markers {
            let (x, _) = chart.backend_coord(&(m.x, 0.0));
            overlay.vline(x, (top, bottom), "cp", &m.tip, Some(&m.href));
        }
        for p in points {
            let xy = chart.backend_coord(&(p.x, p.p95));
            if p.flagged {
                overlay.linked_point(xy, 7, "reg", &p.href, &p.tip);
            }
            overlay.linked_point(xy, 4, "pt", &p.href, &p.tip);
        }
        root.present()?;
    }
    Ok(finish(overlay.apply(svg), "trend", label))
}

/// A small chart of one metric in run order (throughput, error rate, memory, CPU), with its gate's limit
/// when it has one near the data. `points` are `(position, value)`; `labels[i]` names the run at `i`.
pub fn metric_trend(
    points: &[(f64, f64)],
    labels: &[String],
    unit: &str,
    color: RGBColor,
    limit: Option<&Limit>,
    label: &str,
) -> Result<String, ChartError> {
    let range = x_range(labels.len());
    let data_max = points
        .iter()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (lo, hi) = value_range(points.iter().map(|p| p.1), true);
    let (hi, limit) = with_limit(hi, data_max, limit);
    let mut svg = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut svg, METRIC_SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .margin_right(20)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(range.0..range.1, lo..hi)?;
        let fmt_x = run_label(labels);
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(3)
            .y_labels(4)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc(unit)
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))?;
        if points.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(points[0], 3, color.filled())))?;
        }
        if let Some(l) = limit {
            let (x0, y) = chart.backend_coord(&(range.0, l.value));
            let (x1, _) = chart.backend_coord(&(range.1, l.value));
            draw_limit(&mut overlay, (x0, x1), y, l);
        }
        root.present()?;
    }
    Ok(finish(overlay.apply(svg), "metric", label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("01-{:02}", i + 1)).collect()
    }

    #[test]
    fn trend_has_band_lines_linked_points_markers_and_the_gate() {
        let points: Vec<TrendPoint> = (0..5)
            .map(|i| TrendPoint {
                x: i as f64,
                p50: 10.0,
                p95: 20.0 + i as f64,
                p99: 30.0,
                href: format!("../runs/r{i}.html"),
                tip: format!("<b>run {i}</b> a&b"),
                flagged: i == 4,
            })
            .collect();
        let markers = [Marker {
            x: 3.0,
            tip: "p95 +20 % \"since\" <x>".into(),
            href: "../runs/r3.html".into(),
        }];
        let limit = Limit {
            value: 40.0,
            text: "p95 <= 40ms".into(),
        };
        let svg = latency_trend(
            &points,
            &markers,
            &labels(5),
            Some(&limit),
            "latency of <op>",
        )
        .unwrap();
        assert!(svg.contains("<polygon"), "band");
        for c in [PALETTE[0], PALETTE[1], PALETTE[2]] {
            assert_eq!(super::super::lines_in(&svg, c), 1, "p50, p95 and p99 lines");
        }
        assert_eq!(svg.matches("class=\"pt\"").count(), 5);
        assert_eq!(svg.matches("class=\"reg\"").count(), 1);
        assert_eq!(svg.matches("class=\"cp\"").count(), 1);
        assert_eq!(svg.matches("class=\"gate\"").count(), 1);
        assert!(svg.contains("p95 &lt;= 40ms"), "the limit is labelled");
        assert!(svg.contains("href=\"../runs/r4.html\""));
        assert!(!svg.contains("<b>") && !svg.contains("<x>") && !svg.contains("<op>"));
        assert!(svg.contains("viewBox=\"0 0 640 320\""));
        // A limit far above the data is not drawn (it would flatten the lines).
        let far = Limit {
            value: 500.0,
            text: "p95 <= 500ms".into(),
        };
        let svg = latency_trend(&points, &markers, &labels(5), Some(&far), "x").unwrap();
        assert_eq!(svg.matches("class=\"gate\"").count(), 0);
    }

    #[test]
    fn runs_are_evenly_spaced_in_run_order_and_labelled_by_date() {
        let points: Vec<TrendPoint> = (0..3)
            .map(|i| TrendPoint {
                x: i as f64,
                p50: 1.0,
                p95: 2.0,
                p99: 3.0,
                href: format!("r{i}.html"),
                tip: String::new(),
                flagged: false,
            })
            .collect();
        let svg = latency_trend(&points, &[], &labels(3), None, "x").unwrap();
        let xs: Vec<i32> = svg
            .match_indices("<circle cx=\"")
            .map(|(at, m)| {
                let rest = &svg[at + m.len()..];
                rest[..rest.find('"').unwrap()].parse::<i32>().unwrap()
            })
            .collect();
        assert_eq!(xs.len(), 3);
        assert!((xs[1] - xs[0] - (xs[2] - xs[1])).abs() <= 1, "{xs:?}");
        assert!(
            svg.contains(">01-01<") || svg.contains(">\n01-01\n<"),
            "dates label the runs"
        );
    }

    #[test]
    fn single_points_and_empty_series_draw() {
        let one = [(0.0, 5.0)];
        assert!(metric_trend(&one, &labels(1), "rps", PALETTE[0], None, "x")
            .unwrap()
            .contains("<circle"));
        assert!(metric_trend(&[], &[], "rps", PALETTE[0], None, "x")
            .unwrap()
            .contains("<svg"));
        assert!(latency_trend(&[], &[], &[], None, "x")
            .unwrap()
            .contains("<svg"));
    }
}
