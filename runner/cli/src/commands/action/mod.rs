//! `perfgate action`: the GitHub Action's entry point.
//!
//! `action.yml` installs the binary and runs this command with the inputs as `INPUT_*` variables. It reads
//! the workflow's context (`GITHUB_*`, the event payload) and, by mode:
//!
//! - **auto** — runs the suite; judges it against the base branch's history on the reports branch; on a
//!   pull request writes the sticky comment, on a push to the default branch or a schedule publishes the
//!   run and raises, keeps or closes the suite's alert ([`alert`]: an issue or a commit comment);
//! - **run** — the same run and verdict, but never writes to GitHub: the `pull_request` half of the
//!   two-workflow mode, safe with a read-only token;
//! - **report** — runs nothing: reads a report directory written by `--mode run` (an artifact) and comments
//!   and publishes from it: the `workflow_run` half, which has write permission and never runs the pull
//!   request's code.
//!
//! Every mode writes the job summary, the step outputs and annotations, and exits by `fail-on`
//! (1 when a selected check failed). The token is removed from the environment before anything is started,
//! so neither the service under test nor command operations inherit it, and it is never printed.

pub mod alert;
mod bench;
pub mod comment;
pub mod inputs;
pub mod judge;
pub mod report_dir;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use perfgate_reports::render::text_summary;
use perfgate_reports::RunRecord;

use crate::commands::pipeline::schedules;
use crate::github::workflow::{annotation, append_output, append_summary, Level};
use crate::github::{Context, StickyOutcome};
use crate::reports_branch::publish::DEFAULT_BRANCH;
use crate::reports_branch::redact::redact_with;
use crate::reports_branch::{publish, PublishOptions};
use inputs::{input_var, input_var_portable, Inputs, Mode, Publish};
use perfgate::config::{self, Overrides};
use perfgate::error::{Error, ExitStatus, Result};
use perfgate::session::{self, SessionOptions};
use perfgate_reports::retention::RetentionPolicy;
use report_dir::{RunContext, CONTEXT_SCHEMA};

