//! Renderers: one small module per output format, each a pure function from values to a `String`.
//!
//! Callers (the runner, the Action, the site) write the returned text where it belongs; nothing here touches
//! the filesystem or reads the clock. Shared pieces: [`table`] (aligned text and Markdown tables) and
//! [`escape`] (Markdown escaping of names that come from users' configs).

pub mod changepoints;
pub mod comparison;
pub mod escape;
pub mod history_table;
pub mod optimization_report;
pub mod pr_comment;
pub mod prometheus;
pub mod table;
pub mod text_summary;
pub mod words;

pub use words::NOT_MEASURED;

pub use optimization_report::render as render_optimization_report;
pub use pr_comment::{comment_marker, MAX_COMMENT_CHARS};
pub use prometheus::render as render_prometheus;
pub use text_summary::render as render_text_summary;
