//! The library API measured against operations whose behaviour is known: a sleep of a known length, a
//! failure every tenth call, a panic every fifth, a call that outlives its timeout — through the same
//! engine as the CLI.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use perfgate::{blocking, BenchmarkConfig, Error, LoadTestConfig, Operation, StressConfig, Suite};

fn sleeper(name: &str, ms: u64) -> Operation {
    Operation::new(name, async move || {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok::<(), std::io::Error>(())
    })
}

/// An operation whose every `n`-th call (1-based) fails with `message`, and a counter of its calls.
fn failing_every(name: &str, n: u64, message: &'static str) -> (Operation, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&calls);
    let op = Operation::new(name, async move || {
        let k = c.fetch_add(1, Ordering::SeqCst) + 1;
        if k.is_multiple_of(n) {
            Err(message)
        } else {
            Ok(())
        }
    });
    (op, calls)
}

/// Serializes the tests of this binary (`cargo test` runs them on parallel threads): two runs sharing two
/// cores would each measure the other. Hold the guard for the whole test.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn within(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= expected * tolerance
}

#[test]
fn a_closure_that_sleeps_20ms_measures_20ms() {
    let _serial = serial();
    let cfg = BenchmarkConfig {
        iterations: 40,
        warmup_iterations: 3,
        ..Default::default()
    };
    let run = blocking::benchmark(sleeper("sleep_20ms", 20), cfg).unwrap();
    let r = run.result("sleep_20ms").unwrap();
    assert_eq!(r.total_requests, 40);
    assert!(
        within(r.latency_ms.p50, 20.0, 0.10),
        "benchmark p50 {} ms should be within 10% of 20 ms",
        r.latency_ms.p50
    );
    assert!(r.latency_ms.min >= 20.0, "min {}", r.latency_ms.min);
}

#[test]
fn open_model_load_of_a_sleeping_closure_measures_the_sleep() {
    let _serial = serial();
    // 100 rps of a 20 ms operation with 4 users in flight (capacity 200 rps): the operation keeps up, so
    // latency from the intended start is the sleep.
    let cfg = LoadTestConfig {
        duration_seconds: 1.0,
        concurrent_users: 4,
        target_rps: Some(100.0),
        ..Default::default()
    };
    let run = blocking::load_test([sleeper("sleep_20ms", 20)], cfg).unwrap();
    let load = run.record().load.as_ref().unwrap();
    assert_eq!(load.model, "open");
    let r = run.result("sleep_20ms").unwrap();
    // Measured from the intended start, the latency also holds the worker's own wake-up delay for that
    // start (Tokio's timer ticks in whole milliseconds, twice per call here): a few ms, never less.
    assert!(
        (20.0..=25.0).contains(&r.latency_ms.p50),
        "load p50 {} ms should be 20 ms plus at most a few ms of timer delay",
        r.latency_ms.p50
    );
    assert!(
        (90..=105).contains(&r.total_requests),
        "about 100 calls in 1 s at 100 rps, got {}",
        r.total_requests
    );
    assert_eq!(load.dropped_starts, 0);
}

#[test]
fn a_stalled_closure_shows_in_open_model_percentiles() {
    let _serial = serial();
    // One user, 50 rps, and calls that take 50 ms: requests queue behind each other, and the latency
    // measured from the intended start grows (no coordinated omission) instead of the rate silently
    // dropping with the latency staying at 50 ms.
    let cfg = LoadTestConfig {
        duration_seconds: 1.0,
        concurrent_users: 1,
        target_rps: Some(50.0),
        ..Default::default()
    };
    let run = blocking::load_test([sleeper("slow", 50)], cfg).unwrap();
    let r = run.result("slow").unwrap();
    assert!(
        r.latency_ms.p95 > 200.0,
        "queueing must show: p95 {} ms",
        r.latency_ms.p95
    );
    let load = run.record().load.as_ref().unwrap();
    assert!(load.late_starts > 0 || load.dropped_starts > 0);
}

#[test]
fn one_failure_in_ten_gives_90_percent_success_with_the_display_key() {
    let _serial = serial();
    let (op, calls) = failing_every("flaky", 10, "Upstream Unavailable: try later");
    let cfg = BenchmarkConfig {
        iterations: 100,
        warmup_iterations: 0,
        ..Default::default()
    };
    let run = blocking::benchmark(op, cfg).unwrap();
    let r = run.result("flaky").unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 100);
    assert_eq!(r.success_rate_percent, 90.0);
    assert_eq!(r.failed_requests, 10);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors["upstream_unavailable"], 10);
    assert_eq!(
        r.error_samples,
        vec!["upstream_unavailable: Upstream Unavailable: try later".to_string()]
    );
}

