//! One module per subcommand. The suite-running ones (`run`, `load`, `demo`, `action`) call the one run
//! path, [`perfgate::session`]; [`pipeline`] holds what they share around it, [`reference`] what
//! `--baseline PATH` compares with.

pub mod action;
pub mod analyze;
pub mod compare;
pub mod demo;
pub mod export;
pub mod fetch_baseline;
pub mod history;
pub mod import;
pub mod ingest;
pub mod init;
pub mod load;
pub mod merge;
pub mod pipeline;
pub mod publish;
pub mod reference;
pub mod reports_config;
pub mod run;
pub mod site;
