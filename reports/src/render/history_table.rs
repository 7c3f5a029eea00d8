//! `perfgate history` as text: the runs of a history, or one operation's numbers run by run.

use crate::history::{measured_operations, series_value, History};
use crate::metric::{format_ms, sig, Metric};

use super::table::{Align, Table};

fn short(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// One row per run (newest `last`, oldest first): time, commit, branch, suite, run id, operations, machine.
pub fn render_runs(history: &History, last: usize) -> String {
    let mut t = Table::new(&[
        ("time (UTC)", Align::Left),
        ("commit", Align::Left),
        ("branch", Align::Left),
        ("suite", Align::Left),
        ("run", Align::Left),
        ("ops", Align::Right),
        ("machine", Align::Left),
    ]);
    for run in history.last(last) {
        let r = &run.record;
        t.row(vec![
            r.started_at.format("%Y-%m-%d %H:%M").to_string(),
            r.sha7().to_string(),
            r.git.branch.clone().unwrap_or_default(),
            r.suite.clone(),
            r.run_id.clone(),
            measured_operations(r)
                .filter(|m| m.concurrency.is_none())
                .count()
                .to_string(),
            short(&r.environment.fingerprint, 8),
        ]);
    }
    t.to_text("")
}

/// One row per run and test type that measured `operation` (newest `last` runs, oldest first); `None` when
/// no run of the history measured it.
pub fn render_operation(history: &History, operation: &str, last: usize) -> Option<String> {
    let mut t = Table::new(&[
        ("time (UTC)", Align::Left),
        ("commit", Align::Left),
        ("branch", Align::Left),
        ("type", Align::Left),
        ("p50", Align::Right),
        ("p95", Align::Right),
        ("p99", Align::Right),
        ("avg", Align::Right),
        ("rps", Align::Right),
        ("errors", Align::Right),
        ("memory", Align::Right),
    ]);
    for run in history.last(last) {
        let r = &run.record;
        for m in measured_operations(r).filter(|m| m.concurrency.is_none() && m.name == operation) {
            let cell = |metric: Metric| match series_value(metric, m.result) {
                Some(v) if metric.is_latency() => format_ms(v),
                Some(v) => metric.format_value(v),
                None => "—".to_string(),
            };
            t.row(vec![
                r.started_at.format("%Y-%m-%d %H:%M").to_string(),
                r.sha7().to_string(),
                r.git.branch.clone().unwrap_or_default(),
                m.test_type.to_string(),
                cell(Metric::P50),
                cell(Metric::P95),
                cell(Metric::P99),
                cell(Metric::Avg),
                series_value(Metric::Rps, m.result).map_or("—".into(), sig),
                cell(Metric::ErrorRate),
                cell(Metric::MemoryMb),
            ]);
        }
    }
    (!t.is_empty()).then(|| t.to_text(""))
}

/// The operation names measured anywhere in the history (for "did you mean" messages), sorted.
pub fn operation_names(history: &History) -> Vec<String> {
    let mut names: Vec<String> = history
        .runs
        .iter()
        .flat_map(|r| {
            measured_operations(&r.record)
                .map(|m| m.name.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::run_file_path;
    use crate::run_fixtures::{record_at, with_op};

    fn history() -> History {
        let mut a = record_at("a1", "2026-11-01T10:00:00Z", "main", "fingerprint-1");
        with_op(&mut a, "search", 10.0, 100.0, 1000, 10);
        let mut b = record_at("b2", "2026-11-02T11:30:00Z", "main", "fingerprint-1");
        with_op(&mut b, "search", 12.0, 90.0, 1000, 0);
        with_op(&mut b, "resolve", 3.0, 400.0, 500, 0);
        History::from_files([a, b].map(|r| (run_file_path(&r), r.to_json_pretty())))
    }

    #[test]
    fn runs_table_lists_runs_oldest_first() {
        let text = render_runs(&history(), 10);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("time (UTC)"));
        assert!(
            lines[1].contains("2026-11-01 10:00") && lines[1].contains("a1"),
            "{text}"
        );
        assert!(
            lines[2].contains("b2") && lines[2].contains("fingerpr"),
            "{text}"
        );
        assert_eq!(render_runs(&history(), 1).lines().count(), 2);
    }

    #[test]
    fn operation_table_shows_its_numbers_per_run() {
        let text = render_operation(&history(), "search", 10).expect("search was measured");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[1].contains("10.0 ms") || lines[1].contains("10 ms"),
            "{text}"
        );
        assert!(lines[1].contains("1%"), "{text}");
        assert!(
            lines[2].contains("12.0 ms") || lines[2].contains("12 ms"),
            "{text}"
        );
        assert_eq!(render_operation(&history(), "nope", 10), None);
        assert_eq!(operation_names(&history()), ["resolve", "search"]);
    }
}
