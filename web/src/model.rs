//! The history as the pages need it: runs in time order, one series per operation, markers attached.
//!
//! Built once per site from the [`SiteInput`], so that every page reads precomputed values instead of walking
//! all records again. Only benchmark and load results form series: a stress result belongs to one
//! concurrency step, and its story is told on its run's page.

use std::collections::{BTreeMap, HashMap};

use perfgate_reports::gates::GateExpr;
use perfgate_reports::metric::Metric;
use perfgate_reports::record::{OperationResult, TestType};
use perfgate_reports::site::failed_gates;
use perfgate_reports::RunRecord;

use crate::input::{FlaggedRegression, MarkedChange, OperationKey, SiteError, SiteInput};
use crate::paths;

/// One run and where its page is.
pub struct Run<'a> {
    pub record: &'a RunRecord,
    pub page: String,
}

impl Run<'_> {
    /// `1a2b3c4 · main · fix the cache` style label for tooltips.
    pub fn label(&self) -> String {
        let r = self.record;
        let mut s = r.sha7().to_string();
        if let Some(b) = &r.git.branch {
            s.push_str(" · ");
            s.push_str(b);
        }
        if let Some(m) = &r.git.commit_message {
            s.push_str(" · ");
            s.push_str(&crate::format::truncate(m, 60));
        }
        s
    }

    pub fn commit_url(&self) -> Option<String> {
        paths::commit_url(
            self.record.git.server_url.as_deref(),
            self.record.git.repository.as_deref(),
            self.record.git.sha.as_deref(),
        )
    }
}

/// The values of one operation in one run.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    /// Index into [`Model::runs`].
    pub run: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub rps: f64,
    pub error_percent: f64,
    /// NaN when not measured.
    pub memory_mb: f64,
    pub cpu_percent: f64,
    /// Microbenchmarks: bytes and allocations per op; NaN when the harness did not report them.
    pub bytes_per_op: f64,
    pub allocs_per_op: f64,
}

impl Point {
    fn from_result(run: usize, o: &OperationResult) -> Self {
        Self {
            run,
            p50: o.latency_ms.p50,
            p95: o.latency_ms.p95,
            p99: o.latency_ms.p99,
            rps: o.throughput_rps,
            error_percent: o.error_rate_percent(),
            // Not measured: NaN, left out of the charts.
            memory_mb: o.memory_usage_mb.unwrap_or(f64::NAN),
            cpu_percent: o.cpu_usage_percent.unwrap_or(f64::NAN),
            bytes_per_op: Metric::BytesPerOp.value(o).unwrap_or(f64::NAN),
            allocs_per_op: Metric::AllocsPerOp.value(o).unwrap_or(f64::NAN),
        }
    }
}

/// How an operation stands in its latest run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The analysis flagged a regression in the latest run.
    Regressed,
    /// The latest run fails one of the project's gates.
    Failing,
    Ok,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Regressed => "regressed",
            Status::Failing => "failing",
            Status::Ok => "ok",
        }
    }
}

/// One operation's history.
pub struct Series<'a> {
    pub key: OperationKey,
    /// In run order (oldest first).
    pub points: Vec<Point>,
    pub change_points: Vec<&'a MarkedChange>,
    pub regressions: Vec<&'a FlaggedRegression>,
    pub status: Status,
    /// The project's gates on this operation.
    pub gates: Vec<GateExpr>,
    /// The gates its latest run fails.
    pub failing: Vec<GateExpr>,
}

impl Series<'_> {
    pub fn latest(&self) -> Option<&Point> {
        self.points.last()
    }

    /// Relative change of p95 from the previous run to the latest, in percent.
    pub fn p95_change_percent(&self) -> Option<f64> {
        let n = self.points.len();
        if n < 2 {
            return None;
        }
        let (prev, last) = (self.points[n - 2].p95, self.points[n - 1].p95);
        (prev > 0.0).then(|| (last - prev) / prev * 100.0)
    }

    /// Position in [`points`](Self::points) of the run with this id.
    pub fn position_of(&self, runs: &[Run<'_>], run_id: &str) -> Option<usize> {
        self.points
            .iter()
            .position(|p| runs[p.run].record.run_id == run_id)
    }
}