/// Arguments of `perfgate action` (everything else comes from `INPUT_*` and `GITHUB_*`).
#[derive(Debug, Default, clap::Args)]
pub struct ActionArgs {
    /// auto: run, then comment or publish as the event asks; run: run only (no write token needed);
    /// report: comment and publish from a report directory [default: input `mode`, else auto]
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// The report directory written by `--mode run` (for `--mode report`) [default: input `from`]
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// No progress output on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

/// A note for the summary (and the log, as an annotation when it is a warning or an error).
struct Note {
    level: Level,
    text: String,
}

/// What a mode produced.
struct Done {
    record: RunRecord,
    record_path: Option<PathBuf>,
    report_dir: PathBuf,
    regression_fails: bool,
    comment_url: Option<String>,
    site_url: Option<String>,
    /// The links of the comment and the summary.
    links: perfgate_reports::render::pr_comment::CommentLinks,
    /// Why there is no comparison, when there is none.
    baseline_note: Option<String>,
    notes: Vec<Note>,
    /// An error to end with after the summary and outputs are written (a failed publish).
    deferred: Option<Error>,
    /// The alert issue or commit comment this run wrote or closed.
    alert_url: Option<String>,
    /// The capacity fit of the base's latest stress run, for the comment's "capacity moved" line.
    base_capacity: Option<perfgate_reports::capacity::Capacity>,
}

/// Where the Actions runner wants outputs and the summary.
struct Files {
    output: Option<PathBuf>,
    summary: Option<PathBuf>,
}

pub fn run(args: &ActionArgs) -> Result<ExitStatus> {
    let mut env = config::process_env();
    let mut inputs = Inputs::from_env(&env)?;
    // Before any thread or child process exists: nothing started from here on inherits the token.
    for var in [
        input_var("github-token"),
        input_var_portable("github-token"),
    ] {
        std::env::remove_var(&var);
        env.remove(&var);
    }
    if inputs.github_token.is_empty() {
        inputs.github_token = env.get("GITHUB_TOKEN").cloned().unwrap_or_default();
    }
    // The fallback (or the same token set twice) is scrubbed the same way: the service never sees it.
    if env
        .get("GITHUB_TOKEN")
        .is_some_and(|t| !t.is_empty() && *t == inputs.github_token)
    {
        std::env::remove_var("GITHUB_TOKEN");
        env.remove("GITHUB_TOKEN");
    }
    let secrets = vec![inputs.github_token.clone()];
    if let Some(m) = args.mode {
        inputs.mode = m;
    }
    if let Some(f) = &args.from {
        inputs.from = Some(f.clone());
    }
    let files = Files {
        output: env
            .get("GITHUB_OUTPUT")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
        summary: env
            .get("GITHUB_STEP_SUMMARY")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from),
    };
    if let Some(dir) = &inputs.working_directory {
        std::env::set_current_dir(dir).map_err(|e| {
            Error::Usage(format!(
                "input `working-directory`: cannot enter {}: {e}",
                dir.display()
            ))
        })?;
    }
    if let Some(v) = &inputs.perfgate_version {
        let wanted = v.trim_start_matches('v');
        let have = env!("CARGO_PKG_VERSION");
        if wanted != have && !["latest", "source"].contains(&wanted) {
            println!(
                "{}",
                annotation(
                    Level::Warning,
                    "perfgate version",
                    &format!(
                        "input `perfgate-version` asks for {v}, but perfgate {have} is running"
                    )
                )
            );
        }
    }
    let ctx = Context::from_env(&env)?;
    let done = match inputs.mode {
        // A mixed suite: the perfgate suite, then the harness as its own suite (`bench-suite`).
        Mode::Auto
            if inputs.bench_command.is_some()
                && inputs.bench_suite.is_some()
                && inputs.config.exists() =>
        {
            run_suite(&inputs, &ctx, &env, args.quiet)
                .and_then(|suite| Ok(vec![suite, bench::run_bench(&inputs, &ctx, &env)?]))
        }
        Mode::Auto if inputs.bench_command.is_some() => {
            bench::run_bench(&inputs, &ctx, &env).map(|d| vec![d])
        }
        Mode::Auto | Mode::Run => run_suite(&inputs, &ctx, &env, args.quiet).map(|d| vec![d]),
        Mode::Report => report(&inputs, &ctx).map(|d| vec![d]),
    };
    match done {
        Ok(done) => finish(done, &inputs, &files, &secrets),
        Err(e) => {
            let text = redact_with(&e.to_string(), &secrets);
            println!("{}", annotation(Level::Error, "perfgate", &text));
            if let Some(s) = &files.summary {
                let _ = append_summary(
                    s,
                    &format!("### perfgate could not finish\n\n```\n{text}\n```"),
                );
            }
            Err(e)
        }
    }
}

