//! The flags that override the config file and the environment (flag > env > file > default).

use std::path::PathBuf;

/// Values given on the command line (None = not given).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub duration: Option<f64>,
    pub concurrency: Option<u32>,
    pub iterations: Option<u64>,
    pub target_rps: Option<f64>,
    pub output_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// `--pushgateway URL`.
    pub pushgateway: Option<String>,
    /// `--metrics-addr ADDR`.
    pub metrics_addr: Option<String>,
}
