//! GitHub: the Actions runtime protocol and the REST calls perfgate makes.
//!
//! - [`event`] reads what triggered the workflow (`GITHUB_*`, the event payload);
//! - [`workflow`] writes step outputs, the job summary and annotations in the runner's formats;
//! - [`client`] calls the REST API through octocrab, with the bounded retries of [`retry`];
//! - [`sticky`] keeps one perfgate comment per suite per pull request;
//! - [`alert`] keeps one alert issue per suite (or comments on a commit) for the default branch.
//!
//! The token is only ever handed to octocrab; nothing here prints it, and every error text is scrubbed of it.

pub mod alert;
pub mod client;
pub mod event;
pub mod retry;
pub mod sticky;
pub mod workflow;

pub use client::{ApiError, GitHub, Issue, IssueComment};
pub use event::Context;
pub use retry::RetryPolicy;
pub use sticky::StickyOutcome;
