//! `perfgate-reports` is the pure core of perfgate.
//!
//! Everything that decides something lives here, so that it can be tested without a network, a clock or a
//! runtime: the versioned [run record](record) every other part reads and writes, the latency
//! [histograms](histogram), and (in later modules) history, analysis and the renderers. The crate never opens a
//! socket, never spawns a task and never reads the clock; callers hand it bytes and values and write what it
//! returns.

pub mod histogram;
pub mod history;
pub mod index;
pub mod layout;
pub mod record;
pub mod retention;
#[cfg(test)]
mod run_fixtures;
pub mod stats;

pub use histogram::LatencyHistogram;
pub use history::{History, HistoryFilter, Metric, Series, SeriesKey};
pub use index::Index;
pub use record::RunRecord;
