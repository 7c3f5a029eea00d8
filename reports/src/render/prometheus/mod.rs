//! Prometheus text exposition (format 0.0.4) of a run: the textfile, the Pushgateway body and the live
//! `/metrics` page all come from here.
//!
//! The metric names are a contract kept from the framework perfgate grew from (users' dashboards query them):
//! `performance_test_duration_seconds{test_type,operation}`,
//! `performance_test_requests_total{test_type,operation,status}`,
//! `performance_test_latency_seconds{test_type,operation,percentile}`,
//! `performance_test_memory_usage_mb{test_type,source}` and `performance_test_cpu_usage_percent{test_type,source}`,
//! plus `performance_test_run_info{run_id,test_type,commit,branch,version}` (always 1) and
//! `performance_test_run_timestamp_seconds`, which carry what identifies a run without turning every run
//! into new series of the other metrics (join them with `group_left` when a panel needs the commit).
//!
//! The encoder is written here rather than taken from `prometheus-client`: that crate does not escape label
//! values (prometheus/client_rust#151), and operation names come from users' configs; it also speaks
//! OpenMetrics (`# EOF`, counters declared without `_total`), which node_exporter's textfile collector and the
//! Pushgateway read as a different family. The format is small: `# HELP`/`# TYPE` once per family, one line per
//! sample, label values escaped (`\\`, `\"`, `\n`), no timestamps (the textfile collector rejects them).
//! Every family keeps one label set for all its samples, and a repeated label set is dropped, so the output
//! is always accepted by the Pushgateway's consistency check.
//!
//! Three files, one concern each: `text` encodes families in the text format; `families` names perfgate's
//! metrics and builds the per-operation families that a run and the live page share; `run` maps a finished
//! run onto them. Everything is re-exported here, at the paths callers use.

mod families;
mod run;
#[cfg(test)]
mod tests;
mod text;

pub use families::{
    empty_families, Families, ACTIVE_USERS, CPU, DURATION, LATENCY, MEMORY, REQUESTS, RUN_INFO,
    RUN_TIMESTAMP,
};
pub use run::{render, run_families, stress_per_operation, ALL_OPERATIONS};
pub use text::{
    encode, escape_label_value, format_value, Family, MetricKind, Sample, CONTENT_TYPE,
};
