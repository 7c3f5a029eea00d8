//! What the suite-running commands (`run`, `load`, `demo`, `action`) share around the one run path
//! ([`perfgate::session`]): the schedules of `--test-type`, and the end-of-run output.

use perfgate::session::{Finished, Schedules};

use crate::cli::TestTypeArg;

/// The schedules a `--test-type` runs.
pub fn schedules(t: TestTypeArg) -> Schedules {
    match t {
        TestTypeArg::Benchmark => Schedules::BENCHMARK,
        TestTypeArg::Load => Schedules::LOAD,
        TestTypeArg::Stress => Schedules::STRESS,
        TestTypeArg::Analysis => Schedules::ANALYSIS,
        TestTypeArg::All => Schedules::ALL,
    }
}

/// Prints the end-of-run output: the table (or the record as JSON) on stdout, file paths on stderr.
pub fn print_finished(f: &Finished, json: bool) {
    if json {
        let bytes = f.record.to_json_pretty();
        println!("{}", String::from_utf8_lossy(&bytes).trim_end());
    } else {
        println!("{}", f.summary_text.trim_end());
    }
    if let Some(run) = &f.files.run_record {
        eprintln!(
            "perfgate: wrote {} files to {} (run record: {})",
            f.files.files.len(),
            run.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            run.display()
        );
    }
}