/// `--mode auto|run`: run the suite, judge it, and (auto) comment or publish.
fn run_suite(
    inputs: &Inputs,
    ctx: &Context,
    env: &BTreeMap<String, String>,
    quiet: bool,
) -> Result<Done> {
    let settings = config::load(
        &inputs.config,
        env,
        &Overrides {
            duration: inputs.duration,
            concurrency: inputs.concurrency,
            ..Overrides::default()
        },
    )?;
    let recorded = session::run(
        &settings,
        schedules(inputs.test_type),
        env,
        &SessionOptions {
            workers: None,
            quiet,
            verbose: false,
            write_files: true,
        },
    )?;
    let mut notes = Vec::new();

    let base_branch = ctx
        .pull_request
        .as_ref()
        .map(|p| p.base_ref.clone())
        .or_else(|| recorded.record.git.branch.clone());
    // With `[ab]` the run is judged by its A/B trials against the base build; else by the base branch's
    // history on the reports branch, now that the run's fingerprint is known. Judged once, below.
    let (comparison, history, baseline_note) = match (&base_branch, &recorded.ab_comparison) {
        (_, Some(c)) => (Some(c.clone()), Vec::new(), None),
        (Some(b), None) => {
            match judge::compare_with_branch(
                Path::new("."),
                &recorded.record,
                &inputs.reports_branch,
                b,
            ) {
                Ok((c, h)) => (Some(c), h, None),
                Err(why) => (None, Vec::new(), Some(why)),
            }
        }
        (None, None) => (
            None,
            Vec::new(),
            Some("no baseline: the branch of this run is not known".to_string()),
        ),
    };
    if let Some(n) = &baseline_note {
        notes.push(Note {
            level: Level::Notice,
            text: n.clone(),
        });
    }
    let finished = recorded.finish(comparison)?;
    let (record, written) = (finished.record, finished.files);
    let changes = alert_changes(inputs, ctx, &history, &record);
    let pr = ctx.pull_request.as_ref();
    let run_context = RunContext {
        schema: CONTEXT_SCHEMA.to_string(),
        event: ctx.event_name.clone(),
        repository: ctx.repository.clone(),
        pull_request: pr.map(|p| p.number),
        head_sha: pr
            .and_then(|p| p.head_sha.clone())
            .or_else(|| ctx.sha.clone()),
        base_ref: pr.map(|p| p.base_ref.clone()),
        base_sha: pr.and_then(|p| p.base_sha.clone()),
        fork: pr.is_some_and(|p| p.fork),
        run_url: ctx.run_url(),
        regression_fails: settings.gates.regression_fails,
        baseline_note,
    };
    report_dir::write_context(&settings.output_dir, &run_context)?;

    let mut done = Done {
        record,
        record_path: written.run_record,
        report_dir: settings.output_dir.clone(),
        regression_fails: settings.gates.regression_fails,
        comment_url: None,
        site_url: None,
        links: Default::default(),
        baseline_note: run_context.baseline_note.clone(),
        notes,
        deferred: None,
        alert_url: None,
        base_capacity: judge::base_capacity(&history),
    };
    done.links = comment::links(
        &done.record,
        ctx.run_url(),
        pr.and_then(|p| p.base_sha.as_deref())
            .and_then(|s| ctx.commit_url(s)),
        ctx.pages_url(),
    );
    if let Some(why) = &done.record.incomplete {
        // An interrupted run is not a result: no comment, nothing published (its files are written).
        done.notes.push(Note {
            level: Level::Warning,
            text: format!("the run is incomplete ({why}): not published, no pull request comment"),
        });
        return Ok(done);
    }
    if inputs.mode == Mode::Run {
        if pr.is_some() {
            done.notes.push(Note {
                level: Level::Notice,
                text: format!(
                    "mode `run`: no comment from this job; upload {} as an artifact for the `workflow_run` \
                     workflow (`perfgate action --mode report`)",
                    done.report_dir.display()
                ),
            });
        }
        return Ok(done);
    }
    if should_publish(inputs.publish, ctx.is_mainline()) {
        publish_run(inputs, ctx, &mut done);
    }
    if let Some(pr) = pr {
        comment_on(inputs, ctx, pr.number, &mut done);
    }
    if ctx.is_mainline() {
        if let Some(b) = &base_branch {
            alert::run(inputs, ctx, &mut done, &changes, b);
        }
    }
    Ok(done)
}

/// The regressing change points this run adds to the branch's history, when an alert could use them (a
/// default-branch run with alerts on); computed on the history the run was judged against.
fn alert_changes(
    inputs: &Inputs,
    ctx: &Context,
    history: &[RunRecord],
    record: &RunRecord,
) -> Vec<alert::NewChange> {
    if inputs.alert == inputs::AlertMode::Off || !ctx.is_mainline() || history.is_empty() {
        return Vec::new();
    }
    alert::new_change_points(history, record)
}

