//! The evaluation harness: how well the history gate and the change-point detection work, measured on
//! synthetic series with known truth.
//!
//! **Generator.** A series is `level(t) · exp(σ·Z)` with `Z` standard normal and `σ = √ln(1 + CoV²)`, i.e.
//! log-normal noise with the chosen coefficient of variation. The level is 1, or takes a **step** of a chosen
//! size at a chosen run, or a **ramp** (linear creep) over several runs. Everything is drawn from a seeded
//! [`SplitMix64`], so a table is reproduced exactly by the same seed.
//!
//! **Measures.**
//! * *Gate recall*: a run of 50 operations where one operation stepped by `step` right at the head run;
//!   recall is the fraction of such runs in which that operation's verdict is `regressed`.
//! * *Gate false-alarm rate*: runs of 50 stable operations; the fraction of runs with **any** `regressed`
//!   verdict (what a team experiences as a red check for nothing).
//! * *Change-point recall and delay*: a series with a step after `history` runs, analysed after each new run;
//!   the delay is how many runs after the step a change point at the step (±1 run) is first reported; recall is
//!   the fraction found within 10 runs.
//! * The same data judged by github-action-benchmark's default rule — alert when the new value is more than
//!   200 % of the previous one — for comparison.

pub mod suite;
pub mod two_runs;

use serde::Serialize;

use super::baseline::{judge_run, HistorySettings, SeriesInput};
use super::changepoint::{self, ChangePointSettings};
use super::compare::Verdict;
use super::rng::SplitMix64;
use crate::metric::Metric;

/// Replaces the text between `<!-- {name}:begin -->` and `<!-- {name}:end -->` in `text` with `tables`
/// (how the measuring commands rewrite their sections of `reports/ANALYSIS.md` in place).
pub fn splice(text: &str, name: &str, tables: &str) -> Result<String, String> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let (Some(b), Some(e)) = (text.find(&begin), text.find(&end)) else {
        return Err(format!("no {begin} … {end} markers"));
    };
    if e < b {
        return Err(format!("{end} comes before {begin}"));
    }
    Ok(format!("{}{begin}\n\n{tables}{}", &text[..b], &text[e..]))
}

/// Draws one synthetic value: `level · exp(σ·Z)` with the σ that gives coefficient of variation `cov`.
pub fn lognormal(rng: &mut SplitMix64, level: f64, cov: f64) -> f64 {
    let sigma = (1.0 + cov * cov).ln().sqrt();
    // Mean-preserving: E[exp(σZ − σ²/2)] = 1.
    level * (sigma * rng.normal() - sigma * sigma / 2.0).exp()
}

/// The level shape of a synthetic series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// Level 1 throughout.
    Flat,
    /// Level 1, then `1 + size` from run `at` on.
    Step { at: usize, size: f64 },
    /// Level 1 until `at`, then rising linearly to `1 + size` over `over` runs, then flat.
    Ramp { at: usize, over: usize, size: f64 },
}

impl Shape {
    /// The level at run `t`.
    pub fn level(self, t: usize) -> f64 {
        match self {
            Shape::Flat => 1.0,
            Shape::Step { at, size } => {
                if t >= at {
                    1.0 + size
                } else {
                    1.0
                }
            }
            Shape::Ramp { at, over, size } => {
                if t < at {
                    1.0
                } else {
                    1.0 + size * ((t - at + 1) as f64 / over.max(1) as f64).min(1.0)
                }
            }
        }
    }
}

/// A synthetic series of `len` values.
pub fn series(rng: &mut SplitMix64, len: usize, shape: Shape, cov: f64) -> Vec<f64> {
    (0..len)
        .map(|t| lognormal(rng, shape.level(t), cov))
        .collect()
}

/// github-action-benchmark's default alert: the new value is more than `ratio` (2.0 = 200 %) times the
/// previous one (for a lower-is-better metric).
pub fn single_point_ratio_alarm(previous: f64, head: f64, ratio: f64) -> bool {
    previous > 0.0 && head / previous > ratio
}

/// One row of the evaluation table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalRow {
    /// Noise, coefficient of variation in percent.
    pub cov_percent: f64,
    /// Step size in percent.
    pub step_percent: f64,
    /// Runs of history before the step.
    pub history_runs: usize,
    /// perfgate's history gate: recall of a step on 1 of 50 operations at the head run.
    pub gate_recall: f64,
    /// perfgate's change points: recall within 10 runs after the step.
    pub changepoint_recall: f64,
    /// Median runs after the step until the change point was reported (`None` when never).
    pub changepoint_median_delay: Option<f64>,
    /// The 200 % single-point rule on the same data.
    pub ratio200_recall: f64,
}