#[test]
fn one_failure_in_ten_under_load_is_about_90_percent() {
    let _serial = serial();
    let (op, _) = failing_every("flaky", 10, "nope");
    let cfg = LoadTestConfig {
        duration_seconds: 0.5,
        concurrent_users: 4,
        think_time_ms: 1.0,
        ..Default::default()
    };
    let run = blocking::load_test([op], cfg).unwrap();
    let r = run.result("flaky").unwrap();
    assert!(r.total_requests >= 100, "{}", r.total_requests);
    assert!(
        (89.0..=91.0).contains(&r.success_rate_percent),
        "{}",
        r.success_rate_percent
    );
}

#[test]
fn a_custom_classifier_keys_the_errors() {
    let _serial = serial();
    #[derive(Debug)]
    struct HttpError(u16);
    impl std::fmt::Display for HttpError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "status {} at {:p}", self.0, self)
        }
    }
    let n = Arc::new(AtomicU64::new(0));
    let op = Operation::new("api", async move || {
        let k = n.fetch_add(1, Ordering::SeqCst);
        Err(HttpError(if k.is_multiple_of(2) { 503 } else { 429 }))
    })
    .classify(|e: &HttpError| {
        if e.0 >= 500 {
            "server_error"
        } else {
            "throttled"
        }
    });
    let cfg = BenchmarkConfig {
        iterations: 10,
        warmup_iterations: 0,
        ..Default::default()
    };
    let r = blocking::benchmark(op, cfg).unwrap();
    let r = r.result("api").unwrap();
    assert_eq!(r.errors["server_error"], 5);
    assert_eq!(r.errors["throttled"], 5);
}

#[test]
fn a_classifier_of_the_wrong_type_is_refused_before_the_run() {
    let _serial = serial();
    let op = Operation::new("x", async || Err::<(), String>("e".into())).classify(|_: &u32| "k");
    let err = blocking::benchmark(op, BenchmarkConfig::default()).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("`x`") && msg.contains("u32") && msg.contains("String"),
        "{msg}"
    );
}

#[test]
fn a_panicking_closure_is_counted_as_panic_and_the_run_continues() {
    let _serial = serial();
    let calls = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&calls);
    let op = Operation::new("explosive", async move || {
        let k = c.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        if k.is_multiple_of(5) {
            panic!("exploded on call {k}");
        }
        Ok::<(), String>(())
    });
    let cfg = BenchmarkConfig {
        iterations: 50,
        warmup_iterations: 0,
        ..Default::default()
    };
    let run = blocking::benchmark(op, cfg).unwrap();
    let r = run.result("explosive").unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        50,
        "every call after a panic ran"
    );
    assert_eq!(r.total_requests, 50);
    assert_eq!(r.errors["panic"], 10);
    assert_eq!(r.success_rate_percent, 80.0);
    let sample = &r.error_samples[0];
    assert!(
        sample.starts_with("panic: exploded on call 5 (at ") && sample.contains("library.rs:"),
        "{sample}"
    );
}

#[test]
fn panics_under_load_do_not_kill_the_workers() {
    let _serial = serial();
    let calls = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&calls);
    // Every call of a user's closure panics at first; a worker that died on it would record nothing more.
    let op = Operation::new("sometimes", async move || {
        let k = c.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1)).await;
        if k.is_multiple_of(3) {
            panic!("third call");
        }
        Ok::<(), String>(())
    });
    let cfg = LoadTestConfig {
        duration_seconds: 0.5,
        concurrent_users: 2,
        ..Default::default()
    };
    let run = blocking::load_test([op], cfg).unwrap();
    let r = run.result("sometimes").unwrap();
    assert!(r.total_requests > 50, "{}", r.total_requests);
    let panics = r.errors["panic"] as f64;
    assert!(
        within(panics / r.total_requests as f64, 1.0 / 3.0, 0.1),
        "{panics} of {}",
        r.total_requests
    );
}

