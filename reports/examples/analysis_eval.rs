//! Prints perfgate's detection table: recall, false alarms and change-point delay on synthetic log-normal
//! series, side by side with github-action-benchmark's 200 % single-point rule.
//!
//! `cargo run --release -p perfgate-reports --example analysis_eval [TRIALS]` (default 1000 trials per cell;
//! about a minute on two cores). The output is the table in `reports/ANALYSIS.md`.

use perfgate_reports::analysis::eval::{eval_false_alarms, eval_step, markdown_tables, EvalConfig};

fn main() {
    let trials = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let cfg = EvalConfig {
        trials,
        ..EvalConfig::default()
    };
    let mut steps = Vec::new();
    for history in [10, 20] {
        for cov in [0.01, 0.03, 0.10] {
            for step in [0.05, 0.10, 0.20] {
                steps.push(eval_step(&cfg, cov, step, history));
            }
        }
    }
    let mut alarms = Vec::new();
    for history in [10, 20] {
        for cov in [0.01, 0.03, 0.10] {
            alarms.push(eval_false_alarms(&cfg, cov, history));
        }
    }
    println!("{}", markdown_tables(&steps, &alarms, &cfg));
}
