//! `perfgate-cli`: the `perfgate` command.
//!
//! The command line ([`cli`]: clap types and the dispatch), one module per subcommand ([`commands`]), and
//! the parts only the command needs: the reports branch in git ([`reports_branch`]), GitHub
//! ([`github`]: octocrab) and the embedded demo service ([`demo`]). The trend site's input is computed in
//! `perfgate_reports::site` and rendered by `perfgate-web`. Running and judging a suite is the `perfgate`
//! library's [`session`](perfgate::session): every command that runs one calls it.

pub mod backoff;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod github;
pub mod reports_branch;