/// `--mode report`: comment and publish from a report directory; runs nothing.
fn report(inputs: &Inputs, ctx: &Context) -> Result<Done> {
    let from = inputs.from.as_ref().ok_or_else(|| {
        Error::Usage(
            "--mode report needs the report directory: --from DIR (input `from`), downloaded from the artifact \
             that `perfgate action --mode run` wrote"
                .into(),
        )
    })?;
    let rd = report_dir::read(from)?;
    let mut done = Done {
        record: rd.record,
        record_path: Some(rd.record_path),
        report_dir: rd.dir,
        regression_fails: rd.context.regression_fails,
        comment_url: None,
        site_url: None,
        links: Default::default(),
        baseline_note: rd.context.baseline_note.clone(),
        notes: Vec::new(),
        deferred: None,
        alert_url: None,
        // The report artifact carries the run, not the base's history.
        base_capacity: None,
    };
    if let Some(n) = &rd.context.baseline_note {
        done.notes.push(Note {
            level: Level::Notice,
            text: n.clone(),
        });
    }
    let wr = ctx.workflow_run.as_ref();
    let run_url = wr
        .and_then(|w| w.html_url.clone())
        .or_else(|| rd.context.run_url.clone());
    let head_sha = wr.and_then(|w| w.head_sha.clone());
    done.links = comment::links(
        &done.record,
        run_url,
        rd.context
            .base_sha
            .as_deref()
            .and_then(|s| ctx.commit_url(s)),
        ctx.pages_url(),
    );
    if let (Some(a), Some(b)) = (&head_sha, &rd.context.head_sha) {
        if a != b {
            return Err(Error::Usage(format!(
                "the report directory is for commit {b}, but the triggering run built {a}; download the artifact \
                 of `github.event.workflow_run.id`"
            )));
        }
    }
    if let Some(claimed) = rd.context.pull_request {
        // The artifact was written by pull-request code: its number is only a claim. GitHub lists the pull
        // requests of a same-repository run; for a fork the head commit must match.
        let listed = wr.is_some_and(|w| w.pull_requests.contains(&claimed));
        let number = if listed {
            Some(claimed)
        } else {
            match verify_pull_request(inputs, ctx, claimed, head_sha.as_deref()) {
                Ok(()) => Some(claimed),
                Err(why) => {
                    done.notes.push(Note {
                        level: Level::Warning,
                        text: format!("not commenting on #{claimed}: {why}"),
                    });
                    None
                }
            }
        };
        if let Some(n) = number {
            comment_on(inputs, ctx, n, &mut done);
        }
    } else {
        let mainline = wr.is_some_and(|w| {
            !w.fork
                && (w.event == "schedule"
                    || (w.event == "push"
                        && w.head_branch.is_some()
                        && w.head_branch == ctx.default_branch))
        });
        if should_publish(inputs.publish, mainline) {
            publish_run(inputs, ctx, &mut done);
        }
    }
    Ok(done)
}

/// Checks with GitHub that pull request `number`'s head is the commit the report was made for.
fn verify_pull_request(
    inputs: &Inputs,
    ctx: &Context,
    number: u64,
    head_sha: Option<&str>,
) -> std::result::Result<(), String> {
    let head_sha = head_sha.ok_or("the event names no head commit to check it against")?;
    let repo = ctx
        .repository
        .as_deref()
        .ok_or("GITHUB_REPOSITORY is not set")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let actual = rt
        .block_on(async {
            let gh = crate::github::GitHub::new(
                &ctx.api_url,
                &inputs.github_token,
                repo,
                crate::github::RetryPolicy::from_env(),
            )?;
            gh.pull_request_head_sha(number).await
        })
        .map_err(|e| e.to_string())?;
    if actual == head_sha {
        Ok(())
    } else {
        Err(format!(
            "its head is {actual}, not the commit {head_sha} the report was made for"
        ))
    }
}

fn should_publish(p: Publish, mainline: bool) -> bool {
    match p {
        Publish::Always => true,
        Publish::Never => false,
        Publish::Auto => mainline,
    }
}

