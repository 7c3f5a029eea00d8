//! One module per subcommand; [`pipeline`] is the run → record → reports flow they share.

pub mod demo;
pub mod init;
pub mod load;
pub mod pipeline;
pub mod run;
pub mod site;