/// False alarms on stable operations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FalseAlarmRow {
    /// Noise, coefficient of variation in percent.
    pub cov_percent: f64,
    /// Runs of history.
    pub history_runs: usize,
    /// Fraction of runs (50 stable operations each) with any regression verdict from perfgate's gate.
    pub gate_runs_with_alarm: f64,
    /// Fraction of stable series (history + 10 runs) where change-point detection reported anything.
    pub changepoint_series_with_alarm: f64,
    /// Fraction of runs with any alarm from the 200 % single-point rule.
    pub ratio200_runs_with_alarm: f64,
    /// … and from a 10 % single-point rule (the threshold a team would need to see 10 % steps at all).
    pub ratio110_runs_with_alarm: f64,
}

/// Parameters of an evaluation run.
#[derive(Clone, Debug)]
pub struct EvalConfig {
    /// Operations per run (50 in the goals).
    pub operations: usize,
    /// Runs (or series) per cell.
    pub trials: usize,
    /// PRNG seed.
    pub seed: u64,
    /// The history gate settings evaluated.
    pub settings: HistorySettings,
    /// The change-point settings evaluated.
    pub changepoints: ChangePointSettings,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            operations: 50,
            trials: 1000,
            seed: 20261127,
            settings: HistorySettings::default(),
            changepoints: ChangePointSettings::default(),
        }
    }
}

/// Recall of a `step` (fraction, 0.10 = 10 %) at coefficient of variation `cov` with `history` runs.
pub fn eval_step(cfg: &EvalConfig, cov: f64, step: f64, history: usize) -> EvalRow {
    let mut rng = SplitMix64::new(
        cfg.seed ^ (cov.to_bits() >> 3) ^ step.to_bits().rotate_left(7) ^ history as u64,
    );
    let mut gate_hits = 0usize;
    let mut ratio_hits = 0usize;
    for _ in 0..cfg.trials {
        let hists: Vec<Vec<f64>> = (0..cfg.operations)
            .map(|_| series(&mut rng, history, Shape::Flat, cov))
            .collect();
        let mut heads: Vec<f64> = (0..cfg.operations)
            .map(|_| lognormal(&mut rng, 1.0, cov))
            .collect();
        heads[0] = lognormal(&mut rng, 1.0 + step, cov);
        let inputs: Vec<SeriesInput> = hists
            .iter()
            .zip(&heads)
            .map(|(h, v)| SeriesInput {
                history: h,
                head: *v,
                metric: Metric::P95,
            })
            .collect();
        let j = judge_run(&inputs, &cfg.settings);
        if j[0].verdict == Verdict::Regressed {
            gate_hits += 1;
        }
        if single_point_ratio_alarm(hists[0][history - 1], heads[0], 2.0) {
            ratio_hits += 1;
        }
    }
    // Change points: one series per trial, analysed after each new run.
    let cp_trials = cfg.trials.min(400);
    let mut delays: Vec<f64> = Vec::new();
    for _ in 0..cp_trials {
        let xs = series(
            &mut rng,
            history + 10,
            Shape::Step {
                at: history,
                size: step,
            },
            cov,
        );
        for k in 1..=10 {
            let cps = changepoint::detect(&xs[..history + k], &cfg.changepoints);
            if cps
                .iter()
                .any(|c| c.index.abs_diff(history) <= 1 && c.magnitude_percent > 0.0)
            {
                delays.push(k as f64);
                break;
            }
        }
    }
    EvalRow {
        cov_percent: cov * 100.0,
        step_percent: step * 100.0,
        history_runs: history,
        gate_recall: gate_hits as f64 / cfg.trials as f64,
        changepoint_recall: delays.len() as f64 / cp_trials as f64,
        changepoint_median_delay: crate::stats::median(&delays),
        ratio200_recall: ratio_hits as f64 / cfg.trials as f64,
    }
}

/// False alarms at coefficient of variation `cov` with `history` runs.
pub fn eval_false_alarms(cfg: &EvalConfig, cov: f64, history: usize) -> FalseAlarmRow {
    let mut rng = SplitMix64::new(cfg.seed.rotate_left(17) ^ (cov.to_bits() >> 5) ^ history as u64);
    let (mut gate, mut r200, mut r110) = (0usize, 0usize, 0usize);
    for _ in 0..cfg.trials {
        let hists: Vec<Vec<f64>> = (0..cfg.operations)
            .map(|_| series(&mut rng, history, Shape::Flat, cov))
            .collect();
        let heads: Vec<f64> = (0..cfg.operations)
            .map(|_| lognormal(&mut rng, 1.0, cov))
            .collect();
        let inputs: Vec<SeriesInput> = hists
            .iter()
            .zip(&heads)
            .map(|(h, v)| SeriesInput {
                history: h,
                head: *v,
                metric: Metric::P95,
            })
            .collect();
        if judge_run(&inputs, &cfg.settings)
            .iter()
            .any(|j| j.verdict == Verdict::Regressed)
        {
            gate += 1;
        }
        if hists
            .iter()
            .zip(&heads)
            .any(|(h, v)| single_point_ratio_alarm(h[history - 1], *v, 2.0))
        {
            r200 += 1;
        }
        if hists
            .iter()
            .zip(&heads)
            .any(|(h, v)| single_point_ratio_alarm(h[history - 1], *v, 1.1))
        {
            r110 += 1;
        }
    }
    let cp_trials = cfg.trials.min(400);
    let mut cp_alarms = 0usize;
    for _ in 0..cp_trials {
        let xs = series(&mut rng, history + 10, Shape::Flat, cov);
        if !changepoint::detect(&xs, &cfg.changepoints).is_empty() {
            cp_alarms += 1;
        }
    }
    let t = cfg.trials as f64;
    FalseAlarmRow {
        cov_percent: cov * 100.0,
        history_runs: history,
        gate_runs_with_alarm: gate as f64 / t,
        changepoint_series_with_alarm: cp_alarms as f64 / cp_trials as f64,
        ratio200_runs_with_alarm: r200 as f64 / t,
        ratio110_runs_with_alarm: r110 as f64 / t,
    }
}

