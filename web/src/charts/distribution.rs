//! The latency percentile distribution, plotted as HdrHistogram plots it: the x axis is 1/(1-p) on a log
//! scale, so 90 %, 99 %, 99.9 % and 99.99 % are evenly spaced and the tail — where the trouble is — gets
//! as much room as the body.

use plotters::prelude::*;

use super::{axis_number, finish, ChartError, FG, FONT, GRID, LABEL_SIZE, PALETTE};

/// Size of the distribution chart.
pub const SIZE: (u32, u32) = (640, 320);

/// One line of the chart: `(percentile 0–100, latency ms)` points, lowest percentile first.
pub struct Curve {
    pub points: Vec<(f64, f64)>,
}

/// x position of a percentile: 1 / (1 - p), capped so that p = 100 % stays on the chart.
pub fn x_of(percentile: f64, x_max: f64) -> f64 {
    let rest = 1.0 - (percentile / 100.0).clamp(0.0, 1.0);
    if rest <= 0.0 {
        x_max
    } else {
        (1.0 / rest).clamp(1.0, x_max)
    }
}

/// The label of an x position: `0%`, `90%`, `99%`, `99.9%`, …
pub fn percentile_label(x: f64) -> String {
    if x <= 1.0 {
        return "0%".to_string();
    }
    let p = 100.0 * (1.0 - 1.0 / x);
    let decimals = (x.log10().round() as i32 - 2).max(0) as usize;
    format!("{p:.decimals$}%")
}

/// The distribution chart; one colour per curve (the page prints the legend).
pub fn percentile_distribution(curves: &[Curve], label: &str) -> Result<String, ChartError> {
    // Enough decades for the deepest percentile any curve reaches short of 100 %, between 99.9 % and 99.9999 %.
    let deepest = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .filter(|p| *p < 100.0)
        .fold(0.0, f64::max);
    let decades = if deepest > 0.0 {
        (1.0 / (1.0 - deepest / 100.0))
            .log10()
            .ceil()
            .clamp(3.0, 6.0)
    } else {
        3.0
    };
    let x_max = 10f64.powf(decades);
    let y_hi = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.08;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            // The last tick (99.99 %, 99.999 %, …) sits on the right edge and is centred on it: leave room.
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(54)
            .build_cartesian_2d((1f64..x_max).log_scale(), 0f64..y_hi)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(decades as usize + 1)
            .y_labels(6)
            .x_label_formatter(&|x| percentile_label(*x))
            .y_label_formatter(&|v| axis_number(*v))
            .x_desc("percentile")
            .y_desc("ms")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        for (i, c) in curves.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart.draw_series(LineSeries::new(
                c.points.iter().map(|&(p, v)| (x_of(p, x_max), v)),
                color.stroke_width(2),
            ))?;
        }
        root.present()?;
    }
    Ok(finish(svg, "dist", label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perfgate_reports::LatencyHistogram;

    #[test]
    fn percentiles_map_to_decades() {
        assert_eq!(x_of(0.0, 1e4), 1.0);
        assert!((x_of(90.0, 1e4) - 10.0).abs() < 1e-9);
        assert!((x_of(99.9, 1e4) - 1000.0).abs() < 1e-6);
        assert_eq!(x_of(100.0, 1e4), 1e4);
        assert_eq!(percentile_label(1.0), "0%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(100.0), "99%");
        assert_eq!(percentile_label(1000.0), "99.9%");
        assert_eq!(percentile_label(10000.0), "99.99%");
    }

    #[test]
    fn draws_a_curve_from_a_real_histogram_with_log_ticks() {
        let mut h = LatencyHistogram::new();
        for v in 1..=10_000u64 {
            h.record_us(1_000 + v * 3);
        }
        let curve = Curve {
            points: h.percentile_distribution(5),
        };
        assert!(curve.points.len() > 20);
        let svg = percentile_distribution(&[curve], "d").unwrap();
        assert_eq!(super::super::lines_in(&svg, PALETTE[0]), 1);
        for tick in ["90%", "99%", "99.9%"] {
            assert!(
                svg.contains(&format!(">\n{tick}\n<")) || svg.contains(&format!(">{tick}<")),
                "tick {tick}"
            );
        }
    }
}
