//! perfgate: performance testing for services, built for CI.
//!
//! This crate is the runner: everything that does I/O. It parses the command line and the config
//! ([`config`]), starts the service under test ([`service`]), calls it through [`target`]s on the
//! [`engine`]'s schedules while [`system`] samples CPU and memory, writes what `perfgate-reports` renders
//! ([`output`]), and hands the run to Prometheus and OpenTelemetry ([`monitoring`]). The logic that decides things (statistics, verdicts, formats) lives in `perfgate-reports`,
//! which has no I/O.
//!
//! Data flows one way: config → engine → run record → analysis → renderers/publishers → site.

pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod engine;
pub mod environment;
pub mod error;
pub mod monitoring;
pub mod output;
pub mod progress;
pub mod reports_branch;
pub mod service;
pub mod suite;
pub mod system;
pub mod target;

pub use error::{Error, ExitStatus};