/// Everything the pages read.
pub struct Model<'a> {
    /// Oldest first.
    pub runs: Vec<Run<'a>>,
    /// Sorted by suite, test type, operation.
    pub series: BTreeMap<OperationKey, Series<'a>>,
    /// First run with each id.
    by_id: HashMap<&'a str, usize>,
}

impl<'a> Model<'a> {
    pub fn build(input: &'a SiteInput) -> Result<Self, SiteError> {
        let mut order: Vec<&RunRecord> = input.records.iter().collect();
        order.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.run_id.cmp(&b.run_id))
        });
        let mut pages = std::collections::HashSet::new();
        let mut runs = Vec::with_capacity(order.len());
        let mut by_id = HashMap::new();
        for rec in order {
            let page = paths::run_page(&rec.run_id, rec.shard.map(|s| (s.index, s.total)));
            if !pages.insert(page.clone()) {
                return Err(SiteError::DuplicateRun {
                    run_id: rec.run_id.clone(),
                });
            }
            by_id.entry(rec.run_id.as_str()).or_insert(runs.len());
            runs.push(Run { record: rec, page });
        }

        let mut series: BTreeMap<OperationKey, Series<'a>> = BTreeMap::new();
        let mut latest: HashMap<OperationKey, &'a OperationResult> = HashMap::new();
        for (i, run) in runs.iter().enumerate() {
            for (tt, op) in run.record.operations() {
                if tt == TestType::Stress {
                    continue;
                }
                let key = OperationKey::new(&run.record.suite, tt, &op.operation_name);
                latest.insert(key.clone(), op);
                series
                    .entry(key.clone())
                    .or_insert_with(|| Series {
                        key,
                        points: Vec::new(),
                        change_points: Vec::new(),
                        regressions: Vec::new(),
                        status: Status::Ok,
                        gates: input
                            .gates
                            .for_operation(&op.operation_name)
                            .into_iter()
                            .cloned()
                            .collect(),
                        failing: Vec::new(),
                    })
                    .points
                    .push(Point::from_result(i, op));
            }
        }
        for cp in &input.change_points {
            if let Some(s) = series.get_mut(&cp.key) {
                s.change_points.push(cp);
            }
        }
        for r in &input.regressions {
            if let Some(s) = series.get_mut(&r.key) {
                s.regressions.push(r);
            }
        }
        for s in series.values_mut() {
            let order_of = |id: &str| by_id.get(id).copied().unwrap_or(usize::MAX);
            s.change_points.sort_by_key(|c| order_of(c.run_id()));
            s.regressions.sort_by_key(|r| order_of(&r.run_id));
            if let Some(op) = latest.get(&s.key) {
                s.failing = failed_gates(&input.gates, op)
                    .into_iter()
                    .cloned()
                    .collect();
            }
            s.status = status_of(s, &runs);
        }
        Ok(Self {
            runs,
            series,
            by_id,
        })
    }

    /// The run with this id (the first one, for sharded runs).
    pub fn run_by_id(&self, run_id: &str) -> Option<&Run<'a>> {
        self.by_id.get(run_id).map(|&i| &self.runs[i])
    }

    /// Index of the run with this id.
    pub fn run_index(&self, run_id: &str) -> Option<usize> {
        self.by_id.get(run_id).copied()
    }
}

fn status_of(s: &Series<'_>, runs: &[Run<'_>]) -> Status {
    let Some(last) = s.points.last() else {
        return Status::Ok;
    };
    let last_id = &runs[last.run].record.run_id;
    if s.regressions.iter().any(|r| &r.run_id == last_id) {
        Status::Regressed
    } else if !s.failing.is_empty() {
        Status::Failing
    } else {
        Status::Ok
    }
}
