//! The profiler: latency, success, panics and resource deltas per name, and its record and report.

use std::time::Duration;

use perfgate::reports::gates::Gates;
use perfgate::{profiler, Profiler, Run};

/// Serializes the tests of this binary (`cargo test` runs them on parallel threads): the resource
/// readings are process-wide, so another test's allocations would show in this one's memory delta.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "current_thread")]
async fn profiled_blocks_are_measured_per_name() {
    let _serial = SERIAL.lock().await;
    let p = profiler();
    for i in 0..20u32 {
        let r = p
            .profile("sleepy", async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if i % 10 == 9 {
                    Err(format!("item {i} missing"))
                } else {
                    Ok(i)
                }
            })
            .await;
        assert_eq!(r.is_ok(), i % 10 != 9);
    }
    p.profile("quick", async {}).await;
    assert_eq!(p.names(), ["sleepy", "quick"]);
    let s = p.stats("sleepy").unwrap();
    assert_eq!(s.result.total_requests, 20);
    assert_eq!(s.result.success_rate_percent, 90.0);
    assert_eq!(s.result.errors["item_missing"], 2);
    assert_eq!(
        s.result.error_samples,
        [
            "item_missing: item 9 missing",
            "item_missing: item 19 missing"
        ]
    );
    // The sleep, plus timer granularity and scheduling on a busy machine; never less.
    assert!(
        (10.0..=15.0).contains(&s.result.latency_ms.p50),
        "p50 {}",
        s.result.latency_ms.p50
    );
    // A sleeping block uses almost no CPU.
    assert!(s.cpu_time_ms.unwrap() < 100.0, "{:?}", s.cpu_time_ms);
    assert!(p.stats("never").is_none());
}

#[tokio::test(flavor = "current_thread")]
async fn memory_growth_inside_a_block_shows_as_its_delta() {
    let _serial = SERIAL.lock().await;
    let p = Profiler::new("mem");
    let mut keep = Vec::new();
    for _ in 0..3 {
        p.profile("grow_16mb", async {
            // Touch every page so it is resident.
            keep.push(vec![7u8; 16 << 20]);
        })
        .await;
    }
    let s = p.stats("grow_16mb").unwrap();
    if cfg!(target_os = "linux") {
        let avg = s.memory_delta_mb_avg.unwrap();
        assert!((12.0..=20.0).contains(&avg), "avg delta {avg} MB");
        assert!(
            s.result.memory_usage_mb.is_some_and(|m| m >= 48.0),
            "{:?}",
            s.result.memory_usage_mb
        );
    }
    drop(keep);
    let record = p.record();
    let details = &record.targets[0].details["grow_16mb"];
    assert!(details.get("cpu_time_ms").is_some(), "{details}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_is_recorded_then_resumed() {
    let _serial = SERIAL.lock().await;
    let p = profiler();
    let p2 = p.clone();
    let handle = tokio::spawn(async move {
        p2.profile("explodes", async {
            tokio::task::yield_now().await;
            if std::hint::black_box(true) {
                panic!("kaboom");
            }
        })
        .await
    });
    let err = handle.await.unwrap_err();
    assert!(err.is_panic(), "the panic reaches the caller unchanged");
    let s = p.stats("explodes").unwrap();
    assert_eq!(s.result.errors["panic"], 1);
    assert!(
        s.result.error_samples[0].starts_with("panic: kaboom"),
        "{:?}",
        s.result.error_samples
    );
}

#[tokio::test]
async fn clones_on_many_tasks_share_their_figures() {
    let _serial = SERIAL.lock().await;
    let p = profiler();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let p = p.clone();
        // The profile future is Send when the profiled one is: it can move between worker threads.
        tasks.push(tokio::spawn(async move {
            let scope = p.scope("shared");
            for _ in 0..25 {
                scope.profile(async { Ok::<(), String>(()) }).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(p.stats("shared").unwrap().result.total_requests, 100);
}

#[tokio::test(flavor = "current_thread")]
async fn the_record_reads_back_and_can_be_gated() {
    let _serial = SERIAL.lock().await;
    let p = Profiler::with_options("profiled-suite", false);
    for _ in 0..5 {
        p.profile("step", async {
            tokio::time::sleep(Duration::from_millis(2)).await;
        })
        .await;
    }
    let record = p.record();
    let bytes = record.to_json_pretty();
    let back = perfgate::reports::RunRecord::from_json_slice(&bytes, "profile.json").unwrap();
    assert_eq!(back.suite, "profiled-suite");
    assert_eq!(back.test_type, "benchmark");
    let op = &back.benchmark.as_ref().unwrap().operations[0];
    assert_eq!((op.operation_name.as_str(), op.total_requests), ("step", 5));
    assert!(op.histogram.as_ref().unwrap().count() == 5);
    // Without resources, no resource figures are claimed.
    assert_eq!(op.resource_source, "");
    assert!(p.report().contains("step"));

    let pass = Run::analyze(
        record.clone(),
        &Gates::parse_all(&["p95 < 1s"]).unwrap(),
        None,
    );
    assert!(pass.passed());
    let fail = Run::analyze(record, &Gates::parse_all(&["p95 < 1ms"]).unwrap(), None);
    assert!(!fail.passed(), "{}", fail.summary_text());
    let dir = tempfile::tempdir().unwrap();
    let files = fail.write_files(dir.path()).unwrap();
    // benchmark results, optimization report, summary, Prometheus textfile, run record
    assert_eq!(files.files.len(), 5, "{:?}", files.files);
}