/// Publishes the run to the reports branch, regenerating `index.json` and the site; a failure is noted and
/// ends the step with exit 4 after the summary and outputs are written.
///
/// The branch is the `reports-branch` input when it is not the default, else the config's `[reports]
/// branch`; the remote and retention come from `[reports]` (default `origin`, keep everything).
fn publish_run(inputs: &Inputs, ctx: &Context, done: &mut Done) {
    let cfg = inputs
        .config
        .is_file()
        .then(|| config::load_file(&inputs.config).ok())
        .flatten();
    let reports = cfg.as_ref().map(|c| &c.reports);
    let mut opts = PublishOptions::new(".");
    opts.branch = if inputs.reports_branch != DEFAULT_BRANCH {
        inputs.reports_branch.clone()
    } else {
        reports
            .and_then(|r| r.branch.clone())
            .unwrap_or_else(|| DEFAULT_BRANCH.to_string())
    };
    if let Some(remote) = reports.and_then(|r| r.remote.clone()) {
        opts.remote = Some(remote);
    }
    opts.retention = RetentionPolicy {
        max_runs: reports.and_then(|r| r.max_runs).filter(|n| *n > 0),
        max_age_days: reports.and_then(|r| r.max_age_days),
    };
    // The site shows the project's gates (the config the run was judged by).
    let gates = crate::commands::site::project_gates(
        inputs.config.is_file().then_some(inputs.config.as_path()),
    );
    match gates.and_then(|g| crate::commands::site::publish_hook(&ctx.pages_base_path(), g)) {
        Ok(hook) => {
            opts.site = Some(hook);
            opts.histogram_runs = Some(crate::commands::site::HISTOGRAM_RUNS);
        }
        Err(e) => done.notes.push(Note {
            level: Level::Warning,
            text: format!("publishing without the site: {e}"),
        }),
    }
    let branch = opts.branch.clone();
    match publish(&done.record, &opts) {
        Ok(o) => {
            done.site_url = ctx.pages_url();
            done.notes.push(Note {
                level: Level::Notice,
                text: if o.unchanged {
                    format!("the run was already on `{branch}`")
                } else {
                    format!(
                        "published to `{branch}` as {} ({} on the branch)",
                        o.path.unwrap_or_default(),
                        perfgate_reports::render::words::count(o.runs_on_branch, "run")
                    )
                },
            });
        }
        Err(e) => {
            let text = format!(
                "could not publish to the reports branch `{branch}`: {e} (the job needs `permissions: contents: write`)"
            );
            done.notes.push(Note {
                level: Level::Error,
                text: text.clone(),
            });
            done.deferred = Some(Error::Runtime(text));
        }
    }
}

/// Writes the sticky comment if the `comment` input wants it; a 403 degrades to summary + artifact.
fn comment_on(inputs: &Inputs, ctx: &Context, number: u64, done: &mut Done) {
    let tally = judge::tally(&done.record);
    let Some(create) = comment::wanted(inputs.comment, &tally) else {
        return;
    };
    let Some(repo) = ctx.repository.as_deref() else {
        done.notes.push(Note {
            level: Level::Warning,
            text: "not commenting: GITHUB_REPOSITORY is not set".into(),
        });
        return;
    };
    if inputs.github_token.is_empty() {
        done.notes.push(Note {
            level: Level::Warning,
            text: "not commenting: no token (input `github-token`)".into(),
        });
        return;
    }
    let body = comment::body(
        &done.record,
        done.links.clone(),
        done.baseline_note.as_deref(),
        done.base_capacity.as_ref(),
    );
    match comment::post(
        &ctx.api_url,
        &inputs.github_token,
        repo,
        number,
        &done.record.suite,
        &body,
        create,
    ) {
        Ok(StickyOutcome::Skipped) => {}
        Ok(outcome) => done.comment_url = outcome.url().map(str::to_string),
        Err(e) if e.is_forbidden() => done.notes.push(Note {
            level: Level::Warning,
            text: comment::forbidden_warning(number, &e, &done.report_dir.display().to_string()),
        }),
        Err(e) => done.notes.push(Note {
            level: Level::Warning,
            text: format!("could not comment on pull request #{number}: {e}"),
        }),
    }
}