#[test]
fn a_panic_in_per_user_init_is_an_error_not_a_crash() {
    let _serial = serial();
    let op = Operation::per_user(
        "bad_init",
        async || -> Result<(), String> { panic!("no connection") },
        async |_: &mut ()| Ok(()),
    );
    let cfg = BenchmarkConfig {
        iterations: 3,
        warmup_iterations: 0,
        ..Default::default()
    };
    let run = blocking::benchmark(op, cfg).unwrap();
    let r = run.result("bad_init").unwrap();
    assert_eq!(r.errors["panic"], 3);
}

#[test]
fn a_call_longer_than_its_timeout_is_a_timeout() {
    let _serial = serial();
    let op = sleeper("stuck", 1_000).timeout(Duration::from_millis(20));
    let cfg = BenchmarkConfig {
        iterations: 3,
        warmup_iterations: 0,
        ..Default::default()
    };
    let run = blocking::benchmark(op, cfg).unwrap();
    let r = run.result("stuck").unwrap();
    assert_eq!(r.errors["timeout"], 3);
    assert!(r.latency_ms.max < 100.0, "{}", r.latency_ms.max);
    // The config's request_timeout applies when the operation has none.
    let cfg = BenchmarkConfig {
        iterations: 2,
        warmup_iterations: 0,
        request_timeout: 0.02,
        ..Default::default()
    };
    let run = blocking::benchmark(sleeper("stuck", 1_000), cfg).unwrap();
    assert_eq!(run.result("stuck").unwrap().errors["timeout"], 2);
}

#[test]
fn per_user_state_is_made_once_per_virtual_user() {
    let _serial = serial();
    let inits = Arc::new(AtomicU64::new(0));
    let i = Arc::clone(&inits);
    let op = Operation::per_user(
        "stateful",
        async move || {
            i.fetch_add(1, Ordering::SeqCst);
            Ok::<Vec<u8>, String>(Vec::new())
        },
        async |buf: &mut Vec<u8>| {
            buf.push(1);
            tokio::time::sleep(Duration::from_millis(1)).await;
            Ok(())
        },
    );
    let cfg = LoadTestConfig {
        duration_seconds: 0.3,
        concurrent_users: 3,
        ..Default::default()
    };
    let run = blocking::load_test([op], cfg).unwrap();
    assert_eq!(inits.load(Ordering::SeqCst), 3);
    assert!(run.result("stateful").unwrap().total_requests > 30);
}

#[test]
fn the_load_mix_follows_the_weights() {
    let _serial = serial();
    let a = sleeper("a", 1).weight(3);
    let b = sleeper("b", 1).weight(1);
    let cfg = LoadTestConfig {
        duration_seconds: 0.5,
        concurrent_users: 2,
        ..Default::default()
    };
    let run = blocking::load_test([a, b], cfg).unwrap();
    let (na, nb) = (
        run.result("a").unwrap().total_requests as f64,
        run.result("b").unwrap().total_requests as f64,
    );
    assert!(within(na / (na + nb), 0.75, 0.1), "a {na}, b {nb}");
}

