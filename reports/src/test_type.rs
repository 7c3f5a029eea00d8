//! Which schedule produced a result: `benchmark`, `load` or `stress`.
//!
//! A leaf of the crate (it imports nothing from it), so that the run record and the analysis types stored in
//! it can both name it without importing each other. Re-exported as [`crate::record::TestType`].

use serde::{Deserialize, Serialize};

/// Which schedule produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestType {
    Benchmark,
    Load,
    Stress,
}

impl TestType {
    pub fn as_str(self) -> &'static str {
        match self {
            TestType::Benchmark => "benchmark",
            TestType::Load => "load",
            TestType::Stress => "stress",
        }
    }
}

impl std::fmt::Display for TestType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
