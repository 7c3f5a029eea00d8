//! `perfgate ingest --format F FILE…`: a microbenchmark harness's output as a `microbench` run record
//! (one operation per benchmark; see [`perfgate_reports::import::bench`]), which `publish`, `compare`,
//! `analyze` and the Action treat like any other run. Several files (of one format) make one record. The run
//! id is derived from the content, so ingesting and publishing the same output twice stores it once.

use clap::{Args, ValueEnum};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use perfgate_reports::import::{self, criterion::TreeEntry, ImportContext};
use perfgate_reports::record::RunRecord;
use sha2::{Digest as _, Sha256};

use perfgate::error::{Error, ExitStatus, Result};

/// Harness outputs `perfgate ingest` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IngestFormat {
    /// criterion: the target/criterion directory (its */new/{benchmark,sample}.json), or a file of
    /// `cargo criterion --message-format=json` lines
    Criterion,
    /// `cargo bench` (libtest) text, also criterion's `--output-format bencher`
    Libtest,
    /// `go test -bench . [-benchmem] [-count N]` text
    Go,
    /// pytest-benchmark's --benchmark-json file
    Pytest,
    /// hyperfine's --export-json file
    Hyperfine,
    /// JMH's -rf json file
    Jmh,
    /// Google Benchmark's --benchmark_format=json (or --benchmark_out) file
    #[value(alias = "google-benchmark", alias = "googlecpp")]
    Gbench,
    /// Bencher Metric Format JSON
    Bmf,
    /// github-action-benchmark custom JSON, smaller is better (customSmallerIsBetter)
    GabSmaller,
    /// github-action-benchmark custom JSON, bigger is better (customBiggerIsBetter)
    GabBigger,
}

impl IngestFormat {
    pub fn tool(self) -> &'static str {
        match self {
            IngestFormat::Criterion => "criterion",
            IngestFormat::Libtest => "libtest",
            IngestFormat::Go => "go",
            IngestFormat::Pytest => "pytest",
            IngestFormat::Hyperfine => "hyperfine",
            IngestFormat::Jmh => "jmh",
            IngestFormat::Gbench => "gbench",
            IngestFormat::Bmf => "bmf",
            IngestFormat::GabSmaller | IngestFormat::GabBigger => "gab",
        }
    }
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The harness's output files (for criterion: the target/criterion directory)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Which harness wrote them
    #[arg(long, value_enum)]
    pub format: IngestFormat,
    /// Suite name [default: default]
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub suite: String,
    /// When the benchmarks ran (RFC 3339) [default: now]
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Write the run record here instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The record of `files` (the Action calls this too).
pub fn ingest(
    format: IngestFormat,
    files: &[PathBuf],
    suite: &str,
    started_at: DateTime<Utc>,
) -> Result<RunRecord> {
    let env = perfgate::config::process_env();
    let environment = perfgate::environment::detect_environment(&env);
    let git = perfgate::environment::detect_git(Path::new("."), &env);
    let mut digest = Sha256::new();
    let mut merged: Option<RunRecord> = None;
    let mut parsed = vec![];
    for file in files {
        let ctx = |run_id: String| ImportContext {
            source: file.display().to_string(),
            run_id,
            started_at,
            suite: suite.to_string(),
            operation: String::new(),
            concurrency: None,
            environment: environment.clone(),
            git: git.clone(),
        };
        let rec = if format == IngestFormat::Criterion && file.is_dir() {
            let entries = criterion_tree(file)?;
            for e in &entries {
                digest.update(&e.benchmark_json);
                digest.update(&e.sample_json);
            }
            import::criterion::import_tree(&entries, &ctx(String::new()))
        } else {
            let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
            digest.update(&bytes);
            let c = ctx(String::new());
            match format {
                IngestFormat::Criterion => import::criterion::import_messages(&bytes, &c),
                IngestFormat::Libtest => import::libtest::import(&bytes, &c),
                IngestFormat::Go => import::go::import(&bytes, &c),
                IngestFormat::Pytest => import::pytest_benchmark::import(&bytes, &c),
                IngestFormat::Hyperfine => import::hyperfine::import(&bytes, &c),
                IngestFormat::Jmh => import::jmh::import(&bytes, &c),
                IngestFormat::Gbench => import::gbench::import(&bytes, &c),
                IngestFormat::Bmf => import::bmf::import_bmf(&bytes, &c),
                IngestFormat::GabSmaller => import::bmf::import_gab(&bytes, &c, false),
                IngestFormat::GabBigger => import::bmf::import_gab(&bytes, &c, true),
            }
        }
        .map_err(|e| Error::Usage(e.to_string()))?;
        parsed.push((file, rec));
    }
    for (file, rec) in parsed {
        match &mut merged {
            None => merged = Some(rec),
            Some(m) => merge_into(m, rec, file)?,
        }
    }
    let mut rec = merged.ok_or_else(|| Error::Usage("ingest: no files given".into()))?;
    rec.run_id = format!(
        "{}-{}",
        format.tool(),
        &hex::encode(digest.finalize())[..12]
    );
    Ok(rec)
}

