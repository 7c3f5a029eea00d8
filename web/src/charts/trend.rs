//! An operation's history over time: the latency band with p50/p95/p99 lines (each point linked to its run),
//! change points and flagged regressions marked; and the small single-metric charts beside it.

use chrono::{DateTime, Duration, Utc};
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
    pub time: DateTime<Utc>,
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

/// A vertical marker (a change point) at a time.
pub struct Marker {
    pub time: DateTime<Utc>,
    pub tip: String,
    pub href: String,
}

/// The time range of the points, widened when all points share one instant.
fn time_range(times: impl Iterator<Item = DateTime<Utc>>) -> (DateTime<Utc>, DateTime<Utc>) {
    let mut lo: Option<DateTime<Utc>> = None;
    let mut hi: Option<DateTime<Utc>> = None;
    for t in times {
        lo = Some(lo.map_or(t, |l| l.min(t)));
        hi = Some(hi.map_or(t, |h| h.max(t)));
    }
    let lo = lo.unwrap_or_default();
    let hi = hi.unwrap_or(lo);
    let span = (hi - lo).max(Duration::hours(1));
    let pad = span / 40;
    if hi == lo {
        (lo - Duration::hours(1), hi + Duration::hours(1))
    } else {
        (lo - pad, hi + pad)
    }
}

/// x-axis labels: the day when the range spans days, else the time of day.
fn time_label(range: (DateTime<Utc>, DateTime<Utc>)) -> impl Fn(&DateTime<Utc>) -> String {
    let days = (range.1 - range.0).num_hours() >= 36;
    move |t: &DateTime<Utc>| {
        if days {
            t.format("%m-%d").to_string()
        } else {
            t.format("%H:%M").to_string()
        }
    }
}

/// The latency trend: p50–p99 band, the three lines, linked points, change points and regressions.
pub fn latency_trend(
    points: &[TrendPoint],
    markers: &[Marker],
    label: &str,
) -> Result<String, ChartError> {
    let range = time_range(
        points
            .iter()
            .map(|p| p.time)
            .chain(markers.iter().map(|m| m.time)),
    );
    let (_, ymax) = value_range(points.iter().flat_map(|p| [p.p50, p.p95, p.p99]), true);
    let mut svg = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut svg, TREND_SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(54)
            .build_cartesian_2d(range.0..range.1, 0f64..ymax)?;
        let fmt_x = time_label(range);
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
            .y_desc("ms")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;

        if points.len() >= 2 {
            let mut band: Vec<(DateTime<Utc>, f64)> =
                points.iter().map(|p| (p.time, p.p99)).collect();
            band.extend(points.iter().rev().map(|p| (p.time, p.p50)));
            chart.draw_series(std::iter::once(Polygon::new(band, PALETTE[0].mix(0.15))))?;
        }
        let lines = super::percentile_lines::<TrendPoint>(|p| p.p50, |p| p.p95, |p| p.p99);
        for (value, color, width) in lines {
            chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.time, value(p))),
                color.stroke_width(width),
            ))?;
        }

        let (top, bottom) = (
            chart.backend_coord(&(range.0, ymax)).1,
            chart.backend_coord(&(range.0, 0.0)).1,
        );
        for m in markers {
            let (x, _) = chart.backend_coord(&(m.time, 0.0));
            overlay.vline(x, (top, bottom), "cp", &m.tip, Some(&m.href));
        }
        for p in points {
            let xy = chart.backend_coord(&(p.time, p.p95));
            if p.flagged {
                overlay.linked_point(xy, 7, "reg", &p.href, &p.tip);
            }
            overlay.linked_point(xy, 4, "pt", &p.href, &p.tip);
        }
        root.present()?;
    }
    Ok(finish(overlay.apply(svg), "trend", label))
}

/// A small chart of one metric over time (throughput, error rate, memory, CPU).
pub fn metric_trend(
    points: &[(DateTime<Utc>, f64)],
    unit: &str,
    color: RGBColor,
    label: &str,
) -> Result<String, ChartError> {
    let range = time_range(points.iter().map(|p| p.0));
    let (lo, hi) = value_range(points.iter().map(|p| p.1), true);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, METRIC_SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(range.0..range.1, lo..hi)?;
        let fmt_x = time_label(range);
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
        root.present()?;
    }
    Ok(finish(svg, "metric", label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    #[test]
    fn trend_has_band_lines_linked_points_and_markers() {
        let points: Vec<TrendPoint> = (0..5)
            .map(|i| TrendPoint {
                time: at(i * 24),
                p50: 10.0,
                p95: 20.0 + i as f64,
                p99: 30.0,
                href: format!("../runs/r{i}.html"),
                tip: format!("<b>run {i}</b> a&b"),
                flagged: i == 4,
            })
            .collect();
        let markers = [Marker {
            time: at(72),
            tip: "p95 +20 % \"since\" <x>".into(),
            href: "../runs/r3.html".into(),
        }];
        let svg = latency_trend(&points, &markers, "latency of <op>").unwrap();
        assert!(svg.contains("<polygon"), "band");
        for c in [PALETTE[0], PALETTE[1], PALETTE[2]] {
            assert_eq!(super::super::lines_in(&svg, c), 1, "p50, p95 and p99 lines");
        }
        assert_eq!(svg.matches("class=\"pt\"").count(), 5);
        assert_eq!(svg.matches("class=\"reg\"").count(), 1);
        assert_eq!(svg.matches("class=\"cp\"").count(), 1);
        assert!(svg.contains("href=\"../runs/r4.html\""));
        assert!(!svg.contains("<b>") && !svg.contains("<x>") && !svg.contains("<op>"));
        assert!(svg.contains("viewBox=\"0 0 640 320\""));
    }

    #[test]
    fn single_points_and_empty_series_draw() {
        let one = [(at(0), 5.0)];
        assert!(metric_trend(&one, "rps", PALETTE[0], "x")
            .unwrap()
            .contains("<circle"));
        assert!(metric_trend(&[], "rps", PALETTE[0], "x")
            .unwrap()
            .contains("<svg"));
        assert!(latency_trend(&[], &[], "x").unwrap().contains("<svg"));
    }
}
