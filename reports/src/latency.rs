//! The latency summary of one operation, in milliseconds (`latency_ms{min,max,p50,…}` in the run record).
//!
//! A leaf of the crate, so that the [histogram](crate::histogram) that produces a summary and the
//! [record](crate::record) that stores both do not import each other. Re-exported as
//! [`crate::record::LatencyMs`].

use serde::{Deserialize, Serialize};

/// Latency summary in milliseconds. `p90`, `p999` and `stddev` extend the original framework's fields.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LatencyMs {
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    #[serde(default)]
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    #[serde(default)]
    pub p999: f64,
    pub avg: f64,
    #[serde(default)]
    pub stddev: f64,
}
