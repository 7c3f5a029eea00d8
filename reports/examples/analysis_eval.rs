//! Prints perfgate's detection tables (the "Measured" sections of `reports/ANALYSIS.md`): the history gate,
//! two-run comparisons, change points per suite, on synthetic series, side by side with
//! github-action-benchmark's 200 % single-point rule.
//!
//! `cargo run --release -p perfgate-reports --example analysis_eval [TRIALS] [SECTION…]`
//! (default 1000 trials per cell; sections `gate`, `two-runs`; default all). The output is the text of
//! `reports/ANALYSIS.md` between its `<!-- eval -->` markers.

use perfgate_reports::analysis::eval::two_runs::{self, TwoRunConfig};
use perfgate_reports::analysis::eval::{eval_false_alarms, eval_step, markdown_tables, EvalConfig};

fn main() {
    let mut trials = 1000usize;
    let mut sections: Vec<String> = Vec::new();
    for a in std::env::args().skip(1) {
        match a.parse() {
            Ok(n) => trials = n,
            Err(_) => sections.push(a),
        }
    }
    let want = |s: &str| sections.is_empty() || sections.iter().any(|x| x == s);
    if want("gate") {
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
    if want("two-runs") {
        let cfg = TwoRunConfig {
            trials: trials.min(400),
            ..TwoRunConfig::default()
        };
        let mut rows = Vec::new();
        for cov in [0.01, 0.03, 0.10] {
            for step in [0.0, 0.10, 0.30] {
                rows.push(two_runs::eval_two_runs(&cfg, cov, step));
            }
        }
        println!("{}", two_runs::markdown_table(&rows, &cfg));
    }
}
