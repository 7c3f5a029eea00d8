//! Charts as inline SVG, drawn with plotters' SVG backend.
//!
//! plotters draws axes, bands and lines; it escapes every text it writes. What plotters cannot do — points
//! that link to a run page and carry a tooltip, marker lines for change points — is added as an
//! [`Overlay`] of plain SVG elements whose text goes through [`escape`]. No fonts are embedded: text is
//! drawn by the browser in its sans-serif font.
//!
//! Colours: the axes and labels are drawn in [`FG`] (pure black), which the stylesheet repaints in the page's
//! text colour, so one SVG reads in light and dark mode; series use mid-tone colours visible on both.

pub mod distribution;
pub mod sparkline;
pub mod stress;
pub mod timeline;
pub mod trend;

use plotters::style::{RGBAColor, RGBColor};

/// Drawn as black, repainted by CSS (`[fill="#000000"]`, `[stroke="#000000"]`) in the text colour.
pub const FG: RGBColor = RGBColor(0, 0, 0);
/// Grid lines: grey at low opacity, quiet on white and on near-black.
pub const GRID: RGBAColor = RGBAColor(128, 128, 128, 0.25);
/// Series colours, readable on light and dark backgrounds.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(37, 99, 235),  // blue
    RGBColor(234, 88, 12),  // orange
    RGBColor(22, 163, 74),  // green
    RGBColor(147, 51, 234), // purple
    RGBColor(219, 39, 119), // pink
    RGBColor(8, 145, 178),  // cyan
];
/// Regressions and breaking points.
/// A line of a chart: the value of a point, its colour, its stroke width.
pub type Line<P> = (fn(&P) -> f64, RGBColor, u32);

/// The p50 / p95 / p99 lines every latency chart draws (p95, the gated one, is the thick line).
pub fn percentile_lines<P>(
    p50: fn(&P) -> f64,
    p95: fn(&P) -> f64,
    p99: fn(&P) -> f64,
) -> [Line<P>; 3] {
    [
        (p50, PALETTE[2], 1),
        (p95, PALETTE[0], 2),
        (p99, PALETTE[1], 1),
    ]
}

pub const ALERT: RGBColor = RGBColor(220, 38, 38);
/// Font family: the browser's.
pub const FONT: &str = "sans-serif";
/// Label size in plotters units (the SVG gets `size / 1.24` px).
pub const LABEL_SIZE: f64 = 18.0;

/// A chart that could not be drawn (plotters' error, as text).
#[derive(Debug)]
pub struct ChartError(pub String);

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for ChartError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

/// Number of polylines stroked in `color` (the series lines; axes and ticks are drawn in [`FG`]).
#[cfg(test)]
pub(crate) fn lines_in(svg: &str, color: RGBColor) -> usize {
    let stroke = format!("stroke=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2);
    svg.split("<polyline")
        .skip(1)
        .filter(|p| {
            p.split('>')
                .next()
                .is_some_and(|attrs| attrs.contains(&stroke))
        })
        .count()
}

/// Escapes text for SVG/XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Extra SVG elements appended to a plotters chart: linked points, marker lines, labels.
#[derive(Default)]
pub struct Overlay {
    body: String,
}

impl Overlay {
    /// A point linking to `href` with a tooltip.
    pub fn linked_point(&mut self, (x, y): (i32, i32), r: u32, class: &str, href: &str, tip: &str) {
        self.body.push_str(&format!(
            "<a href=\"{}\"><circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\" class=\"{}\"><title>{}</title></circle></a>\n",
            escape(href),
            escape(class),
            escape(tip)
        ));
    }

    /// A vertical marker line from `y0` to `y1` at `x`, with a tooltip and optional link.
    pub fn vline(
        &mut self,
        x: i32,
        (y0, y1): (i32, i32),
        class: &str,
        tip: &str,
        href: Option<&str>,
    ) {
        let line = format!(
            "<line x1=\"{x}\" y1=\"{y0}\" x2=\"{x}\" y2=\"{y1}\" class=\"{}\"><title>{}</title></line>",
            escape(class),
            escape(tip)
        );
        match href {
            Some(h) => self
                .body
                .push_str(&format!("<a href=\"{}\">{line}</a>\n", escape(h))),
            None => {
                self.body.push_str(&line);
                self.body.push('\n');
            }
        }
    }

    /// A horizontal line from `x0` to `x1` at `y` (a gate's limit), with a tooltip.
    pub fn hline(&mut self, (x0, x1): (i32, i32), y: i32, class: &str, tip: &str) {
        self.body.push_str(&format!(
            "<line x1=\"{x0}\" y1=\"{y}\" x2=\"{x1}\" y2=\"{y}\" class=\"{}\"><title>{}</title></line>\n",
            escape(class),
            escape(tip)
        ));
    }

    /// A short text label.
    pub fn text(&mut self, (x, y): (i32, i32), class: &str, anchor: &str, text: &str) {
        self.body.push_str(&format!(
            "<text x=\"{x}\" y=\"{y}\" class=\"{}\" text-anchor=\"{}\">{}</text>\n",
            escape(class),
            escape(anchor),
            escape(text)
        ));
    }

    /// Inserts the overlay before the closing `</svg>` of `svg`.
    pub fn apply(self, mut svg: String) -> String {
        if self.body.is_empty() {
            return svg;
        }
        match svg.rfind("</svg>") {
            Some(at) => svg.insert_str(at, &self.body),
            None => svg.push_str(&self.body),
        }
        svg
    }
}

/// Adds `role="img"` and an accessible label (escaped) to a plotters SVG, and a class for styling.
pub fn finish(svg: String, class: &str, label: &str) -> String {
    match svg.find("<svg ") {
        Some(at) => {
            let mut out = String::with_capacity(svg.len() + 64);
            out.push_str(&svg[..at + 5]);
            out.push_str(&format!(
                "class=\"{}\" role=\"img\" aria-label=\"{}\" ",
                escape(class),
                escape(label)
            ));
            out.push_str(&svg[at + 5..]);
            out
        }
        None => svg,
    }
}

/// `(lo, hi)` of the finite values, widened so that a flat series still gets a visible range.
pub fn value_range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + hi.abs().max(1.0) * 0.1 + 1e-3;
    }
    (lo, hi + (hi - lo) * 0.08)
}

/// Formats an axis value compactly (`0.5`, `12`, `1.2k`).
pub fn axis_number(v: f64) -> String {
    let a = v.abs();
    if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_escapes_everything_from_data() {
        let mut o = Overlay::default();
        o.linked_point(
            (1, 2),
            3,
            "pt",
            "../runs/a.html?x=\"y\"",
            "<script>alert(1)</script> a&b\"c",
        );
        o.text((0, 0), "lbl", "start", "</text><script>");
        let svg = o.apply("<svg width=\"1\"></svg>".to_string());
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; a&amp;b&quot;c"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn finish_labels_the_svg() {
        let svg = finish("<svg width=\"1\"></svg>".into(), "c", "p95 of \"x\"");
        assert!(svg.starts_with(
            "<svg class=\"c\" role=\"img\" aria-label=\"p95 of &quot;x&quot;\" width"
        ));
    }

    #[test]
    fn ranges_never_collapse() {
        let (lo, hi) = value_range([5.0, 5.0].into_iter(), false);
        assert!(hi > lo);
        assert_eq!(value_range(std::iter::empty(), true), (0.0, 1.0));
        assert_eq!(value_range([f64::NAN].into_iter(), true), (0.0, 1.0));
        assert_eq!(axis_number(1234.0), "1.2k");
        assert_eq!(axis_number(0.25), "0.25");
    }
}