/// Formats the two tables as Markdown (the text of `reports/ANALYSIS.md`'s results).
pub fn markdown_tables(steps: &[EvalRow], alarms: &[FalseAlarmRow], cfg: &EvalConfig) -> String {
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    let mut out = format!(
        "Detection ({} trials per cell, {} operations per run, seed {}; change points: {} series per cell)\n\n\
         | CoV | step | history runs | perfgate gate recall (head run) | perfgate change point recall (≤10 runs) | median delay (runs) | 200% single-point rule recall |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        cfg.trials,
        cfg.operations,
        cfg.seed,
        cfg.trials.min(400)
    );
    for r in steps {
        out.push_str(&format!(
            "| {}% | {}% | {} | {} | {} | {} | {} |\n",
            r.cov_percent,
            r.step_percent,
            r.history_runs,
            pct(r.gate_recall),
            pct(r.changepoint_recall),
            r.changepoint_median_delay
                .map(|d| format!("{d}"))
                .unwrap_or_else(|| "—".into()),
            pct(r.ratio200_recall)
        ));
    }
    out.push_str(&format!(
        "\nFalse alarms on stable data ({} runs of {} stable operations per cell; change points: {} stable series of history + 10 runs)\n\n\
         | CoV | history runs | perfgate gate: runs with any alarm | perfgate change points: series with any | 200% rule: runs with any alarm | 110% rule: runs with any alarm |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        cfg.trials,
        cfg.operations,
        cfg.trials.min(400)
    ));
    for r in alarms {
        out.push_str(&format!(
            "| {}% | {} | {} | {} | {} | {} |\n",
            r.cov_percent,
            r.history_runs,
            pct(r.gate_runs_with_alarm),
            pct(r.changepoint_series_with_alarm),
            pct(r.ratio200_runs_with_alarm),
            pct(r.ratio110_runs_with_alarm)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_its_own_section() {
        let text =
            "a\n<!-- x:begin -->\nold\n<!-- x:end -->\n<!-- y:begin -->\nkeep\n<!-- y:end -->\n";
        let new = splice(text, "x", "new\n").unwrap();
        assert_eq!(
            new,
            "a\n<!-- x:begin -->\n\nnew\n<!-- x:end -->\n<!-- y:begin -->\nkeep\n<!-- y:end -->\n"
        );
        assert!(splice(text, "z", "t").unwrap_err().contains("z:begin"));
        assert!(splice("<!-- x:end --><!-- x:begin -->", "x", "t").is_err());
    }

    #[test]
    fn generator_has_the_requested_cov_and_shapes() {
        let mut r = SplitMix64::new(1);
        let xs = series(&mut r, 20_000, Shape::Flat, 0.03);
        let m = crate::stats::mean(&xs).unwrap();
        let s = crate::stats::sample_stddev(&xs).unwrap();
        assert!(
            (m - 1.0).abs() < 0.002 && (s / m - 0.03).abs() < 0.002,
            "{m} {s}"
        );
        assert_eq!(Shape::Step { at: 3, size: 0.1 }.level(2), 1.0);
        assert_eq!(Shape::Step { at: 3, size: 0.1 }.level(3), 1.1);
        let ramp = Shape::Ramp {
            at: 2,
            over: 4,
            size: 0.2,
        };
        assert_eq!(ramp.level(1), 1.0);
        assert!((ramp.level(3) - 1.1).abs() < 1e-12);
        assert!((ramp.level(10) - 1.2).abs() < 1e-12);
    }

    #[test]
    fn the_ratio_rule_is_what_github_action_benchmark_does() {
        assert!(single_point_ratio_alarm(1.0, 2.01, 2.0));
        assert!(!single_point_ratio_alarm(1.0, 1.99, 2.0));
        assert!(!single_point_ratio_alarm(0.0, 5.0, 2.0));
    }
}