/// Appends `other`'s benchmarks to `into`; a name in both is an error naming the second file.
fn merge_into(into: &mut RunRecord, other: RunRecord, file: &Path) -> Result<()> {
    let (Some(a), Some(b)) = (into.benchmark.as_mut(), other.benchmark) else {
        return Ok(());
    };
    for op in b.operations {
        if a.operations
            .iter()
            .any(|o| o.operation_name == op.operation_name)
        {
            return Err(Error::Usage(format!(
                "{}: benchmark \"{}\" is also in an earlier file",
                file.display(),
                op.operation_name
            )));
        }
        a.iterations += op.total_requests;
        a.operations.push(op);
    }
    into.finished_at = into.finished_at.max(other.finished_at);
    into.warnings.extend(other.warnings);
    Ok(())
}

/// Every `…/new/` directory under `root` holding criterion's `benchmark.json` and `sample.json`, in path order.
fn criterion_tree(root: &Path) -> Result<Vec<TreeEntry>> {
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        seen += 1;
        if seen > 1_000_000 {
            return Err(Error::Usage(format!(
                "{}: too many directories",
                root.display()
            )));
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if !is_dir || path.file_name().is_some_and(|n| n == "report") {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                let b = path.join("benchmark.json");
                let s = path.join("sample.json");
                if b.is_file() && s.is_file() {
                    out.push(TreeEntry {
                        dir: path.display().to_string(),
                        benchmark_json: std::fs::read(&b).map_err(|e| Error::io(&b, e))?,
                        sample_json: std::fs::read(&s).map_err(|e| Error::io(&s, e))?,
                    });
                }
            } else {
                stack.push(path);
            }
        }
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    if out.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no */new/benchmark.json and sample.json — is this criterion's target/criterion directory?",
            root.display()
        )));
    }
    Ok(out)
}

/// `--time` or now.
pub fn started_at(time: Option<&str>) -> Result<DateTime<Utc>> {
    match time {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| Error::Usage(format!("--time {t}: not an RFC 3339 time ({e})"))),
        None => Ok(Utc::now()),
    }
}

pub fn run(args: &IngestArgs) -> Result<ExitStatus> {
    let rec = ingest(
        args.format,
        &args.files,
        &args.suite,
        started_at(args.time.as_deref())?,
    )?;
    let out = rec.to_json_pretty();
    let n = rec.benchmark.as_ref().map_or(0, |b| b.operations.len());
    match &args.output {
        Some(path) => {
            perfgate::output::write_atomic(path, &out)?;
            eprintln!(
                "perfgate: ingested {n} benchmark(s) as run {} into {}",
                rec.run_id,
                path.display()
            );
        }
        None => std::io::stdout()
            .write_all(&out)
            .map_err(|e| Error::io("stdout", e))?,
    }
    Ok(ExitStatus::Pass)
}
