//! `perfgate-reports` is the pure core of perfgate.
//!
//! Everything that decides something lives here, so that it can be tested without a network, a clock or a
//! runtime: the versioned [run record](record) every other part reads and writes, the latency
//! [histograms](histogram), the [analysis] (comparison, optimizer, [gates]) and the [renderers](render). The crate never opens a
//! socket, never spawns a task and never reads the clock; callers hand it bytes and values and write what it
//! returns.

pub mod analysis;
pub mod capacity;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod gates;
pub mod histogram;
pub mod history;
pub mod import;
pub mod index;
pub mod latency;
pub mod layout;
pub mod limits;
pub mod merge;
pub mod metric;
pub mod record;
pub mod render;
pub mod retention;
#[cfg(test)]
mod run_fixtures;
pub mod site;
pub mod stats;
#[cfg(test)]
pub(crate) mod test_support;
pub mod test_type;

pub use analysis::{analyze, AnalysisSection};
pub use gates::{default_gates, Gates};
pub use histogram::LatencyHistogram;
pub use history::{History, HistoryFilter, Series, SeriesKey};
pub use index::Index;
pub use limits::Limits;
pub use metric::Metric;
pub use record::RunRecord;
