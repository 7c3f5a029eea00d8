//! A quick look at the change-point goals of issue 14 (a subset of `analysis_eval`'s suite section), for
//! iterating on the detector: false change points per 50-series suite at CoV 3 % (30, 60 and 500 runs; heavy-tailed and outlier runs at 60; CoV 10 % at 60) and the
//! delay of a +10 % step at CoV 3 % (10, 20, 60 runs of history).
//!
//! `cargo run --release -p perfgate-reports --example analysis_eval_quick -- [SUITES] [SEED]`

use perfgate_reports::analysis::eval::suite::{self, Noise, SuiteConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let trials = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let mut cfg = SuiteConfig {
        trials,
        ..SuiteConfig::default()
    };
    if let Some(seed) = args.next().and_then(|a| a.parse().ok()) {
        cfg.seed = seed;
    }
    let mut falses = Vec::new();
    for runs in [30, 60, 500] {
        falses.push(suite::eval_suite_false(&cfg, Noise::LogNormal, 0.03, runs));
    }
    for noise in [Noise::HeavyTailed, Noise::Outliers] {
        falses.push(suite::eval_suite_false(&cfg, noise, 0.03, 60));
    }
    // At 10 % noise the 5 % minimum magnitude no longer hides false splits: the test's own level shows.
    falses.push(suite::eval_suite_false(&cfg, Noise::LogNormal, 0.10, 60));
    let mut delays = Vec::new();
    for history in [10, 20, 60] {
        delays.push(suite::eval_suite_delay(
            &cfg,
            Noise::LogNormal,
            0.03,
            0.10,
            history,
        ));
    }
    print!("{}", suite::markdown_tables(&falses, &delays, &cfg));
}
