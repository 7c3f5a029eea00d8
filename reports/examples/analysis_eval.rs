//! Prints perfgate's detection tables (the "Measured" sections of `reports/ANALYSIS.md`): the history gate,
//! two-run comparisons, change points per suite, on synthetic series, side by side with
//! github-action-benchmark's 200 % single-point rule.
//!
//! `cargo run --release -p perfgate-reports --example analysis_eval -- [TRIALS] [SECTION…] [--write FILE]`
//! (default 1000 trials per cell, a fifth of them as suites; sections `gate`, `two-runs`, `suite`; default
//! all; ANALYSIS.md's tables are `5000`: about 17 minutes on one core). The output is the text of `reports/ANALYSIS.md` between its `<!-- eval:begin -->` and
//! `<!-- eval:end -->` markers; `--write reports/ANALYSIS.md` puts it there.

use perfgate_reports::analysis::eval::suite::{self, Noise, SuiteConfig};
use perfgate_reports::analysis::eval::two_runs::{self, TwoRunConfig};
use perfgate_reports::analysis::eval::{eval_false_alarms, eval_step, markdown_tables, EvalConfig};

fn main() {
    let mut trials = 1000usize;
    let mut sections: Vec<String> = Vec::new();
    let mut write: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--write" {
            write = args.next();
            continue;
        }
        match a.parse() {
            Ok(n) => trials = n,
            Err(_) => sections.push(a),
        }
    }
    let mut out = String::new();
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
        out.push_str(&format!("{}\n", markdown_tables(&steps, &alarms, &cfg)));
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
        out.push_str(&format!("{}\n", two_runs::markdown_table(&rows, &cfg)));
    }
    if want("suite") {
        let cfg = SuiteConfig {
            trials: (trials / 5).max(20),
            ..SuiteConfig::default()
        };
        let mut falses = Vec::new();
        for runs in [30, 60, 240, 500] {
            for cov in [0.03, 0.10] {
                falses.push(suite::eval_suite_false(&cfg, Noise::LogNormal, cov, runs));
            }
        }
        for noise in [Noise::HeavyTailed, Noise::Bimodal, Noise::Outliers] {
            for runs in [60, 240] {
                falses.push(suite::eval_suite_false(&cfg, noise, 0.03, runs));
            }
        }
        let mut delays = Vec::new();
        for noise in Noise::ALL {
            for history in [10, 20, 60] {
                delays.push(suite::eval_suite_delay(&cfg, noise, 0.03, 0.10, history));
            }
        }
        delays.push(suite::eval_suite_delay(
            &cfg,
            Noise::LogNormal,
            0.03,
            0.20,
            20,
        ));
        delays.push(suite::eval_suite_delay(
            &cfg,
            Noise::LogNormal,
            0.10,
            0.20,
            20,
        ));
        out.push_str(&format!(
            "{}\n",
            suite::markdown_tables(&falses, &delays, &cfg)
        ));
    }
    print!("{out}");
    if let Some(path) = write {
        if let Err(e) = splice(&path, &out) {
            eprintln!("analysis_eval: {path}: {e}");
            std::process::exit(1);
        }
    }
}

/// Rewrites the `eval` section of `path` with `tables`.
fn splice(path: &str, tables: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let new = perfgate_reports::analysis::eval::splice(&text, "eval", tables)?;
    std::fs::write(path, new).map_err(|e| e.to_string())
}
