//! Per-worker counters and histograms, merged once at the end of a phase.
//!
//! A worker owns one [`PhaseStats`]: a histogram and counters per operation, plus an interval histogram that
//! the worker hands over once a second for the timeline. Nothing here is shared between threads while
//! requests run; `merge` is called by the coordinator after the workers finished (oha's `merge`,
//! ripgrep's `AddAssign` on stats).

use std::collections::BTreeMap;
use std::time::Duration;

use perfgate_reports::histogram::{round3, LatencyHistogram};
use perfgate_reports::record::OperationResult;

use crate::targets::CallError;

/// How many distinct error messages an operation keeps for the record.
const MAX_ERROR_SAMPLES: usize = 5;

/// Counters of one operation.
#[derive(Clone, Debug, Default)]
pub struct OpStats {
    pub histogram: LatencyHistogram,
    pub ok: u64,
    pub failed: u64,
    /// Failures by kind. A small vec: failures are rare and kinds few, so a linear scan beats a map.
    pub errors: Vec<(String, u64)>,
    pub error_samples: Vec<String>,
}

impl OpStats {
    /// Records a success.
    #[inline]
    pub fn record_ok(&mut self, latency: Duration) {
        self.histogram.record(latency);
        self.ok += 1;
    }

    /// Records a failure.
    pub fn record_err(&mut self, latency: Duration, err: &CallError) {
        self.histogram.record(latency);
        self.failed += 1;
        let key = err.kind.key();
        match self.errors.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => self.errors.push((key.into_owned(), 1)),
        }
        if self.error_samples.len() < MAX_ERROR_SAMPLES {
            let text = err.to_string();
            if !self.error_samples.contains(&text) {
                self.error_samples.push(text);
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.ok + self.failed
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &OpStats) {
        self.histogram.merge(&other.histogram);
        self.ok += other.ok;
        self.failed += other.failed;
        for (k, n) in &other.errors {
            match self.errors.iter_mut().find(|(key, _)| key == k) {
                Some((_, m)) => *m += n,
                None => self.errors.push((k.clone(), *n)),
            }
        }
        for s in &other.error_samples {
            if self.error_samples.len() < MAX_ERROR_SAMPLES && !self.error_samples.contains(s) {
                self.error_samples.push(s.clone());
            }
        }
    }

    /// Turns the counters into the record's per-operation result (resources are filled by the caller).
    pub fn to_result(&self, name: &str, elapsed: Duration) -> OperationResult {
        let total = self.total();
        let secs = elapsed.as_secs_f64();
        OperationResult {
            operation_name: name.to_string(),
            total_requests: total,
            successful_requests: self.ok,
            failed_requests: self.failed,
            latency_ms: self.histogram.summary(),
            throughput_rps: if secs > 0.0 {
                round3(total as f64 / secs)
            } else {
                0.0
            },
            success_rate_percent: if total == 0 {
                0.0
            } else {
                round3(self.ok as f64 * 100.0 / total as f64)
            },
            errors: self.errors.iter().cloned().collect::<BTreeMap<_, _>>(),
            error_samples: self.error_samples.clone(),
            duration_seconds: round3(secs),
            histogram: Some(self.histogram.clone()),
            ..Default::default()
        }
    }
}

/// Everything one worker measured in one phase.
#[derive(Clone, Debug)]
pub struct PhaseStats {
    pub ops: Vec<OpStats>,
    /// Side operations (work before calls timed apart, e.g. `mcp.initialize`), by side-operation index.
    /// Not part of [`PhaseStats::overall`].
    pub side: Vec<OpStats>,
}

impl PhaseStats {
    pub fn new(ops: usize) -> Self {
        Self::with_side(ops, 0)
    }

    pub fn with_side(ops: usize, side: usize) -> Self {
        Self {
            ops: vec![OpStats::default(); ops],
            side: vec![OpStats::default(); side],
        }
    }

    pub fn merge(&mut self, other: &PhaseStats) {
        for (a, b) in self.ops.iter_mut().zip(&other.ops) {
            a.merge(b);
        }
        if self.side.len() < other.side.len() {
            self.side.resize(other.side.len(), OpStats::default());
        }
        for (a, b) in self.side.iter_mut().zip(&other.side) {
            a.merge(b);
        }
    }

    /// All operations together (side operations excluded).
    pub fn overall(&self) -> OpStats {
        let mut all = OpStats::default();
        for op in &self.ops {
            all.merge(op);
        }
        all
    }
}

/// What a worker hands over once a second.
#[derive(Clone, Debug)]
pub struct IntervalStats {
    pub histogram: LatencyHistogram,
    /// Per operation: (requests, errors) completed in this second.
    pub counts: Vec<(u64, u64)>,
    pub active_users: u32,
}

impl IntervalStats {
    pub fn new(ops: usize) -> Self {
        Self {
            histogram: LatencyHistogram::new(),
            counts: vec![(0, 0); ops],
            active_users: 0,
        }
    }

    pub fn merge(&mut self, other: &IntervalStats) {
        self.histogram.merge(&other.histogram);
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.active_users += other.active_users;
    }

    pub fn requests(&self) -> u64 {
        self.counts.iter().map(|c| c.0).sum()
    }

    pub fn errors(&self) -> u64 {
        self.counts.iter().map(|c| c.1).sum()
    }

    pub fn reset(&mut self) {
        self.histogram.reset();
        for c in &mut self.counts {
            *c = (0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::ErrorKind;

    #[test]
    fn merge_sums_counts_and_error_kinds() {
        let mut a = OpStats::default();
        let mut b = OpStats::default();
        a.record_ok(Duration::from_millis(10));
        a.record_err(
            Duration::from_millis(20),
            &CallError::new(ErrorKind::Http5xx, "HTTP 503"),
        );
        b.record_err(
            Duration::from_millis(30),
            &CallError::new(ErrorKind::Http5xx, "HTTP 503"),
        );
        b.record_err(
            Duration::from_millis(40),
            &CallError::kind(ErrorKind::Timeout),
        );
        a.merge(&b);
        let r = a.to_result("op", Duration::from_secs(2));
        assert_eq!(r.total_requests, 4);
        assert_eq!(r.failed_requests, 3);
        assert_eq!(r.errors["http_5xx"], 2);
        assert_eq!(r.errors["timeout"], 1);
        assert_eq!(r.success_rate_percent, 25.0);
        assert_eq!(r.throughput_rps, 2.0);
        assert_eq!(
            r.error_samples,
            vec!["http_5xx: HTTP 503".to_string(), "timeout".to_string()]
        );
    }
}
