//! placeholder
pub mod reports_branch;
