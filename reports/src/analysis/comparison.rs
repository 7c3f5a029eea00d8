//! What a comparison is, as stored in a run record: rows, verdicts, noise sources, the reference it was made
//! against. These types import nothing but metrics and test types, so the record can hold a comparison
//! without its file depending on the code that computes one ([`super::compare`]).

use serde::{Deserialize, Serialize};

use crate::metric::Metric;
use crate::test_type::TestType;

/// The verdict of one comparison row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Worse by more than the threshold and the noise floor.
    Regressed,
    /// Better by more than the threshold and the noise floor.
    Improved,
    /// Within the threshold or the noise.
    Unchanged,
    /// Only in the head run.
    New,
    /// Only in the base run.
    Missing,
}

impl Verdict {
    /// `regressed`, `improved`, `unchanged`, `new`, `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Missing => "missing",
        }
    }
}

/// Where a row's noise floor came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseSource {
    /// Sampling error inside the two runs (see the module docs).
    WithinRun,
    /// The series' history (prediction interval).
    History,
    /// Interleaved A/B trials.
    Trials,
    /// Two single runs: the run-to-run term (the series' history, or the prior) together with the within-run
    /// sampling error, where a model for it exists.
    RunToRun,
    /// No estimate: the threshold alone decides.
    None,
}

/// Fewer runs than this behind a history row, and its noise is not well measured (the default
/// `HistorySettings::min_runs`).
pub const FEW_RUNS: usize = 5;

/// What the comparison was made against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRef {
    /// "run abc on main (0123456)" or "last 12 runs of main".
    pub label: String,
    /// The run id (of the newest run, for a history baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Its full commit SHA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// Its branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// How many runs the reference stands for (1 for a single run).
    pub runs: usize,
}

/// A regression turned into a warning by an acknowledgement in the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AckNote {
    /// Why the regression is accepted (from the config).
    pub reason: String,
    /// `YYYY-MM-DD`, the last day the acknowledgement holds.
    pub until: chrono::NaiveDate,
}

/// One operation × metric of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The schedule.
    pub test_type: TestType,
    /// The operation name.
    pub operation: String,
    /// The metric of this row.
    pub metric: Metric,
    /// The base value (`None` for a new operation).
    #[serde(default)]
    pub base: Option<f64>,
    /// The head value (`None` for a missing operation).
    #[serde(default)]
    pub head: Option<f64>,
    /// `(head − base) / base × 100`; for the error rate the change in percentage points. `None` for new and
    /// missing rows and when the base is 0.
    #[serde(default)]
    pub change_percent: Option<f64>,
    /// The noise floor this change had to beat (percent; points for the error rate).
    #[serde(default)]
    pub noise_percent: Option<f64>,
    /// Where `noise_percent` came from.
    pub noise_source: NoiseSource,
    /// The threshold this change had to beat (percent; points for the error rate).
    pub threshold_percent: f64,
    /// A p-value when a test was made (history, trials), after FDR adjustment when one was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// regressed, improved, unchanged, new or missing.
    pub verdict: Verdict,
    /// History and trials: the smallest change this row's gate detects with 80 % power (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdc_percent: Option<f64>,
    /// History: how many runs the baseline was built from; trials: trials per side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_runs: Option<usize>,
    /// Set on a regression an active acknowledgement covers: it then warns instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AckNote>,
    /// Anything the reader needs to trust the row ("base is 0: no relative change", …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ComparisonRow {
    /// True for the error-rate row, whose change is in percentage points.
    pub fn in_points(&self) -> bool {
        self.metric == Metric::ErrorRate
    }

    /// "+45%" or "+3 pts"; `—` when there is no change to show.
    pub fn change_text(&self) -> String {
        match self.change_percent {
            Some(c) if self.in_points() => format!("{c:+.1} pts"),
            Some(c) if c.abs() >= 10.0 => format!("{c:+.0}%"),
            Some(c) => format!("{c:+.1}%"),
            None => "—".to_string(),
        }
    }

    /// A sentence: "P95 latency increased by 45% (120 ms → 174 ms)".
    pub fn sentence(&self) -> String {
        let m = self.metric;
        let vals = match (self.base, self.head) {
            (Some(b), Some(h)) => format!(" ({} → {})", m.format_value(b), m.format_value(h)),
            (None, Some(h)) => format!(" ({})", m.format_value(h)),
            (Some(b), None) => format!(" (was {})", m.format_value(b)),
            (None, None) => String::new(),
        };
        let what = match (self.verdict, self.change_percent) {
            (Verdict::New, _) => format!("{} is new", label_cap(m)),
            (Verdict::Missing, _) => format!("{} is missing", label_cap(m)),
            (_, Some(c)) if self.in_points() => format!(
                "{} {} by {:.1} points",
                label_cap(m),
                if c >= 0.0 { "rose" } else { "fell" },
                c.abs()
            ),
            (_, Some(c)) => format!(
                "{} {} by {}%",
                label_cap(m),
                if c >= 0.0 { "increased" } else { "decreased" },
                crate::metric::sig(c.abs())
            ),
            (_, None) => format!("{} unchanged", label_cap(m)),
        };
        format!("{what}{vals}")
    }
}

