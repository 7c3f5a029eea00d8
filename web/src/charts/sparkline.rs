//! The small p95 line next to each operation on the index: the shape of the last runs, no axes.

use plotters::prelude::*;

use super::{finish, value_range, ChartError, PALETTE};

/// Width and height of a sparkline in pixels.
pub const SIZE: (u32, u32) = (120, 28);

/// A sparkline of `values` (oldest first); the last value gets a dot. Empty input draws an empty frame.
pub fn sparkline(values: &[f64], label: &str) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        if values.len() >= 2 {
            let (lo, hi) = value_range(values.iter().copied(), false);
            let mut chart = ChartBuilder::on(&root)
                .margin(3)
                .build_cartesian_2d(0f64..(values.len() - 1) as f64, lo..hi)?;
            chart.draw_series(LineSeries::new(
                values.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                PALETTE[0].stroke_width(2),
            ))?;
            let last = values.len() - 1;
            chart.draw_series(std::iter::once(Circle::new(
                (last as f64, values[last]),
                2,
                PALETTE[0].filled(),
            )))?;
        }
        root.present()?;
    }
    Ok(finish(svg, "spark", label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_small_line() {
        let svg = sparkline(&[1.0, 2.0, 1.5, 3.0], "p95 of a&b").unwrap();
        assert_eq!(super::super::lines_in(&svg, PALETTE[0]), 1, "{svg}");
        assert!(svg.contains("aria-label=\"p95 of a&amp;b\""));
        assert!(
            svg.len() < 1200,
            "sparklines must stay small: {} bytes",
            svg.len()
        );
        assert!(sparkline(&[], "x").unwrap().contains("<svg"));
    }
}
