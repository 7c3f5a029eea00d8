//! One module per subcommand; [`pipeline`] is the run → record → reports flow they share.

pub mod ab;
pub mod action;
pub mod analyze;
pub mod baseline;
pub mod compare;
pub mod demo;
pub mod export;
pub mod fetch_baseline;
pub mod history;
pub mod import;
pub mod init;
pub mod load;
pub mod merge;
pub mod pipeline;
pub mod publish;
pub mod reports_config;
pub mod run;
pub mod site;