/// Summary, annotations and outputs of every run of the step (two for a mixed suite), and the step's exit
/// status: the worst of the runs'.
fn finish(
    runs: Vec<Done>,
    inputs: &Inputs,
    files: &Files,
    secrets: &[String],
) -> Result<ExitStatus> {
    let scrub = |s: &str| redact_with(s, secrets);
    let mut exit = ExitStatus::Pass;
    let mut deferred = None;
    let mut outputs: Vec<(&str, Vec<String>)> = OUTPUT_NAMES.iter().map(|n| (*n, vec![])).collect();
    for done in runs {
        let (run_outputs, run_exit, run_deferred) = finish_one(done, inputs, files, &scrub)?;
        exit = worse(exit, run_exit);
        deferred = deferred.or(run_deferred);
        for ((_, all), value) in outputs.iter_mut().zip(run_outputs) {
            all.push(value);
        }
    }
    if let Some(path) = &files.output {
        for (name, values) in &outputs {
            let value = match *name {
                // One status: the worst; counts add up; a path or URL per run, one per line.
                "status" => ["fail", "warn", "pass"]
                    .into_iter()
                    .find(|s| values.iter().any(|v| v == s))
                    .unwrap_or("pass")
                    .to_string(),
                "regressions" | "improvements" => values
                    .iter()
                    .map(|v| v.parse::<usize>().unwrap_or(0))
                    .sum::<usize>()
                    .to_string(),
                "report-dir" => values.first().cloned().unwrap_or_default(),
                _ => {
                    let mut seen: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
                    seen.dedup();
                    seen.into_iter().cloned().collect::<Vec<_>>().join("\n")
                }
            };
            append_output(path, name, &scrub(&value))?;
        }
    }
    if let Some(e) = deferred {
        return Err(e);
    }
    Ok(exit)
}

/// The worse of two exit statuses (a failure over a pass; the first failure kind otherwise).
fn worse(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    if a == ExitStatus::Pass {
        b
    } else {
        a
    }
}

/// One run's summary and annotations; its output values (in [`OUTPUT_NAMES`]' order), its exit status and
/// the error it deferred.
fn finish_one(
    done: Done,
    inputs: &Inputs,
    files: &Files,
    scrub: &dyn Fn(&str) -> String,
) -> Result<(Vec<String>, ExitStatus, Option<Error>)> {
    let tally = judge::tally(&done.record);
    let status = judge::status(&done.record);

    println!("{}", text_summary::render(&done.record).trim_end());
    for line in judge::annotations(&done.record, inputs.fail_on, done.regression_fails) {
        println!("{}", scrub(&line));
    }
    for n in done.notes.iter().filter(|n| n.level != Level::Notice) {
        println!("{}", annotation(n.level, "perfgate", &scrub(&n.text)));
    }
    for n in done.notes.iter().filter(|n| n.level == Level::Notice) {
        eprintln!("perfgate: {}", scrub(&n.text));
    }

    if let Some(path) = &files.summary {
        let mut md = String::new();
        for n in &done.notes {
            let tag = match n.level {
                Level::Notice => "Note",
                Level::Warning => "Warning",
                Level::Error => "Error",
            };
            md.push_str(&format!("> **{tag}:** {}\n\n", scrub(&n.text)));
        }
        md.push_str(&comment::body(
            &done.record,
            done.links.clone(),
            done.baseline_note.as_deref(),
            done.base_capacity.as_ref(),
        ));
        // The comment shows what changed; the summary also keeps every number.
        md.push_str(&format!(
            "\n\n<details><summary>All results</summary>\n\n~~~~text\n{}\n~~~~\n\n</details>\n",
            text_summary::render(&done.record)
                .trim_end()
                .replace("~~~~", "~ ~ ~ ~")
        ));
        append_summary(path, &scrub(&md))?;
    }
    let record_path = done
        .record_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let outputs = vec![
        status.to_string(),
        tally.regressions.to_string(),
        tally.improvements.to_string(),
        record_path,
        done.report_dir.display().to_string(),
        done.comment_url.clone().unwrap_or_default(),
        done.site_url.clone().unwrap_or_default(),
        done.alert_url.clone().unwrap_or_default(),
    ];
    let exit = judge::exit_status(&tally, inputs.fail_on, done.regression_fails);
    Ok((outputs, exit, done.deferred))
}

/// The outputs `perfgate action` writes; a test checks that `action.yml` declares exactly these.
pub const OUTPUT_NAMES: &[&str] = &[
    "status",
    "regressions",
    "improvements",
    "run-record",
    "report-dir",
    "comment-url",
    "site-url",
    "alert-url",
];
