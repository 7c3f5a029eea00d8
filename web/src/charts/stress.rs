//! The stress curve: throughput and p95 against concurrency, with the breaking point marked.

use plotters::prelude::*;

use super::{
    axis_number, finish, value_range, ChartError, Overlay, FG, FONT, GRID, LABEL_SIZE, PALETTE,
};

/// Size of the stress chart.
pub const SIZE: (u32, u32) = (640, 300);

/// One concurrency step.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub concurrency: f64,
    pub rps: f64,
    pub p95: f64,
}

/// Throughput (left axis, solid) and p95 (right axis, dashed) per concurrency step; a vertical line at the
/// breaking point when there is one; `fit` (users → rps, the Universal Scalability Law fitted to the steps)
/// drawn as a thin line over the measured points when the fit is usable.
pub fn stress_curve(
    steps: &[Step],
    breaking_point: Option<f64>,
    fit: Option<&dyn Fn(f64) -> f64>,
    label: &str,
) -> Result<String, ChartError> {
    let x1 = steps
        .iter()
        .map(|s| s.concurrency)
        .chain(breaking_point)
        .fold(1.0, f64::max);
    // The fitted curve, sampled over the chart's range (it may peak above the measured points).
    let fitted: Vec<(f64, f64)> = fit
        .map(|f| {
            (0..=60)
                .map(|i| {
                    let n = (1.0 + (x1 * 1.05 - 1.0) * f64::from(i) / 60.0).max(1.0);
                    (n, f(n))
                })
                .filter(|(_, v)| v.is_finite() && *v >= 0.0)
                .collect()
        })
        .unwrap_or_default();
    let (_, rps_hi) = value_range(
        steps
            .iter()
            .map(|s| s.rps)
            .chain(fitted.iter().map(|p| p.1)),
        true,
    );
    let (_, p95_hi) = value_range(steps.iter().map(|s| s.p95), true);
    let mut svg = String::new();
    let mut overlay = Overlay::default();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(54)
            .right_y_label_area_size(54)
            .build_cartesian_2d(0f64..x1 * 1.05, 0f64..rps_hi)?
            .set_secondary_coord(0f64..x1 * 1.05, 0f64..p95_hi);
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .x_labels(6)
            .y_labels(5)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| axis_number(*v))
            .x_desc("concurrent users")
            .y_desc("rps")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        chart
            .configure_secondary_axes()
            .axis_style(FG)
            .label_style((FONT, LABEL_SIZE, &FG))
            .y_labels(5)
            .y_label_formatter(&|v| axis_number(*v))
            .y_desc("p95 ms")
            .axis_desc_style((FONT, LABEL_SIZE, &FG))
            .draw()?;
        chart.draw_series(LineSeries::new(
            steps.iter().map(|s| (s.concurrency, s.rps)),
            PALETTE[0].stroke_width(2),
        ))?;
        chart.draw_series(
            steps
                .iter()
                .map(|s| Circle::new((s.concurrency, s.rps), 3, PALETTE[0].filled())),
        )?;
        if !fitted.is_empty() {
            chart.draw_series(LineSeries::new(
                fitted.iter().copied(),
                PALETTE[3].stroke_width(1),
            ))?;
        }
        chart.draw_secondary_series(DashedLineSeries::new(
            steps.iter().map(|s| (s.concurrency, s.p95)),
            6,
            4,
            PALETTE[1].stroke_width(2),
        ))?;
        chart.draw_secondary_series(
            steps
                .iter()
                .map(|s| Circle::new((s.concurrency, s.p95), 3, PALETTE[1].filled())),
        )?;
        if let Some(bp) = breaking_point {
            let (x, top) = chart.backend_coord(&(bp, rps_hi));
            let (_, bottom) = chart.backend_coord(&(bp, 0.0));
            overlay.vline(
                x,
                (top, bottom),
                "bp",
                &format!("breaking point: {bp:.0} users"),
                None,
            );
            overlay.text(
                (x - 4, top + 14),
                "bp-label",
                "end",
                &format!("breaks at {bp:.0}"),
            );
        }
        root.present()?;
    }
    Ok(finish(overlay.apply(svg), "stress", label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_breaking_point() {
        let steps: Vec<Step> = (1..=6)
            .map(|i| Step {
                concurrency: (i * 5) as f64,
                rps: 100.0 * i as f64,
                p95: 10.0 * (i * i) as f64,
            })
            .collect();
        let svg = stress_curve(&steps, Some(25.0), None, "stress").unwrap();
        assert_eq!(svg.matches("class=\"bp\"").count(), 1);
        assert!(svg.contains("breaks at 25"));
        assert!(svg.contains("concurrent users"));
        assert_eq!(crate::charts::lines_in(&svg, PALETTE[3]), 0, "no fit given");
        let none = stress_curve(&steps, None, None, "stress").unwrap();
        assert!(!none.contains("class=\"bp\""));
        let usl = |n: f64| perfgate_reports::capacity::usl(100.0, 0.02, 0.001, n);
        let fitted = stress_curve(&steps, None, Some(&usl), "stress").unwrap();
        assert_eq!(
            crate::charts::lines_in(&fitted, PALETTE[3]),
            1,
            "the fit is drawn"
        );
    }
}
