//! The detection goals of the analysis, asserted on synthetic series with a fixed seed.
//!
//! Goals (issue "Analysis that can be trusted"): recall ≥ 0.95 for 10 % steps at 3 % noise with 10+ runs of
//! history, and at most 1 % of runs with any false alarm across 50 stable operations. The full table (more
//! trials, every cell) comes from `cargo run --release -p perfgate-reports --example analysis_eval` and is in
//! `reports/ANALYSIS.md`; these tests use fewer trials so that they stay quick in a debug build.

use perfgate_reports::analysis::eval::{eval_false_alarms, eval_step, EvalConfig};

fn cfg(trials: usize) -> EvalConfig {
    EvalConfig {
        trials,
        ..EvalConfig::default()
    }
}

#[test]
fn change_points_find_95_percent_of_10_percent_steps_at_3_percent_noise() {
    for history in [10, 20] {
        let r = eval_step(&cfg(200), 0.03, 0.10, history);
        assert!(r.changepoint_recall >= 0.95, "history {history}: {r:?}");
        let delay = r.changepoint_median_delay.unwrap_or(f64::INFINITY);
        assert!(delay <= 6.0, "history {history}: {r:?}");
        // github-action-benchmark's default sees none of them.
        assert_eq!(r.ratio200_recall, 0.0, "{r:?}");
    }
}

#[test]
fn the_gate_raises_a_false_alarm_in_at_most_1_percent_of_runs_of_50_stable_operations() {
    for cov in [0.01, 0.03, 0.10] {
        let r = eval_false_alarms(&cfg(300), cov, 10);
        assert!(r.gate_runs_with_alarm <= 0.01, "{r:?}");
        // A 10% single-point rule, the threshold one would need to see such steps, alarms far more often.
        if cov >= 0.03 {
            assert!(r.ratio110_runs_with_alarm > 0.3, "{r:?}");
        }
    }
}

#[test]
fn the_gate_sees_large_steps_on_the_head_run() {
    // A single run can only be judged against the noise: at 1 % noise a 10 % step is 10σ.
    let r = eval_step(&cfg(100), 0.01, 0.10, 20);
    assert!(r.gate_recall >= 0.95, "{r:?}");
    let r = eval_step(&cfg(100), 0.03, 0.20, 20);
    assert!(r.gate_recall >= 0.75, "{r:?}");
}