fn label_cap(m: Metric) -> String {
    let l = m.label();
    let mut c = l.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// How many rows have each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// Rows that got worse beyond threshold and noise.
    pub regressed: usize,
    /// Rows that got better beyond threshold and noise.
    pub improved: usize,
    /// Rows within threshold or noise.
    pub unchanged: usize,
    /// Rows only in the head.
    pub new: usize,
    /// Rows only in the base.
    pub missing: usize,
    /// Regressions covered by an active acknowledgement (also counted in `regressed`).
    pub acknowledged: usize,
}

/// The comparison of a head run with a base (one run, a history baseline, or A/B trials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What was compared against.
    pub base: RunRef,
    /// The run judged.
    pub head: RunRef,
    /// `two_runs`, `history`, `trials`.
    pub method: String,
    /// The relative threshold used (percent).
    pub threshold_percent: f64,
    /// One row per operation × metric, sorted by schedule, operation, metric.
    pub rows: Vec<ComparisonRow>,
    /// What the reader must know: fallbacks taken, FDR applied, expired acknowledgements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Comparison {
    /// Counts the rows by verdict.
    pub fn counts(&self) -> VerdictCounts {
        let mut c = VerdictCounts::default();
        for r in &self.rows {
            match r.verdict {
                Verdict::Regressed => {
                    c.regressed += 1;
                    if r.acknowledged.is_some() {
                        c.acknowledged += 1;
                    }
                }
                Verdict::Improved => c.improved += 1,
                Verdict::Unchanged => c.unchanged += 1,
                Verdict::New => c.new += 1,
                Verdict::Missing => c.missing += 1,
            }
        }
        c
    }

    /// What to say when no row changed: that nothing moved beyond the noise, and — when some rows could not
    /// measure their noise (too few runs of history, or few since the last change point) — that small
    /// changes of those rows would not show.
    pub fn quiet_sentence(&self) -> String {
        let short = self
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Unchanged && self.method == "history")
            .filter(|r| {
                r.noise_source != NoiseSource::History
                    || r.baseline_runs.is_some_and(|n| n < FEW_RUNS)
            })
            .count();
        if short == 0 {
            "No row changed beyond the threshold and the noise.".to_string()
        } else {
            format!(
                "No row changed beyond the threshold and the noise, but {short} row{} had too few runs of history \
                 (or few since a change point, or no spread; see the notes) to measure {} noise well: a change \
                 below {} minimum detectable change would not show.",
                if short == 1 { "" } else { "s" },
                if short == 1 { "its" } else { "their" },
                if short == 1 { "its" } else { "their" },
            )
        }
    }

    /// The rows that regressed and are not acknowledged: the ones that can fail a check.
    pub fn unacknowledged_regressions(&self) -> impl Iterator<Item = &ComparisonRow> {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed && r.acknowledged.is_none())
    }

    /// The row of one series, if compared.
    pub fn row(
        &self,
        test_type: TestType,
        operation: &str,
        metric: Metric,
    ) -> Option<&ComparisonRow> {
        self.rows
            .iter()
            .find(|r| r.test_type == test_type && r.operation == operation && r.metric == metric)
    }
}
