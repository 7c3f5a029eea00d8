//! What an export covers and under which name: shared by every format, kept apart from the dispatch in
//! [`super::export`] so that the formats do not import their parent.

use crate::history::{measured_operations, MeasuredOp};
use crate::record::RunRecord;

/// The operations an export covers (benchmark, load and the load's overall result; stress steps are left
/// out: their concurrency differs from run to run), with the name they are exported under.
pub(crate) fn exported_operations(record: &RunRecord) -> Vec<(String, MeasuredOp<'_>)> {
    let prefix = if record.suite.is_empty() || record.suite == "default" {
        String::new()
    } else {
        format!("{}/", record.suite)
    };
    measured_operations(record)
        .filter(|m| m.concurrency.is_none() && m.result.total_requests > 0)
        .map(|m| (format!("{prefix}{}/{}", m.test_type, m.name), m))
        .collect()
}