#[test]
fn stress_finds_the_breaking_point_of_a_closure_with_a_capacity() {
    let _serial = serial();
    // The operation serves at most 4 calls at once (5 ms each) and refuses the others, like a service
    // with a full connection pool. 2 users never exceed it; 10 users do on most calls, so the error-rate
    // rule names 10 users as the breaking point and 2 as the last good step.
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let op = Operation::new("pooled", async move || {
        if in_flight.fetch_add(1, Ordering::SeqCst) >= 4 {
            in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err("pool exhausted");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    });
    let cfg = StressConfig {
        start_concurrent: 2,
        max_concurrent: 30,
        step_size: 8,
        step_duration_seconds: 0.3,
        step_warmup_seconds: 0.05,
        ..Default::default()
    };
    let run = blocking::stress_test(op, cfg).unwrap();
    let stress = run.record().stress.as_ref().unwrap();
    let bp = stress
        .breaking_point
        .as_ref()
        .unwrap_or_else(|| panic!("{}", stress.conclusion));
    assert_eq!(bp.concurrency, 10, "{bp:?}");
    assert!(bp.reason.starts_with("error rate"), "{bp:?}");
    assert_eq!(stress.last_good_concurrency, Some(2));
    assert_eq!(stress.steps.len(), 2, "the run stops at the breaking point");
    assert!(stress.steps[1].operations[0].errors["pool_exhausted"] > 0);
}

#[test]
fn usage_errors_name_the_problem() {
    let _serial = serial();
    let e = blocking::load_test(Vec::<Operation>::new(), LoadTestConfig::default()).unwrap_err();
    assert!(e.to_string().contains("no operations"), "{e}");
    let e = blocking::load_test(
        [sleeper("same", 1), sleeper("same", 1)],
        LoadTestConfig::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("`same` is given twice"), "{e}");
    let e = Suite::new("s")
        .operation(sleeper("x", 1))
        .run_blocking()
        .unwrap_err();
    assert!(e.to_string().contains("nothing to run"), "{e}");
}

#[test]
fn a_suite_writes_the_files_perfgate_run_writes() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("performance_results");
    let run = Suite::new("lib-suite")
        .operation(sleeper("fast", 1))
        .benchmark(BenchmarkConfig {
            iterations: 10,
            warmup_iterations: 1,
            ..Default::default()
        })
        .load(LoadTestConfig {
            duration_seconds: 0.3,
            concurrent_users: 2,
            ..Default::default()
        })
        .stress(StressConfig {
            start_concurrent: 1,
            max_concurrent: 2,
            step_size: 1,
            step_duration_seconds: 0.2,
            step_warmup_seconds: 0.0,
            ..Default::default()
        })
        .gate("p95 < 1s")
        .unwrap()
        .output_dir(&out)
        .run_blocking()
        .unwrap();
    assert!(run.passed(), "{}", run.summary_text());
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let prefixes = [
        "benchmark_results_",
        "load_results_",
        "metrics_",
        "optimization_report_",
        "performance_summary_",
        "run_",
        "stress_results_",
    ];
    assert_eq!(names.len(), prefixes.len(), "{names:?}");
    for (name, prefix) in names.iter().zip(prefixes) {
        assert!(name.starts_with(prefix), "{name} vs {prefix}");
    }
    let path = run.files().run_record.clone().unwrap();
    let rec = perfgate::reports::RunRecord::from_json_slice(&std::fs::read(&path).unwrap(), "run")
        .unwrap();
    assert_eq!(rec.suite, "lib-suite");
    assert_eq!(rec.test_type, "all");
    assert_eq!(rec.targets[0].kind, "closure");
    let analysis = rec.analysis.unwrap();
    assert!(analysis.gates.iter().all(|g| g.passed));
    assert!(!analysis.gates.is_empty());
}

#[test]
fn a_baseline_comparison_flags_a_slower_run() {
    let _serial = serial();
    let bench = BenchmarkConfig {
        iterations: 30,
        warmup_iterations: 2,
        ..Default::default()
    };
    let base = Suite::new("cmp")
        .operation(sleeper("op", 5))
        .benchmark(bench.clone())
        .run_blocking()
        .unwrap()
        .into_record();
    let run = Suite::new("cmp")
        .operation(sleeper("op", 15))
        .benchmark(bench)
        .gate("p95 < 1s")
        .unwrap()
        .baseline(base)
        .run_blocking()
        .unwrap();
    assert!(
        !run.passed(),
        "a 3x slower run must fail against its baseline"
    );
    let cmp = run.record().analysis.as_ref().unwrap().comparison.as_ref();
    assert!(cmp.unwrap().counts().regressed > 0);
}

#[test]
fn the_async_api_does_not_block_the_callers_runtime() {
    let _serial = serial();
    // The caller's runtime has one thread.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async_api_on_one_thread());
}

async fn async_api_on_one_thread() {
    // A task on the caller's single-threaded runtime must keep running while the load test runs: the
    // operation waits for it, so a blocked runtime would make every call time out.
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    let ticker = tokio::spawn(async move {
        for i in 1.. {
            tokio::time::sleep(Duration::from_millis(5)).await;
            if tx.send(i).is_err() {
                break;
            }
        }
    });
    let op = Operation::new("wait_for_tick", async move || {
        let mut rx = rx.clone();
        rx.changed().await.map_err(|e| e.to_string())
    })
    .timeout(Duration::from_millis(500));
    let cfg = LoadTestConfig {
        duration_seconds: 0.3,
        concurrent_users: 2,
        ..Default::default()
    };
    let run = perfgate::load_test([op], cfg).await.unwrap();
    ticker.abort();
    let r = run.result("wait_for_tick").unwrap();
    assert_eq!(r.success_rate_percent, 100.0, "{:?}", r.errors);
    assert!(r.total_requests > 20, "{}", r.total_requests);
}
