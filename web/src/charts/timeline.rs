//! A load run second by second: throughput with the active users, and the per-second latency percentiles.

use plotters::prelude::*;

use super::{axis_number, finish, value_range, ChartError, FG, FONT, GRID, LABEL_SIZE, PALETTE};

/// Size of each timeline chart.
pub const SIZE: (u32, u32) = (640, 260);

/// One second of the timeline (already downsampled by the caller if long).
#[derive(Clone, Copy, Debug)]
pub struct Second {
    pub second: f64,
    pub rps: f64,
    pub users: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

fn x_range(points: &[Second]) -> (f64, f64) {
    let hi = points.iter().map(|p| p.second).fold(0.0, f64::max);
    (0.0, hi.max(1.0))
}

/// Throughput (left axis) and active users (right axis, dashed) per second.
pub fn throughput_and_users(points: &[Second], label: &str) -> Result<String, ChartError> {
    let (x0, x1) = x_range(points);
    let (_, rps_hi) = value_range(points.iter().map(|p| p.rps), true);
    let (_, users_hi) = value_range(points.iter().map(|p| p.users), true);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(54)
            .right_y_label_area_size(48)
            .build_cartesian_2d(x0..x1, 0f64..rps_hi)?
            .set_secondary_coord(x0..x1, 0f64..users_hi);
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|v| format!("{v:.0}s"))
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc("rps")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        chart
            .configure_secondary_axes()
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .y_labels(5)
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc("users")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.second, p.rps)),
            PALETTE[0].stroke_width(2),
        ))?;
        chart.draw_secondary_series(DashedLineSeries::new(
            points.iter().map(|p| (p.second, p.users)),
            6,
            4,
            PALETTE[3].stroke_width(2),
        ))?;
        root.present()?;
    }
    Ok(finish(svg, "timeline", label))
}

/// p50 / p95 / p99 latency per second.
pub fn latency_per_second(points: &[Second], label: &str) -> Result<String, ChartError> {
    let (x0, x1) = x_range(points);
    let (_, hi) = value_range(points.iter().flat_map(|p| [p.p50, p.p95, p.p99]), true);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(54)
            .build_cartesian_2d(x0..x1, 0f64..hi)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|v| format!("{v:.0}s"))
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc("ms")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        let lines = super::percentile_lines::<Second>(|p| p.p50, |p| p.p95, |p| p.p99);
        for (value, color, width) in lines {
            chart.draw_series(LineSeries::new(
                points.iter().map(|p| (p.second, value(p))),
                color.stroke_width(width),
            ))?;
        }
        root.present()?;
    }
    Ok(finish(svg, "timeline", label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_timeline_charts_draw_their_lines() {
        let pts: Vec<Second> = (0..30)
            .map(|s| Second {
                second: s as f64,
                rps: 100.0 + s as f64,
                users: (s.min(10)) as f64,
                p50: 5.0,
                p95: 9.0,
                p99: 12.0,
            })
            .collect();
        let a = throughput_and_users(&pts, "t").unwrap();
        assert_eq!(super::super::lines_in(&a, PALETTE[0]), 1, "rps line");
        assert!(a.contains("users"), "secondary axis description");
        let b = latency_per_second(&pts, "l").unwrap();
        for c in [PALETTE[0], PALETTE[1], PALETTE[2]] {
            assert_eq!(super::super::lines_in(&b, c), 1, "p50, p95 and p99 lines");
        }
        assert!(throughput_and_users(&[], "e").is_ok());
    }
}
